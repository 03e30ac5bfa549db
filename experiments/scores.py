"""ICE and RICE, each written once, and the colour band of an ICE score.

A formula here is plain arithmetic, so the same function computes a score from numbers (the
model's properties), from columns (``HypothesisQuerySet.with_scores``, which the backlog, the
API and the ranking sort and filter by) and from pandas series (the calibration insight).
"""

from django.db.models import Case, F, FloatField, QuerySet, When
from django.db.models.expressions import ExpressionWrapper

# The backlog colours an ICE score from this up as strong, and below the other as weak.
ICE_HIGH_FROM = 7
ICE_LOW_BELOW = 4


def ice(impact, confidence, ease):
    """ICE = (impact + confidence + ease) / 3, each scored 1–10."""
    return (impact + confidence + ease) / 3.0


def rice(reach, impact, confidence, effort):
    """RICE = reach × impact × confidence share (confidence / 10) ÷ effort in person-weeks."""
    return reach * impact * (confidence / 10.0) / effort


def ice_band(score: float) -> str:
    """``"high"``, ``"low"``, or ``""`` in between: how the backlog colours an ICE score."""
    if score >= ICE_HIGH_FROM:
        return "high"
    if score < ICE_LOW_BELOW:
        return "low"
    return ""


def ice_expression(confidence=None):
    """:func:`ice` of a hypothesis row in SQL; ``confidence`` replaces the stated one (the
    calibrated order)."""
    confidence = F("confidence") if confidence is None else confidence
    return ExpressionWrapper(ice(F("impact"), confidence, F("ease")), output_field=FloatField())


def rice_expression():
    """:func:`rice` of a hypothesis row in SQL; NULL without reach and effort."""
    score = ExpressionWrapper(
        rice(F("reach"), F("impact"), F("confidence"), F("effort")), output_field=FloatField()
    )
    return Case(When(effort__gt=0, reach__isnull=False, then=score), default=None)


class HypothesisQuerySet(QuerySet):
    def with_scores(self) -> "HypothesisQuerySet":
        """Each hypothesis with ``ice_value`` and ``rice_value`` (NULL without reach and effort)
        as columns to sort and filter by: the model's ``ice_score`` and ``rice_score`` before
        they are rounded for display."""
        return self.annotate(ice_value=ice_expression(), rice_value=rice_expression())
