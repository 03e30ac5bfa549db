"""API shapes. Serializers parse and present; the services decide.

``shapes`` holds what the API shows, ``inputs`` what it takes; both are importable from here.
"""

from .inputs import (
    CommentInputSerializer,
    ExperimentCostSerializer,
    ExperimentDesignSerializer,
    HypothesisInputSerializer,
    HypothesisScoreSerializer,
    HypothesisTriageSerializer,
    ObjectiveInputSerializer,
    SegmentInputSerializer,
    StepSerializer,
    StrictInput,
    VariantInputSerializer,
    service_fields,
)
from .shapes import (
    CommentSerializer,
    DesignSummarySerializer,
    ExperimentDetailSerializer,
    ExperimentRows,
    ExperimentSerializer,
    HypothesisSerializer,
    MetricSerializer,
    ObjectiveSerializer,
    OperatorProfileSerializer,
    ProgressSerializer,
    SegmentSerializer,
    StatusChangeSerializer,
    VariantSerializer,
    VerdictSerializer,
)

__all__ = [
    "CommentInputSerializer",
    "CommentSerializer",
    "DesignSummarySerializer",
    "ExperimentCostSerializer",
    "ExperimentDesignSerializer",
    "ExperimentDetailSerializer",
    "ExperimentRows",
    "ExperimentSerializer",
    "HypothesisInputSerializer",
    "HypothesisScoreSerializer",
    "HypothesisSerializer",
    "HypothesisTriageSerializer",
    "MetricSerializer",
    "ObjectiveInputSerializer",
    "ObjectiveSerializer",
    "OperatorProfileSerializer",
    "ProgressSerializer",
    "SegmentInputSerializer",
    "SegmentSerializer",
    "StatusChangeSerializer",
    "StepSerializer",
    "StrictInput",
    "VariantInputSerializer",
    "VariantSerializer",
    "VerdictSerializer",
    "service_fields",
]
