"""What the programme keeps of its own (roll-ups, insights, shares, digests, post-mortems,
notices, measured KPIs, holdouts, board packs). Written by the programme's services and tasks
only. Each module holds one part; everything is importable from here.
"""

from .digests import DigestDelivery, DigestFrequency, DigestPreference
from .measured import Holdout, HoldoutObservation, ObjectiveMeasurement
from .postmortems import (
    POSTMORTEM_DECISIONS,
    POSTMORTEM_STEPS,
    Cause,
    Notice,
    Postmortem,
    PostmortemAction,
    ProcessFault,
)
from .reports import BoardReport
from .rollups import InsightReport, PortfolioRollup, ShipRecheck
from .shares import ReadoutShare, ReadoutView

__all__ = [
    "POSTMORTEM_DECISIONS",
    "POSTMORTEM_STEPS",
    "BoardReport",
    "Cause",
    "DigestDelivery",
    "DigestFrequency",
    "DigestPreference",
    "Holdout",
    "HoldoutObservation",
    "InsightReport",
    "Notice",
    "ObjectiveMeasurement",
    "PortfolioRollup",
    "Postmortem",
    "PostmortemAction",
    "ProcessFault",
    "ReadoutShare",
    "ReadoutView",
    "ShipRecheck",
]
