"""Reads for pages and the API: the latest results, notifications, raw events."""

from django.db.models import OuterRef, QuerySet, Subquery

from experiments.selectors import experiment_list_for_user

from .models import Event, Notification, Result

# Each metric's results with the control first.
LATEST_ORDER = ("metric__name", "-is_control", "variant__key")


def newest_looks(results: QuerySet[Result]) -> QuerySet[Result]:
    """Only the snapshots of each experiment's metrics' newest look, in ``LATEST_ORDER``."""
    newest_look = (
        Result.objects.filter(experiment=OuterRef("experiment"), metric=OuterRef("metric"))
        .order_by("-look")
        .values("look")[:1]
    )
    return results.filter(look=Subquery(newest_look)).order_by(*LATEST_ORDER)


def latest_results(experiment) -> list[Result]:
    """Each metric's newest snapshot (control first), in one query."""
    return list(newest_looks(experiment.results).select_related("metric", "variant"))


def unread_notifications(*, user):
    """The user's notifications not yet marked read whose alert is still open (the top bar
    counts them): a resolved alert no longer asks for anyone's attention."""
    return Notification.objects.filter(
        recipient=user, read_at__isnull=True, alert__resolved_at__isnull=True
    )


def event_list_for_user(*, user) -> QuerySet[Event]:
    """The raw events of the experiments the user may see, in the order they arrived (id)."""
    visible = experiment_list_for_user(user=user).select_related(None).values("id")
    return Event.objects.filter(experiment_id__in=visible).order_by("id")


def result_list_for_user(*, user) -> QuerySet:
    """The experiments whose latest results ``user`` may read, as the portfolio read pages
    them (``/api/v1/results/``): the fields of the page's rows only; their snapshots are read
    for a page at once (``api.results.newest_results_presented``)."""
    return (
        experiment_list_for_user(user=user)
        .select_related(None)
        .only("id", "key", "name", "status", "method", "start_date", "end_date")
    )
