"""The programme's REST endpoints: the ledger, roll-ups and insights (mounted under /api/v1/ by
``growthops.api_urls``)."""

from .insights_faults import ProcessFaultsInsightViewSet
from .insights_ops import BottlenecksInsightViewSet, CapacityInsightViewSet, RechecksInsightViewSet
from .insights_stats import (
    CalibrationInsightViewSet,
    FalseWinsInsightViewSet,
    PartnersInsightViewSet,
)

# Each insight's endpoint, in the order of the insight pages.
INSIGHT_VIEWSETS = [
    CalibrationInsightViewSet,
    CapacityInsightViewSet,
    BottlenecksInsightViewSet,
    RechecksInsightViewSet,
    FalseWinsInsightViewSet,
    PartnersInsightViewSet,
    ProcessFaultsInsightViewSet,
]
