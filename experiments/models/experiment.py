"""Experiments, their variants and their audit trail (status changes, comments)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce

from .choices import (
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
from .design_templates import ExperimentTemplate, default_decision_rule
from .hypotheses import Hypothesis
from .metrics import Metric
from .objectives import Objective
from .segments import Segment

# The pure statistics engine (numpy and scipy only), not the analytics app: allowed from here.


class Experiment(models.Model):
    class ExecutedBy(models.TextChoices):
        IN_HOUSE = "in_house", "In-house team"
        AGENCY = "agency", "Agency partner"

    Status = ExperimentStatus

    name = models.CharField(max_length=200)
    key = models.SlugField(
        max_length=80, unique=True, help_text="Stable key used by event streams."
    )
    hypothesis = models.ForeignKey(Hypothesis, on_delete=models.PROTECT, related_name="experiments")
    objective = models.ForeignKey(
        Objective, null=True, blank=True, on_delete=models.PROTECT, related_name="experiments"
    )
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.PROTECT, related_name="experiments"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_experiments"
    )
    executed_by = models.CharField(
        max_length=16, choices=ExecutedBy.choices, default=ExecutedBy.IN_HOUSE
    )
    partner = models.ForeignKey(
        "roles.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="experiments",
        help_text="The agency partner that runs it (agency experiments only).",
    )

    # Design: frozen once approved.
    primary_metric = models.ForeignKey(
        Metric, null=True, blank=True, on_delete=models.PROTECT, related_name="primary_for"
    )
    secondary_metrics = models.ManyToManyField(Metric, blank=True, related_name="secondary_for")
    guardrail_metrics = models.ManyToManyField(Metric, blank=True, related_name="guardrail_for")
    alpha = models.FloatField(default=0.05)
    power = models.FloatField(default=0.8)
    mde = models.FloatField("MDE", null=True, blank=True, help_text="Relative, e.g. 0.05 = +5 %.")
    baseline = models.FloatField(
        null=True,
        blank=True,
        help_text="Control conversion rate (binomial) or mean per user (mean metrics).",
    )
    baseline_sd = models.FloatField(
        "baseline standard deviation",
        null=True,
        blank=True,
        help_text="Per-user standard deviation (mean metrics only).",
    )
    daily_traffic = models.PositiveIntegerField(
        null=True, blank=True, help_text="Users entering the experiment per day, all variants."
    )
    method = models.CharField(
        max_length=16, choices=AnalysisMethod.choices, default=AnalysisMethod.FREQUENTIST
    )
    correction = models.CharField(
        max_length=24, choices=Correction.choices, default=Correction.NONE
    )
    sequential_tau = models.FloatField(
        "sequential τ", null=True, blank=True, help_text="Mixture standard deviation for mSPRT."
    )
    min_run_weeks = models.PositiveSmallIntegerField(
        "minimum run time (weeks)",
        default=1,
        help_text="Full weeks the test runs at least, whatever its sample.",
    )
    # Written before launch, frozen at approval (analytics.stats.decision_rule.DecisionRule).
    decision_rule = models.JSONField(default=default_decision_rule)
    # The template (protocol) the design was made from, if any: its locked fields stay.
    template = models.ForeignKey(
        ExperimentTemplate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="experiments",
    )

    # Impact model for the objective ledger.
    reach_per_year = models.PositiveIntegerField(null=True, blank=True)
    value_per_conversion = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )

    # What the test cost, for the return on experiments per partner (docs/insights.md).
    build_cost = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Design and build, in the reporting currency.",
    )
    media_cost = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Paid media bought for the test, in the reporting currency.",
    )

    # Lifecycle (written by experiments.lifecycle only).
    status = models.CharField(
        max_length=16,
        choices=ExperimentStatus.choices,
        default=ExperimentStatus.DRAFT,
        db_index=True,
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    recommendation = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    analysis = models.TextField(blank=True)
    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    learnings = models.TextField(blank=True)
    kill_reason = models.CharField(max_length=24, choices=KillReason.choices, blank=True)
    kill_note = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        # Lists show the newest first: a page is an index range, not a sort of every row.
        indexes = [models.Index(fields=["-created_at", "-id"], name="experiment_newest_first")]
        constraints = [
            FieldCheckConstraint(
                condition=Q(alpha__gt=0) & Q(alpha__lt=0.5),
                name="experiment_alpha_range",
                field="alpha",
                violation_error_message="Alpha must lie strictly between 0 and 0.5.",
            ),
            FieldCheckConstraint(
                condition=Q(power__gt=0.5) & Q(power__lt=1),
                name="experiment_power_range",
                field="power",
                violation_error_message="Power must lie strictly between 0.5 and 1.",
            ),
            FieldCheckConstraint(
                condition=Q(mde__isnull=True) | Q(mde__gt=0),
                name="experiment_mde_positive",
                field="mde",
                violation_error_message="The MDE must be greater than 0.",
            ),
            FieldCheckConstraint(
                condition=Q(min_run_weeks__lte=12),
                name="experiment_min_run_weeks_range",
                field="min_run_weeks",
                violation_error_message="The minimum run time is at most 12 weeks.",
            ),
            FieldCheckConstraint(
                condition=Q(sequential_tau__isnull=True) | Q(sequential_tau__gt=0),
                name="experiment_tau_positive",
                field="sequential_tau",
                violation_error_message="τ must be greater than 0.",
            ),
            FieldCheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="experiment_dates_in_order",
                field="end_date",
                violation_error_message="The end date must not be before the start date.",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.executed_by == self.ExecutedBy.AGENCY and not self.partner_id:
            raise ValidationError({"partner": "Name the agency partner that runs it."})
        if self.executed_by != self.ExecutedBy.AGENCY and self.partner_id:
            raise ValidationError({"partner": "Only an agency experiment names a partner."})

    @property
    def deciding_metric(self) -> Metric:
        """The metric that decides the test: the primary metric, else (a design that names
        none) the hypothesis's metric."""
        return self.primary_metric or self.hypothesis.metric

    @property
    def deciding_metric_id(self) -> int:
        """The id of :attr:`deciding_metric`, reading no row when the design names one."""
        return self.primary_metric_id or self.hypothesis.metric_id

    @staticmethod
    def deciding_metric_column(name: str, *, via: str = "") -> Coalesce:
        """Field ``name`` of :attr:`deciding_metric` in SQL (``"id"``, ``"kind"``, …); ``via``
        is the path to the experiment from the rows queried (``"experiment__"`` from results)."""
        return Coalesce(f"{via}primary_metric__{name}", f"{via}hypothesis__metric__{name}")

    @property
    def is_shipped(self) -> bool:
        """Concluded with a "scale" decision (:data:`SHIPPED`)."""
        return is_shipped(self.status, self.decision)

    @property
    def design_is_frozen(self) -> bool:
        # Only drafts change: what is in review is what the CMO approves.
        return self.status != ExperimentStatus.DRAFT


class Variant(models.Model):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="variants")
    key = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    is_control = models.BooleanField(default=False)
    weight = models.FloatField(help_text="Share of traffic, in (0, 1]; all weights sum to 1.")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["-is_control", "key"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "key"], name="variant_unique_key"),
            models.UniqueConstraint(
                fields=["experiment"], condition=Q(is_control=True), name="variant_one_control"
            ),
            FieldCheckConstraint(
                condition=Q(weight__gt=0) & Q(weight__lte=1),
                name="variant_weight_range",
                field="weight",
                violation_error_message="A weight must lie in (0, 1].",
            ),
        ]

    def __str__(self):
        return f"{self.name}{' (control)' if self.is_control else ''}"


class StatusChange(models.Model):
    """One lifecycle step: the audit trail and the timeline."""

    experiment = models.ForeignKey(
        Experiment, on_delete=models.CASCADE, related_name="status_changes"
    )
    step = models.CharField(max_length=24, choices=Step.choices)
    from_status = models.CharField(max_length=16, choices=ExperimentStatus.choices)
    to_status = models.CharField(max_length=16, choices=ExperimentStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    # A call against the plan or the verdict (docs/decisions.md, "Overrides"): what it went
    # against, and the reason the actor gave. Empty when the step followed the plan.
    overridden = models.JSONField(default=list, blank=True)
    override_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.experiment}: {self.from_status} → {self.to_status}"


class Comment(models.Model):
    """A comment on an experiment or a hypothesis (exactly one of the two)."""

    experiment = models.ForeignKey(
        Experiment, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    hypothesis = models.ForeignKey(
        Hypothesis, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(experiment__isnull=False) & Q(hypothesis__isnull=True))
                | (Q(experiment__isnull=True) & Q(hypothesis__isnull=False)),
                name="comment_on_exactly_one",
            )
        ]

    def __str__(self):
        return f"{self.author}: {self.body[:40]}"
