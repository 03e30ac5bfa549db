"""Read-outs shared by link, and each opening of one."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from experiments.models import (
    Experiment,
)


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

    STATES = ("active", "expired", "revoked")

    def state_at(self, now) -> str:
        """One of ``STATES``."""
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
