"""Webhook endpoints the CMO registers, the deliveries made to them, and the outbox cursors.

Events are read from rows other apps already write (lifecycle steps, alerts, results), so
nothing outside this app knows webhooks exist; see ``outbox.py``.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class WebhookEvent(models.TextChoices):
    EXPERIMENT_SUBMITTED = "experiment.submitted", "Experiment submitted for review"
    EXPERIMENT_APPROVED = "experiment.approved", "Experiment approved"
    EXPERIMENT_KILLED = "experiment.killed", "Experiment killed"
    EXPERIMENT_STARTED = "experiment.started", "Experiment started"
    EXPERIMENT_COMPLETED = "experiment.completed", "Experiment completed"
    EXPERIMENT_CONCLUDED = "experiment.concluded", "Experiment concluded"
    SIGNIFICANCE_REACHED = "significance.reached", "A metric reached significance"
    SRM_DETECTED = "srm.detected", "Sample ratio mismatch detected"
    GUARDRAIL_WORSE = "guardrail.worse", "A guardrail metric is significantly worse"


# Sent by "test" on an endpoint; nobody subscribes to it.
PING = "ping"


def validate_events(value) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError("Name at least one event.")
    unknown = [v for v in value if v not in WebhookEvent.values]
    if unknown:
        raise ValidationError(
            f"Unknown event(s): {', '.join(map(str, unknown))}. Events: {', '.join(WebhookEvent.values)}."
        )
    if len(set(value)) != len(value):
        raise ValidationError("Name each event once.")


class WebhookEndpoint(models.Model):
    url = models.URLField(max_length=500, help_text="http(s) URL that receives the POSTs.")
    secret = models.CharField(
        max_length=64, editable=False, help_text="Signs every payload (HMAC-SHA256)."
    )
    events = models.JSONField(
        default=list,
        validators=[validate_events],
        error_messages={"blank": "Name at least one event."},
    )
    description = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one endpoint; ``source`` names the row it came from."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40)
    source = models.CharField(
        max_length=80, help_text="The row the event came from, e.g. status_change:123."
    )
    payload = models.JSONField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        default=timezone.now, help_text="Not tried again before this (a retry or a running try)."
    )
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "source"],
                name="webhook_delivery_once",
                violation_error_message="This event was already queued for this endpoint.",
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.event} → {self.endpoint_id} ({self.status})"


class WebhookCursor(models.Model):
    """How far the outbox has read one source table (rows up to ``last_id`` are settled)."""

    name = models.CharField(max_length=32, unique=True)
    last_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.name} at {self.last_id}"
