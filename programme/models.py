"""What the programme keeps of its own: the nightly roll-ups, the insights' latest reports and the
re-checks of shipped winners. Written by the programme's services and tasks only.

The tables keep the names they were created under in ``analytics`` (the models moved with their
code; their rows did not need to).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from experiments.models import Experiment, FieldCheckConstraint, Objective, Segment, Variant


class PortfolioRollup(models.Model):
    """Nightly programme numbers for one slice (objective, segment, channel, team or operator)."""

    class Dimension(models.TextChoices):
        PROGRAMME = "programme", "Whole programme"
        OBJECTIVE = "objective", "Objective"
        SEGMENT = "segment", "Segment"
        CHANNEL = "channel", "Channel"
        TEAM = "team", "Team"
        OPERATOR = "operator", "Operator"

    computed_on = models.DateField()
    dimension = models.CharField(max_length=16, choices=Dimension.choices)
    key = models.CharField(max_length=64, help_text="The slice's id, or its code for channels.")
    label = models.CharField(max_length=200)
    data = models.JSONField(help_text="Counts by status, win rate, velocity, cycle times, impact.")
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "analytics_portfoliorollup"
        ordering = ["-computed_on", "dimension", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["computed_on", "dimension", "key"], name="rollup_one_per_day"
            )
        ]

    def __str__(self):
        return f"{self.computed_on} {self.dimension} {self.label}"


class InsightReport(models.Model):
    """The latest computation of one programme insight (``programme/insights``), kept as the
    JSON its page and API endpoint read; the nightly roll-up replaces it."""

    name = models.CharField(max_length=32, unique=True)
    data = models.JSONField()
    computed_at = models.DateTimeField()
    seconds = models.FloatField(help_text="How long the computation took.")

    class Meta:
        db_table = "analytics_insightreport"
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} at {self.computed_at:%Y-%m-%d %H:%M}"


class ShipRecheck(models.Model):
    """A shipped winner measured again 30 or 90 days after its "scale" decision, on the data
    that came in after its end date (the holdout), beside the estimate the decision was taken on.
    Written by ``programme.portfolio.rechecks`` (again while it finds no data); the objective
    ledger uses the latest one."""

    class Verdict(models.TextChoices):
        HELD = "held", "Held up"
        FADED = "faded", "Faded"
        NO_DATA = "no_data", "No data since the ship"

    experiment = models.ForeignKey(
        Experiment, on_delete=models.CASCADE, related_name="ship_rechecks"
    )
    after_days = models.PositiveSmallIntegerField(help_text="Days after the decision: 30 or 90.")
    shipped_on = models.DateField(help_text="The day of the scale decision.")
    checked_on = models.DateField()
    variant = models.ForeignKey(
        Variant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    estimated_lift = models.FloatField(help_text="The lift the decision was taken on.")
    lift = models.FloatField(null=True, blank=True, help_text="The lift measured since.")
    lift_ci_low = models.FloatField(null=True, blank=True)
    lift_ci_high = models.FloatField(null=True, blank=True)
    users = models.PositiveIntegerField(default=0, help_text="Users counted since, both arms.")
    verdict = models.CharField(max_length=8, choices=Verdict.choices)

    class Meta:
        db_table = "analytics_shiprecheck"
        ordering = ["-checked_on", "experiment", "after_days"]
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "after_days"], name="ship_recheck_once_per_horizon"
            )
        ]

    def __str__(self):
        return f"{self.experiment_id} +{self.after_days}d: {self.verdict}"

    @property
    def retained(self) -> float | None:
        """Share of the estimated lift still there (1 = all of it)."""
        if self.lift is None or not self.estimated_lift:
            return None
        return self.lift / self.estimated_lift


class ReadoutShare(models.Model):
    """A link that opens one experiment's read-out without an account: signed, expiring and
    revocable (``programme.shares``). The link carries only this row's id, signed; whether it
    still opens is decided here, at every view."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="shares")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="readout_share_expires_after_creation",
                violation_error_message="A link must expire after it is created.",
            )
        ]

    def __str__(self):
        return f"read-out of experiment {self.experiment_id} until {self.expires_at:%Y-%m-%d}"

    def state_at(self, now) -> str:
        """``active``, ``expired`` or ``revoked``."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "active"


class ReadoutView(models.Model):
    """One opening of a shared read-out: when, and from which address."""

    share = models.ForeignKey(ReadoutShare, on_delete=models.CASCADE, related_name="views")
    viewed_at = models.DateTimeField(auto_now_add=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-viewed_at", "-pk"]

    def __str__(self):
        return f"share {self.share_id} viewed at {self.viewed_at:%Y-%m-%d %H:%M}"


class DigestFrequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    DAILY = "daily", "Daily"
    OFF = "off", "Off"


class DigestPreference(models.Model):
    """How often a person wants their digest, and where on Slack (docs/communication.md). A
    person without a row gets the weekly e-mail."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_preference"
    )
    frequency = models.CharField(
        max_length=8, choices=DigestFrequency.choices, default=DigestFrequency.WEEKLY
    )
    slack_webhook_url = models.URLField(
        "Slack webhook URL",
        blank=True,
        help_text="An incoming webhook; empty: the site's default, if any.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.user}: {self.frequency}"


class DigestDelivery(models.Model):
    """One digest of one period on one channel, written before it is sent: a retried task finds
    it and sends nothing twice (``programme.digests.delivery``)."""

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        SLACK = "slack", "Slack"

    class Status(models.TextChoices):
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        EMPTY = "empty", "Nothing to say"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_deliveries"
    )
    period_start = models.DateField(help_text="The first day of the period the digest is for.")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.SENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-period_start", "user", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "period_start", "channel"],
                name="digest_once_per_period_and_channel",
                violation_error_message="This period's digest is already on its way.",
            )
        ]

    def __str__(self):
        return f"{self.user} {self.period_start} {self.channel}: {self.status}"


class ObjectiveMeasurement(models.Model):
    """The objective's KPI as measured on one day, in the objective's unit. Unique per objective
    and day: an upload that sends a day again replaces its value (``programme.measurements``)."""

    class Source(models.TextChoices):
        UPLOAD = "upload", "Upload"
        FORM = "form", "Form"
        DEMO = "demo", "Demo"

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="measurements")
    date = models.DateField()
    value = models.DecimalField(max_digits=16, decimal_places=2)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.UPLOAD)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["objective", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["objective", "date"],
                name="objective_measurement_one_per_day",
                violation_error_message="This objective already has a value for that day.",
            )
        ]

    def __str__(self):
        return f"{self.objective_id} {self.date}: {self.value}"


class Holdout(models.Model):
    """A share of a segment's users kept away from every change shipped into it from
    ``started_on``: comparing them with the exposed users measures what the shipped changes
    did together (``programme.holdouts``)."""

    class Kind(models.TextChoices):
        CONVERSION = "conversion", "Conversions (users and conversions per day)"
        VALUE = "value", "Value per user (users, sum and sum of squares per day)"

    name = models.CharField(max_length=200)
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="holdouts")
    share = models.FloatField(help_text="The share of the segment's users kept away (0 to 1).")
    started_on = models.DateField()
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CONVERSION)
    objective = models.ForeignKey(
        Objective, null=True, blank=True, on_delete=models.SET_NULL, related_name="holdouts"
    )
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_on", "name", "pk"]
        constraints = [
            FieldCheckConstraint(
                condition=models.Q(share__gt=0) & models.Q(share__lt=1),
                name="holdout_share_between_0_and_1",
                field="share",
                violation_error_message="The share kept away must be above 0 and below 1.",
            )
        ]

    def __str__(self):
        return self.name


class HoldoutObservation(models.Model):
    """One day of one group of a holdout: users and conversions, or users, sum and sum of squares
    of the value per user. Unique per (holdout, group, day); re-sending a day replaces it."""

    class Group(models.TextChoices):
        HOLDOUT = "holdout", "Holdout"
        EXPOSED = "exposed", "Exposed"

    holdout = models.ForeignKey(Holdout, on_delete=models.CASCADE, related_name="observations")
    date = models.DateField()
    group = models.CharField(max_length=8, choices=Group.choices)
    users = models.PositiveBigIntegerField()
    conversions = models.PositiveBigIntegerField(null=True, blank=True)
    sum = models.FloatField(null=True, blank=True)
    sum_squares = models.FloatField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["holdout", "date", "group"]
        constraints = [
            models.UniqueConstraint(
                fields=["holdout", "group", "date"], name="holdout_observation_one_per_day"
            )
        ]

    def __str__(self):
        return f"{self.holdout_id} {self.date} {self.group}"
