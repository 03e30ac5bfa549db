"""Small writes of the analytics app that belong to no pipeline."""

from django.utils import timezone

from .selectors import unread_notifications


def notifications_mark_read(*, user) -> int:
    """Mark every unread notification of ``user`` read; returns how many changed."""
    return unread_notifications(user).update(read_at=timezone.now())
