"""How the backlog is ranked: one function, :func:`hypotheses_ranked`, for every sort order.

The calibrated order replaces each idea's confidence by the one its confidence band (and
channel) actually earned in concluded experiments (docs/insights.md, "Score calibration").
That table is computed by the analytics app, which sits above this one: it hands it over
through :func:`register_calibration`, called from its ``ready()``, so nothing here imports
analytics.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Case, F, FloatField, IntegerField, Q, QuerySet, Value, When

from .models import Hypothesis
from .scores import ice_expression


@dataclass(frozen=True)
class ConfidenceCorrection:
    """Corrected confidence (1–10) for stated confidence ``low``–``high``, in ``channel`` (or
    any channel when empty)."""

    low: int
    high: int
    corrected: float
    channel: str = ""


@dataclass(frozen=True)
class Calibration:
    corrections: list[ConfidenceCorrection]
    default: float  # where no band applies


_calibration_source: Callable[[], Calibration | None] | None = None


def register_calibration(source: Callable[[], Calibration | None]) -> None:
    """Where the calibrated order reads its table from (the analytics app registers it)."""
    global _calibration_source
    _calibration_source = source


def current_calibration() -> Calibration | None:
    return _calibration_source() if _calibration_source else None


HYPOTHESIS_SORTS = {
    "ice": ("Highest ICE", [F("ice_value").desc(), "-created_at"]),
    "calibrated": ("Calibrated ICE", [F("calibrated_value").desc(), F("ice_value").desc()]),
    "rice": ("Highest RICE", [F("rice_value").desc(nulls_last=True), F("ice_value").desc()]),
    "newest": ("Newest", ["-created_at"]),
    "oldest": ("Oldest", ["created_at"]),
}
DEFAULT_SORT = "ice"


def hypotheses_ranked(queryset: QuerySet, sort: str | None) -> QuerySet:
    """``queryset`` (with ``HypothesisQuerySet.with_scores``' columns) in the ``sort`` order;
    an unknown or empty sort is the default. Without a calibration yet, the calibrated order
    is the ICE order.

    New ideas, not triaged yet, come first whatever the order, newest first: a score they
    may not have yet must not bury them on the last page, where their author never looks."""
    sort = sort if sort in HYPOTHESIS_SORTS else DEFAULT_SORT
    if sort == "calibrated":
        queryset = queryset.annotate(calibrated_value=calibrated_ice(current_calibration()))
    untriaged_first = Case(
        When(status=Hypothesis.Status.NEW, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    newest_new_first = Case(
        When(status=Hypothesis.Status.NEW, then=F("created_at")), default=None
    ).desc(nulls_last=True)
    return queryset.order_by(untriaged_first, newest_new_first, *HYPOTHESIS_SORTS[sort][1])


def calibrated_ice(calibration: Calibration | None):
    """ICE with the corrected confidence, in SQL: the channel's own band first, then the band
    across channels, then the programme's default."""
    if calibration is None:
        return ice_expression()
    ordered = sorted(calibration.corrections, key=lambda c: c.channel == "")
    whens = [
        When(
            Q(confidence__gte=c.low, confidence__lte=c.high)
            & (Q(channel=c.channel) if c.channel else Q()),
            then=Value(c.corrected),
        )
        for c in ordered
    ]
    confidence = Case(*whens, default=Value(calibration.default), output_field=FloatField())
    return ice_expression(confidence=confidence)
