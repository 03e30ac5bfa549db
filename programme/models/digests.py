"""Who wants which digest, and each digest sent (once per person, period and channel)."""

from django.conf import settings
from django.db import models


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
