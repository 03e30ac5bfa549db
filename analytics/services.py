"""Small writes of the analytics app that belong to no pipeline."""

from django.utils import timezone

from .selectors import unread_notifications


def notifications_mark_read(*, actor) -> int:
    """Mark every unread notification of ``actor``, who asks for their own, read; returns how
    many changed."""
    return unread_notifications(user=actor).update(read_at=timezone.now())
