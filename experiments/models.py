"""Objectives, segments, metrics, hypotheses, experiments and their audit trail (docs/architecture.md, "Apps and their direction").

Status fields are written only by the services in ``experiments.lifecycle`` and
``experiments.services``; everything that can be derived (ICE score, CAC, sample size) is a
property, not a column.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import Q
from django.db.models.functions import Coalesce

from roles.models import Channel, Team

from .scores import HypothesisQuerySet, ice, rice

ICE_RANGE = [MinValueValidator(1), MaxValueValidator(10)]


class FieldCheckConstraint(models.CheckConstraint):
    """A check constraint that ``full_clean`` reports against one field, so forms and the
    API show its message beside that field rather than above the form."""

    def __init__(self, *, field: str, **kwargs):
        self.field = field
        super().__init__(**kwargs)

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        try:
            super().validate(model, instance, exclude=exclude, using=using)
        except ValidationError as error:
            raise ValidationError({self.field: error.error_list}) from error

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs["field"] = self.field
        return path, args, kwargs

    def __eq__(self, other):
        return super().__eq__(other) and self.field == getattr(other, "field", None)


class Objective(models.Model):
    class Unit(models.TextChoices):
        CURRENCY = "currency", "Currency"
        COUNT = "count", "Count"
        PERCENT = "percent", "Percent"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ACHIEVED = "achieved", "Achieved"
        MISSED = "missed", "Missed"
        RETIRED = "retired", "Retired"

    name = models.CharField(max_length=200)
    kpi = models.CharField("KPI", max_length=200)
    unit = models.CharField(max_length=16, choices=Unit.choices, default=Unit.CURRENCY)
    baseline = models.DecimalField(max_digits=16, decimal_places=2)
    target = models.DecimalField(max_digits=16, decimal_places=2)
    target_date = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="objectives"
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["target_date", "name"]
        constraints = [
            FieldCheckConstraint(
                condition=~Q(target=models.F("baseline")),
                name="objective_target_differs",
                field="target",
                violation_error_message="The target must differ from the baseline.",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def gap(self):
        return self.target - self.baseline


class Segment(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUNSET = "sunset", "Sunset"

    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    owner_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="segments")
    monthly_reach = models.PositiveIntegerField(help_text="People reached per month.")
    definition = models.TextField(help_text="Who is in this segment, precisely.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    launched_on = models.DateField(null=True, blank=True)
    sunset_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="segment_unique_name_per_parent"
            ),
            FieldCheckConstraint(
                condition=Q(sunset_on__isnull=True)
                | Q(launched_on__isnull=True)
                | Q(sunset_on__gte=models.F("launched_on")),
                name="segment_sunset_after_launch",
                field="sunset_on",
                violation_error_message="A segment cannot be sunset before it was launched.",
            ),
        ]

    def __str__(self):
        return self.path

    @property
    def path(self) -> str:
        return segment_path(self, lambda segment: segment.parent)

    def sunset_problem(self) -> str | None:
        """Why no new work may target this segment, or None while it is active."""
        if self.status == self.Status.SUNSET:
            return f"“{self.name}” has been sunset; choose an active segment."
        return None

    def clean(self):
        node = self.parent
        while node is not None:
            if self.pk is not None and node.pk == self.pk:
                raise ValidationError({"parent": "A segment cannot sit below itself."})
            node = node.parent


def segment_path(segment: Segment | None, parent_of: Callable[[Segment], Segment | None]) -> str:
    """“Parent › child” from the root down; ``parent_of`` looks a parent up (a query or a dict).

    Stops at a repeated segment, so a cycle in bad data cannot loop forever."""
    names, node, seen = [], segment, set()
    while node is not None and node.pk not in seen:
        seen.add(node.pk)
        names.append(node.name)
        node = parent_of(node)
    return " › ".join(reversed(names))


class SegmentEconomics(models.Model):
    """One period's acquisition economics of a segment: CAC and value-to-cost derive from it."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="economics")
    period_start = models.DateField()
    period_end = models.DateField()
    customers_acquired = models.PositiveIntegerField()
    customer_value = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text="Total value of the customers acquired in the period.",
    )
    acquisition_cost = models.DecimalField(
        max_digits=16, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["segment", "-period_start"]
        verbose_name_plural = "segment economics"
        constraints = [
            models.UniqueConstraint(
                fields=["segment", "period_start"], name="economics_one_per_period"
            ),
            FieldCheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="economics_period_in_order",
                field="period_end",
                violation_error_message="The period must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(customer_value__gte=0) & Q(acquisition_cost__gte=0),
                name="economics_non_negative",
            ),
        ]

    def __str__(self):
        return f"{self.segment.name} {self.period_start:%Y-%m}"

    @property
    def cac(self):
        """Customer acquisition cost: cost / customers acquired (None with no customers)."""
        return self.acquisition_cost / self.customers_acquired if self.customers_acquired else None

    @property
    def value_to_cost(self):
        """Value of acquired customers per unit of acquisition cost (None when nothing spent)."""
        return self.customer_value / self.acquisition_cost if self.acquisition_cost else None


class Metric(models.Model):
    class Kind(models.TextChoices):
        BINOMIAL = "binomial", "Conversion (binomial)"
        MEAN = "mean", "Value per user (mean)"

    class Direction(models.TextChoices):
        HIGHER = "higher", "Higher is better"
        LOWER = "lower", "Lower is better"

    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    direction = models.CharField(max_length=16, choices=Direction.choices, default=Direction.HIGHER)
    unit = models.CharField(max_length=32, blank=True, help_text="e.g. %, EUR, seconds")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def higher_is_better(self) -> bool:
        return self.direction == self.Direction.HIGHER


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
            f"Because we observed {self.observation.rstrip('.')}, we believe {self.change.rstrip('.')} "
            f"for {self.segment.name} will cause {self.effect.rstrip('.')}; we will know when "
            f"{self.metric.name} moves by {self.expected_mde:.1%}."
        )


class ExperimentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    CONCLUDED = "concluded", "Concluded"
    KILLED = "killed", "Killed"


# Status groups: each rule about "which experiments count" is one of these, used everywhere.
# Submitted and not yet completed: what the objective ledger forecasts, and what the home
# page and the roll-ups count as "in flight".
IN_FLIGHT = (
    ExperimentStatus.IN_REVIEW,
    ExperimentStatus.APPROVED,
    ExperimentStatus.RUNNING,
    ExperimentStatus.PAUSED,
)

# Started and not completed: traffic is (or may again be) assigned. A segment with one of
# these cannot be sunset; a hypothesis stays "in test"; the analysis sweep revisits them; a
# reached sample size is worth an alert.
LIVE = (ExperimentStatus.RUNNING, ExperimentStatus.PAUSED)

# Started and not yet decided: result data is accepted and analysed, and a guardrail that
# goes bad still asks for a decision.
ACCEPTS_DATA = (ExperimentStatus.RUNNING, ExperimentStatus.PAUSED, ExperimentStatus.COMPLETED)

# Final: nothing more happens to these.
DECIDED = (ExperimentStatus.CONCLUDED, ExperimentStatus.KILLED)

# Not final yet: every status an experiment can still be killed from.
UNDECIDED = tuple(s for s in ExperimentStatus if s not in DECIDED)

# What occupies an operator against their capacity: designs and everything in flight.
OCCUPIES_OPERATOR = (ExperimentStatus.DRAFT, *IN_FLIGHT)

# Not started yet: no start date, no data.
NOT_STARTED = (ExperimentStatus.DRAFT, ExperimentStatus.IN_REVIEW, ExperimentStatus.APPROVED)


class Decision(models.TextChoices):
    SCALE = "scale", "Scale"
    ITERATE = "iterate", "Iterate"
    ABANDON = "abandon", "Abandon"


# Concluded with a "scale" decision: the winner ships, and a holdout keeps sending data after
# the test's end date so that the win can be re-checked (docs/insights.md, post-ship re-checks).
SHIPPED = Q(status=ExperimentStatus.CONCLUDED, decision=Decision.SCALE)


class Outcome(models.TextChoices):
    WON = "won", "Won"
    LOST = "lost", "Lost"
    INCONCLUSIVE = "inconclusive", "Inconclusive"


class KillReason(models.TextChoices):
    HARMFUL = "harmful", "Hurting users or revenue"
    BROKEN_SETUP = "broken_setup", "Broken set-up or tracking"
    STRATEGY_CHANGE = "strategy_change", "Strategy changed"
    DUPLICATE = "duplicate", "Duplicates another test"
    NO_TRAFFIC = "no_traffic", "Not enough traffic"
    OTHER = "other", "Other"


class AnalysisMethod(models.TextChoices):
    FREQUENTIST = "frequentist", "Frequentist"
    BAYESIAN = "bayesian", "Bayesian"
    SEQUENTIAL = "sequential", "Sequential (always valid)"


class Correction(models.TextChoices):
    NONE = "none", "None"
    HOLM = "holm", "Holm (family-wise)"
    BENJAMINI_HOCHBERG = "benjamini-hochberg", "Benjamini–Hochberg (FDR)"


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
    agency_name = models.CharField(max_length=200, blank=True)

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
        if self.executed_by == self.ExecutedBy.AGENCY and not self.agency_name:
            raise ValidationError({"agency_name": "Name the agency partner that runs it."})

    @property
    def deciding_metric(self) -> Metric:
        """The metric that decides the test: the primary metric, else (a design that names
        none) the hypothesis's metric."""
        return self.primary_metric or self.hypothesis.metric

    @staticmethod
    def deciding_metric_column(name: str, *, via: str = "") -> Coalesce:
        """Field ``name`` of :attr:`deciding_metric` in SQL (``"id"``, ``"kind"``, …); ``via``
        is the path to the experiment from the rows queried (``"experiment__"`` from results)."""
        return Coalesce(f"{via}primary_metric__{name}", f"{via}hypothesis__metric__{name}")

    @property
    def is_shipped(self) -> bool:
        """Concluded with a "scale" decision (:data:`SHIPPED`)."""
        return self.status == ExperimentStatus.CONCLUDED and self.decision == Decision.SCALE

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


class Step(models.TextChoices):
    """The lifecycle steps (their transitions are ``experiments.lifecycle.STEPS``)."""

    SUBMIT = "submit", "Submit"
    REQUEST_CHANGES = "request_changes", "Request changes"
    APPROVE = "approve", "Approve"
    START = "start", "Start"
    PAUSE = "pause", "Pause"
    RESUME = "resume", "Resume"
    COMPLETE = "complete", "Complete"
    CONCLUDE = "conclude", "Conclude"
    KILL = "kill", "Kill"


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
