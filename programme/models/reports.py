"""Board packs: the programme over a month or a quarter."""

from django.conf import settings
from django.db import models


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
