"""Result data in and statistics out (docs/architecture.md, "Apps and their direction"): observations, raw events, result snapshots,
event roll-up state and alerts. Written by the analytics services and the Celery tasks only."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from experiments.models import AnalysisMethod, Experiment, Metric, Variant

from .stats import is_significant


class ObservationQuerySet(models.QuerySet):
    def overall(self):
        """The overall rows only (no dimension): what the analysis, exports and roll-ups read."""
        return self.filter(dimension="")

    def sliced(self, dimension: str):
        """The rows of one dimension's slices (``device``: one row per device per day)."""
        return self.filter(dimension=dimension).exclude(dimension="")


class Observation(models.Model):
    """Daily sums per experiment × variant × metric; re-sending a day replaces it.

    Binomial metrics fill ``conversions``; mean metrics fill ``sum`` and ``sum_squares``.
    The three covariate sums are optional pre-period data for CUPED.

    A row with a ``dimension`` (``device``) and its ``dimension_value`` (``mobile``) is one
    slice's numbers for that day; the overall row has neither (``""``). Only the overall rows
    are the experiment's data for its analysis, exports and roll-ups (``.overall()``); the
    slices are read by the results by dimension (``analytics/slices.py``).
    """

    class Source(models.TextChoices):
        UPLOAD = "upload", "Upload"
        EVENTS = "events", "Event roll-up"
        WAREHOUSE = "warehouse", "Warehouse"

    # No single-column indexes on experiment and variant: the (experiment, metric) index and
    # the one-per-day constraint (variant first) serve those look-ups already.
    experiment = models.ForeignKey(
        Experiment, on_delete=models.CASCADE, related_name="observations", db_index=False
    )
    variant = models.ForeignKey(
        Variant, on_delete=models.CASCADE, related_name="observations", db_index=False
    )
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="observations")
    date = models.DateField()
    users = models.PositiveIntegerField()
    conversions = models.PositiveIntegerField(null=True, blank=True)
    sum = models.FloatField(null=True, blank=True)
    sum_squares = models.FloatField(null=True, blank=True)
    covariate_sum = models.FloatField(null=True, blank=True)
    covariate_sum_squares = models.FloatField(null=True, blank=True)
    cross_sum = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.UPLOAD)
    # The version of the warehouse metric definition that computed the row (docs/warehouse.md);
    # empty for uploads and events.
    metric_version = models.PositiveIntegerField(null=True, blank=True)
    # "" is the overall row; the database fills it too, so a raw INSERT may leave it out.
    dimension = models.CharField(max_length=32, default="", db_default="", blank=True)
    dimension_value = models.CharField(max_length=64, default="", db_default="", blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ObservationQuerySet.as_manager()

    class Meta:
        ordering = ["experiment", "date", "variant", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["variant", "metric", "date", "dimension", "dimension_value"],
                name="observation_one_per_day",
            ),
            models.CheckConstraint(
                condition=(Q(dimension="") & Q(dimension_value=""))
                | (~Q(dimension="") & ~Q(dimension_value="")),
                name="observation_dimension_with_value",
                violation_error_message="A dimension needs a value, and a value its dimension.",
            ),
            models.CheckConstraint(
                condition=Q(conversions__isnull=True) | Q(conversions__lte=F("users")),
                name="observation_conversions_within_users",
            ),
            models.CheckConstraint(
                condition=Q(sum_squares__isnull=True) | Q(sum_squares__gte=0),
                name="observation_sum_squares_non_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["experiment", "metric"]),
            # An experiment's dimensions (analytics.dimensions) and one dimension's slices.
            models.Index(fields=["experiment", "dimension"], name="observation_exp_dimension"),
        ]

    def __str__(self):
        return f"{self.experiment_id}/{self.variant_id}/{self.metric_id} {self.date}"


class Event(models.Model):
    """A raw exposure or conversion, keys already resolved to ids at ingestion."""

    class Kind(models.IntegerChoices):
        EXPOSURE = 1, "exposure"
        CONVERSION = 2, "conversion"

    # No database FK checks on this append-only firehose: ingestion resolves and checks every id
    # itself, and the per-row checks cost more than the COPY (docs/events.md).
    experiment = models.ForeignKey(
        Experiment, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    variant = models.ForeignKey(
        Variant, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    metric = models.ForeignKey(
        Metric,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    user_id = models.CharField(max_length=128)
    kind = models.PositiveSmallIntegerField(choices=Kind.choices)
    value = models.FloatField(null=True, blank=True)
    timestamp = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["experiment", "user_id"], name="event_experiment_user"),
            # One experiment's events in arrival order: the list's cursor (GET /api/v1/events/).
            models.Index(fields=["experiment", "id"], name="event_experiment_id"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.user_id} @ {self.timestamp:%Y-%m-%d %H:%M}"


class Assignment(models.Model):
    """A user's first exposure in an experiment: the variant they count in, and when."""

    # Identified by (experiment, user): one index, which the roll-up both looks up and keeps
    # up to date for every new user (a separate id would double the index writes). Ids are
    # copied from validated events, so no per-row foreign-key checks either.
    pk = models.CompositePrimaryKey("experiment", "user_id")
    experiment = models.ForeignKey(
        Experiment, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    user_id = models.CharField(max_length=128)
    variant = models.ForeignKey(
        Variant, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    first_exposed_at = models.DateTimeField()

    def __str__(self):
        return f"{self.user_id} → variant {self.variant_id}"


class RollupWatermark(models.Model):
    """How far ``events_rollup`` has read the event table (events up to ``last_event_id``)."""

    name = models.CharField(max_length=64, unique=True)
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.name} at event {self.last_event_id}"


class AnalysisState(models.Model):
    """Whether an experiment's results are behind its data.

    ``data_version`` goes up with every change to the observations; a result snapshot is
    stored per version ("look"), so a redelivered analysis writes the same look again
    instead of a new one, and ``stale`` is cleared only if no newer data arrived meanwhile.
    """

    experiment = models.OneToOneField(
        Experiment, on_delete=models.CASCADE, related_name="analysis_state"
    )
    data_version = models.PositiveIntegerField(default=0)
    analysed_version = models.PositiveIntegerField(default=0)
    stale = models.BooleanField(default=False, db_index=True)
    last_analysed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"experiment {self.experiment_id} v{self.data_version}" + (
            " (stale)" if self.stale else ""
        )


class Result(models.Model):
    """One snapshot of the statistics for an experiment × metric × variant at one look."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="results")
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="+")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="+")
    look = models.PositiveIntegerField()
    computed_at = models.DateTimeField(auto_now_add=True)
    is_control = models.BooleanField(default=False)
    users = models.PositiveIntegerField()
    mean = models.FloatField(null=True)
    diff = models.FloatField(null=True)
    diff_ci_low = models.FloatField(null=True)
    diff_ci_high = models.FloatField(null=True)
    lift = models.FloatField(null=True)
    lift_ci_low = models.FloatField(null=True)
    lift_ci_high = models.FloatField(null=True)
    p_value = models.FloatField(null=True)
    p_value_adjusted = models.FloatField(null=True)
    sequential_p_value = models.FloatField(null=True)
    chance_to_beat_control = models.FloatField(null=True)
    expected_loss = models.FloatField(null=True)
    srm_p_value = models.FloatField(null=True)
    alpha = models.FloatField()
    method = models.CharField(
        max_length=16, choices=AnalysisMethod.choices, default=AnalysisMethod.FREQUENTIST
    )
    cuped = models.BooleanField(default=False)
    # The newest warehouse metric definition version among the rows this look summed; empty
    # when none came from the warehouse.
    metric_version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["experiment", "metric", "look", "-is_control", "variant"]
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "metric", "variant", "look"], name="result_one_per_look"
            )
        ]
        indexes = [models.Index(fields=["experiment", "look"])]

    def __str__(self):
        return (
            f"experiment {self.experiment_id} look {self.look}: {self.metric_id}/{self.variant_id}"
        )

    @property
    def significant(self) -> bool:
        return is_significant(
            method=self.method,
            alpha=self.alpha,
            p_value_adjusted=self.p_value_adjusted,
            sequential_p_value=self.sequential_p_value,
            chance_to_beat_control=self.chance_to_beat_control,
        )

    @property
    def srm_detected(self) -> bool:
        from analytics.stats import SRM_THRESHOLD

        return self.srm_p_value is not None and self.srm_p_value < SRM_THRESHOLD


class Alert(models.Model):
    """A condition raised once per experiment (and metric, for guardrails); resolved when the
    condition ends, opened again if it comes back (``analysis/alerts.py``)."""

    class Kind(models.TextChoices):
        SRM = "srm", "Sample ratio mismatch"
        SAMPLE_REACHED = "sample_reached", "Required sample size reached"
        GUARDRAIL = "guardrail", "Guardrail metric significantly worse"
        OVERDUE = "overdue", "Running past its planned duration"
        DECISION_OVERDUE = "decision_overdue", "Decision waiting past its deadline"
        FADING_WINNER = "fading_winner", "Shipped winner fading"
        REFRESH_FAILED = "refresh_failed", "Warehouse refresh failed"

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    metric = models.ForeignKey(
        Metric, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    message = models.TextField()
    raised_at = models.DateTimeField(auto_now_add=True)
    # When its cause ended (acknowledged, decided, recovered); open alerts have none. A resolved
    # alert leaves the open lists and counts and stays in the history.
    resolved_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "kind", "metric"],
                name="alert_once_per_metric",
                condition=Q(metric__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["experiment", "kind"], name="alert_once", condition=Q(metric__isnull=True)
            ),
        ]

    def __str__(self):
        return self.message


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "alert"], name="notification_once")
        ]

    def __str__(self):
        return f"to {self.recipient_id}: {self.alert_id}"


class SrmAcknowledgement(models.Model):
    """Someone with the right looked at a sample-ratio mismatch and chose to read on.

    One per experiment: until it exists, a mismatch hides the reading of the results and
    completing the experiment asks for confirmation.
    """

    experiment = models.OneToOneField(
        Experiment, on_delete=models.CASCADE, related_name="srm_acknowledgement"
    )
    look = models.PositiveIntegerField(help_text="The look at which the mismatch was seen.")
    srm_p_value = models.FloatField(help_text="The SRM test's p-value at that look.")
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    def __str__(self):
        return f"SRM of experiment {self.experiment_id} acknowledged at look {self.look}"
