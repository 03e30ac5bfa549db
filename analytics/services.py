"""Small writes of the analytics app that belong to no pipeline."""

from django.utils import timezone

from .models import Notification


def notifications_mark_read(*, user) -> int:
    """Mark every unread notification of ``user`` read; returns how many changed."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
