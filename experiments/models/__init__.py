"""Objectives, segments, metrics, hypotheses, experiments and their audit trail (docs/architecture.md, "Apps and their direction").

Status fields are written only by the services in ``experiments.lifecycle`` and
``experiments.services``; everything that can be derived (ICE score, CAC, sample size) is a
property, not a column. Each module holds one part; everything is importable from here.
"""

from .choices import (
    ACCEPTS_DATA,
    DECIDED,
    IN_FLIGHT,
    LIVE,
    NOT_STARTED,
    OCCUPIES_OPERATOR,
    SHIPPED,
    UNDECIDED,
    AnalysisMethod,
    Correction,
    Decision,
    ExperimentStatus,
    KillReason,
    Outcome,
    Step,
    is_shipped,
)
from .constraints import FieldCheckConstraint
from .design_templates import LOCKABLE_FIELDS, ExperimentTemplate, default_decision_rule
from .experiment import Comment, Experiment, StatusChange, Variant
from .hypotheses import ICE_RANGE, Hypothesis
from .metrics import Metric
from .objectives import Objective
from .segments import Segment, SegmentEconomics, segment_path

__all__ = [
    "ACCEPTS_DATA",
    "DECIDED",
    "ICE_RANGE",
    "IN_FLIGHT",
    "LIVE",
    "LOCKABLE_FIELDS",
    "NOT_STARTED",
    "OCCUPIES_OPERATOR",
    "SHIPPED",
    "UNDECIDED",
    "is_shipped",
    "AnalysisMethod",
    "Comment",
    "Correction",
    "Decision",
    "Experiment",
    "ExperimentStatus",
    "ExperimentTemplate",
    "FieldCheckConstraint",
    "Hypothesis",
    "KillReason",
    "Metric",
    "Objective",
    "Outcome",
    "Segment",
    "SegmentEconomics",
    "Step",
    "StatusChange",
    "Variant",
    "default_decision_rule",
    "segment_path",
]
