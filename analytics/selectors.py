"""Reads for pages and the API: the latest results, notifications."""

from django.db.models import OuterRef, Subquery

from .models import Notification, Result


def latest_results(experiment) -> list[Result]:
    """Each metric's newest snapshot (control first), in one query."""
    newest_look = (
        Result.objects.filter(experiment=OuterRef("experiment"), metric=OuterRef("metric"))
        .order_by("-look")
        .values("look")[:1]
    )
    return list(
        experiment.results.filter(look=Subquery(newest_look))
        .select_related("metric", "variant")
        .order_by("metric__name", "-is_control", "variant__key")
    )


def unread_notifications(user):
    """The user's notifications not yet marked read (the top bar counts them)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True)
