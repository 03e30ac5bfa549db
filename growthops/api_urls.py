"""``/api/v1/``: one router for every app's viewsets, and the API root that lists them."""

from rest_framework.routers import DefaultRouter

from analytics.api.analyse import AnalyseViewSet
from analytics.api.economics import SegmentEconomicsViewSet
from analytics.api.events import EventViewSet
from analytics.api.notifications import NotificationViewSet
from analytics.api.portfolio import ResultListViewSet
from analytics.api.results import ExperimentDataViewSet, TaskViewSet
from experiments.api import (
    ExperimentViewSet,
    HypothesisViewSet,
    SegmentViewSet,
)
from experiments.by_key import EXPERIMENT_REF
from experiments.teams_api import OperatorProfileViewSet, TeamViewSet
from experiments.templates_api import TemplateViewSet
from programme.api import INSIGHT_VIEWSETS
from programme.api.digests import DigestPreferenceViewSet
from programme.api.holdouts import HoldoutViewSet
from programme.api.insights import InsightIndexViewSet
from programme.api.notices import NoticeViewSet
from programme.api.objectives import ObjectiveMeasurementViewSet, ObjectiveViewSet
from programme.api.portfolio import LedgerViewSet, RollupViewSet
from programme.api.postmortems import ExperimentPostmortemViewSet, PostmortemListViewSet
from programme.api.reports import BoardReportViewSet
from programme.api.shares import ExperimentShareViewSet, ShareViewSet
from programme.api.streams import StreamViewSet
from roles.api import MeViewSet, TokenViewSet
from roles.partners_api import PartnerViewSet
from roles.tokens_api import ServiceTokenViewSet
from warehouse.api import DataSourceViewSet, ExperimentWarehouseViewSet, MetricViewSet
from webhooks.api import WebhookViewSet

from .api import ApiRootView

router = DefaultRouter()
router.APIRootView = ApiRootView
# The format is asked with ``?format=csv``; DRF's suffix twins (``/experiments.json``) reached
# views whose methods take no ``format`` argument, and the schema never named them: a 404.
router.include_format_suffixes = False
router.register("auth/token", TokenViewSet, basename="api-token")
router.register("tokens", ServiceTokenViewSet, basename="service-token")
# The digest preference (programme) before the caller (roles), on the same prefix.
router.register("auth/me", DigestPreferenceViewSet, basename="api-me-digest")
router.register("auth/me", MeViewSet, basename="api-me")
# The objectives app's viewset as the programme extends it (the detail's ``standing``), and the
# measured KPI as a detail action on the same prefix.
router.register("objectives", ObjectiveViewSet, basename="objective")
router.register("objectives", ObjectiveMeasurementViewSet, basename="objective-measurement")
router.register("holdouts", HoldoutViewSet, basename="holdout")
router.register("segments", SegmentViewSet, basename="segment")
router.register("segments", SegmentEconomicsViewSet, basename="segment-economics")
router.register("teams", TeamViewSet, basename="team")
router.register("operators", OperatorProfileViewSet, basename="operator")
router.register("partners", PartnerViewSet, basename="partner")
# The metric library (warehouse): the experiments app's metrics with their SQL definitions.
router.register("metrics", MetricViewSet, basename="metric")
router.register("datasources", DataSourceViewSet, basename="datasource")
router.register("hypotheses", HypothesisViewSet, basename="hypothesis")
router.register("templates", TemplateViewSet, basename="template")
router.register("experiments", ExperimentViewSet, basename="experiment")
# The experiment's data and results: detail actions on the same prefix, from analytics.
router.register("experiments", ExperimentDataViewSet, basename="experiment-data")
# Its exposure source in a warehouse and the refreshes from it (warehouse).
router.register("experiments", ExperimentWarehouseViewSet, basename="experiment-warehouse")
# The post-mortem (programme): a detail action on the same prefix.
router.register("experiments", ExperimentPostmortemViewSet, basename="experiment-postmortem")
router.register("postmortems", PostmortemListViewSet, basename="postmortem")
router.register(
    rf"experiments/(?P<experiment_pk>{EXPERIMENT_REF})/shares",
    ExperimentShareViewSet,
    basename="experiment-share",
)
router.register("shares", ShareViewSet, basename="share")
router.register("events", EventViewSet, basename="event")
router.register("tasks", TaskViewSet, basename="task")
# The latest results of many experiments (the portfolio read), filtered as the experiment list.
router.register("results", ResultListViewSet, basename="result")
router.register("rollups", RollupViewSet, basename="rollup")
router.register("ledger", LedgerViewSet, basename="ledger")
router.register("streams", StreamViewSet, basename="stream")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("notices", NoticeViewSet, basename="notice")
router.register("analyse", AnalyseViewSet, basename="analyse")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("reports", BoardReportViewSet, basename="report")
# Each insight before the index, whose prefix they share.
for viewset in INSIGHT_VIEWSETS:
    name = viewset.insight_name
    router.register(f"insights/{name}", viewset, basename=f"insight-{name}")
router.register("insights", InsightIndexViewSet, basename="insight")

urlpatterns = router.urls
