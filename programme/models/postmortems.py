"""Post-mortems, their actions, and the notices that tell people what became of their work."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from experiments.models import (
    Decision,
    Experiment,
    Hypothesis,
    Metric,
)

# What a post-mortem records as the call: the decision of a concluded experiment, or "killed".
POSTMORTEM_DECISIONS = [*Decision.values, "killed"]
# The lifecycle steps that open one (programme.apps hooks them).
POSTMORTEM_STEPS = ["conclude", "kill"]


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
