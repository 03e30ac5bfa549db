"""Reads for pages and the API: the latest results, notifications."""

from django.db.models import Max, Q

from .models import Notification, Result


def latest_results(experiment) -> list[Result]:
    """Each metric's newest snapshot (control first)."""
    newest = experiment.results.values("metric_id").annotate(look=Max("look")).order_by()
    condition = Q()
    for row in newest:
        condition |= Q(metric_id=row["metric_id"], look=row["look"])
    if not condition:
        return []
    return list(
        experiment.results.filter(condition)
        .select_related("metric", "variant")
        .order_by("metric__name", "-is_control", "variant__key")
    )


def unread_notifications(user):
    """The user's notifications not yet marked read (the top bar counts them)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True)
