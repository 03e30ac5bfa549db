"""What the programme keeps of its own: the nightly roll-ups, the insights' latest reports and the
re-checks of shipped winners. Written by the programme's services and tasks only.

The tables keep the names they were created under in ``analytics`` (the models moved with their
code; their rows did not need to).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from experiments.models import Experiment, Hypothesis, Metric, Variant


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


class BoardReport(models.Model):
    """A board pack: the programme over a month or a quarter, built by a task
    (``programme.reports``). ``content`` is the figures as they stood when it was built, so the
    HTML page and the PDF show the same numbers however the programme moves on."""

    class Period(models.TextChoices):
        MONTH = "month", "Month"
        QUARTER = "quarter", "Quarter"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        BUILDING = "building", "Building"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    period = models.CharField(max_length=8, choices=Period.choices)
    period_start = models.DateField()
    period_end = models.DateField(help_text="The last day the report covers.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent built.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="board_reports",
    )
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    content = models.JSONField(null=True, blank=True)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-period_start", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="board_report_period_in_order",
            )
        ]

    def __str__(self):
        return f"{self.get_period_display()} from {self.period_start}: {self.status}"


# --- post-mortems (docs/postmortems.md) -----------------------------------------------------


class Cause(models.TextChoices):
    """Why the result came out as it did: one category per post-mortem."""

    IDEA_HELD = "idea_held", "The idea held: it worked as we believed"
    IDEA_WRONG = "idea_wrong", "The idea was wrong"
    EFFECT_TOO_SMALL = "effect_too_small", "The effect was smaller than we could detect"
    WRONG_AUDIENCE = "wrong_audience", "Wrong audience or segment"
    EXECUTION = "execution", "Built or run differently from the design"
    MEASUREMENT = "measurement", "Measurement or tracking went wrong"
    OUTSIDE_EVENT = "outside_event", "An outside event (season, competitor, outage)"
    PRIORITIES = "priorities", "Priorities changed"
    OTHER = "other", "Other"


class ProcessFault(models.TextChoices):
    """What went wrong in the process; ``none`` stands alone."""

    DESIGN = "design", "Design"
    DATA = "data", "Data"
    EXECUTION = "execution", "Execution"
    TIMING = "timing", "Timing"
    PARTNER = "partner", "Partner"
    NONE = "none", "None"


class Postmortem(models.Model):
    """What an experiment taught, opened by its conclude or kill (``programme.postmortems``).

    ``believed`` and ``happened`` start from the hypothesis and the latest look; the numbers
    beside them (``lift`` …, ``verdict``) are a snapshot taken when it opened, so that learnings
    can be searched by metric and lift whatever the results do later.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        COMPLETE = "complete", "Complete"

    experiment = models.OneToOneField(
        Experiment, on_delete=models.CASCADE, related_name="postmortem"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by_step = models.CharField(max_length=10, help_text="conclude or kill")
    due_date = models.DateField(help_text="When it should be complete.")
    completed_at = models.DateTimeField(null=True, blank=True)
    believed = models.TextField("what we believed", blank=True)
    happened = models.TextField("what happened", blank=True)
    # The snapshot of the latest look on the primary metric (the best treatment).
    metric = models.ForeignKey(
        Metric, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    variant = models.CharField(max_length=200, blank=True)
    lift = models.FloatField(null=True, blank=True)
    lift_ci_low = models.FloatField(null=True, blank=True)
    lift_ci_high = models.FloatField(null=True, blank=True)
    p_value = models.FloatField(null=True, blank=True, help_text="The method's own p-value.")
    verdict = models.CharField(max_length=16, blank=True, help_text="The rule's verdict.")
    decision = models.CharField(
        max_length=16, blank=True, help_text="scale, iterate, abandon, or killed."
    )
    cause = models.CharField(max_length=20, choices=Cause.choices, blank=True)
    why = models.TextField(blank=True)
    fault_design = models.BooleanField(default=False)
    fault_data = models.BooleanField(default=False)
    fault_execution = models.BooleanField(default=False)
    fault_timing = models.BooleanField(default=False)
    fault_partner = models.BooleanField(default=False)
    fault_none = models.BooleanField(default=False)
    next_hypothesis = models.ForeignKey(
        Hypothesis, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]

    def __str__(self):
        return f"post-mortem of {self.experiment_id}"

    @property
    def faults(self) -> list[str]:
        return [f for f in ProcessFault.values if getattr(self, f"fault_{f}")]

    def is_overdue(self, today) -> bool:
        return self.status == self.Status.DRAFT and self.due_date < today


class PostmortemAction(models.Model):
    """Something a post-mortem asks someone to do, by a date."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="actions")
    text = models.CharField(max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="postmortem_actions"
    )
    due_date = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "pk"]

    def __str__(self):
        return self.text

    def is_overdue(self, today) -> bool:
        return self.done_at is None and self.due_date < today


class Notice(models.Model):
    """A message to one person that is not a result alert: what became of their idea, a
    post-mortem to write, something overdue (``programme.notices``). ``subject`` names what it
    is about, so that the same notice is never written twice."""

    class Kind(models.TextChoices):
        TRIAGE = "triage", "Idea triaged"
        APPROVAL = "approval", "Test approved"
        START = "start", "Test started"
        DECISION = "decision", "Test decided"
        POSTMORTEM_OPENED = "postmortem_opened", "Post-mortem to write"
        POSTMORTEM_COMPLETED = "postmortem_completed", "Post-mortem written"
        POSTMORTEM_OVERDUE = "postmortem_overdue", "Post-mortem overdue"
        ACTION_OVERDUE = "action_overdue", "Action overdue"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    subject = models.CharField(max_length=64, help_text="What it is about, e.g. experiment:12.")
    message = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    experiment = models.ForeignKey(
        Experiment, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    hypothesis = models.ForeignKey(
        Hypothesis, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "subject"], name="notice_once_per_subject"
            )
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notice_unread")]

    def __str__(self):
        return f"to {self.recipient_id}: {self.kind} {self.subject}"
