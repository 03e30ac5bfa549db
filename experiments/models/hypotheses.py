"""Hypotheses: the structured template and its ICE/RICE scores."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

# The pure statistics engine (numpy and scipy only), not the analytics app: allowed from here.
from roles.models import Channel

from ..scores import HypothesisQuerySet, ice, rice
from .metrics import Metric
from .objectives import Objective
from .segments import Segment

ICE_RANGE = [MinValueValidator(1), MaxValueValidator(10)]


class Hypothesis(models.Model):
    """'Because we observed X, we believe Y for segment S will cause Z; we'll know when M moves by MDE.'"""

    class Status(models.TextChoices):
        NEW = "new", "New"
        BACKLOG = "backlog", "Backlog"
        REJECTED = "rejected", "Rejected"
        IN_TEST = "in_test", "In test"
        VALIDATED = "validated", "Validated"
        INVALIDATED = "invalidated", "Invalidated"
        INCONCLUSIVE = "inconclusive", "Inconclusive"

    title = models.CharField(max_length=200)
    observation = models.TextField(help_text="Because we observed …")
    change = models.TextField(help_text="we believe that …")
    effect = models.TextField(help_text="will cause …")
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="hypotheses")
    expected_mde = models.FloatField(
        "expected MDE",
        validators=[MinValueValidator(0.0001)],
        help_text="Relative change we expect, e.g. 0.05 for +5 %.",
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    objective = models.ForeignKey(Objective, on_delete=models.PROTECT, related_name="hypotheses")
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="hypotheses")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="hypotheses"
    )
    impact = models.PositiveSmallIntegerField(validators=ICE_RANGE)
    confidence = models.PositiveSmallIntegerField(validators=ICE_RANGE)
    ease = models.PositiveSmallIntegerField(validators=ICE_RANGE)
    # RICE is optional: reach (people per quarter), impact reuses `impact`, confidence as a
    # share (the ICE confidence / 10), effort in person-weeks.
    reach = models.PositiveIntegerField(null=True, blank=True)
    effort = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0.1)])
    # Who last scored it (an operator or the CMO) and when; empty while the scores are the
    # author's first estimate.
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    scored_at = models.DateTimeField(null=True, blank=True)
    # When it first left "new" (to the backlog or rejected): the end of its wait for triage.
    triaged_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    iterates_on_hypothesis = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="iterations"
    )
    iterates_on_experiment = models.ForeignKey(
        "Experiment", null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = HypothesisQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "hypotheses"
        constraints = [
            models.CheckConstraint(
                condition=Q(impact__gte=1, impact__lte=10)
                & Q(confidence__gte=1, confidence__lte=10)
                & Q(ease__gte=1, ease__lte=10),
                name="hypothesis_ice_1_to_10",
            ),
            models.CheckConstraint(condition=Q(expected_mde__gt=0), name="hypothesis_mde_positive"),
            models.CheckConstraint(
                # effort is tested for NULL explicitly: a CHECK lets an unknown (NULL > 0) pass.
                condition=(Q(reach__isnull=True) & Q(effort__isnull=True))
                | (Q(reach__isnull=False) & Q(effort__isnull=False) & Q(effort__gt=0)),
                name="hypothesis_rice_complete",
                violation_error_message="RICE needs both reach and effort, or neither.",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def ice_score(self) -> float:
        """:func:`experiments.scores.ice`, rounded for display."""
        return round(ice(self.impact, self.confidence, self.ease), 2)

    @property
    def rice_score(self) -> float | None:
        """:func:`experiments.scores.rice`, rounded for display; None without reach and effort."""
        if self.reach is None or not self.effort:
            return None
        return round(rice(self.reach, self.impact, self.confidence, self.effort), 1)

    @property
    def statement(self) -> str:
        return (
            f"Because we observed {_clause(self.observation)}, we believe that "
            f"{_clause(self.change)} for {self.segment.name} will cause {_clause(self.effect)}; "
            f"we will know when {self.metric.name} moves by {self.expected_mde:.1%}."
        )


def _clause(text: str) -> str:
    """A field typed as a sentence read as part of the statement: without its full stop. Its
    first letter stays as typed: it may begin with a name ("Google Ads …")."""
    return text.strip().rstrip(".")
