"""The outbox: webhook events read from rows the other apps already write.

| Source row | Event |
|---|---|
| ``experiments.StatusChange`` (step submit, approve, kill, start, complete, conclude) | ``experiment.<step>ed`` |
| ``analytics.Alert`` (kind srm, guardrail) | ``srm.detected``, ``guardrail.worse`` |
| ``analytics.Result``: the first look at which a metric is significant for a variant | ``significance.reached`` |

Each source has a cursor (``WebhookCursor``): the id up to which its rows are settled. A row
counts as settled once it is older than the longest a transaction can stay open (the hard task
time limit + a minute): ids are handed out when a row is written but become visible when its
transaction commits, so a row read now may still be followed by a smaller id committed later.
Each run therefore reads every row past the cursor, settled or not, makes the deliveries that
do not exist yet (one per endpoint and source row: a unique key), and moves the cursor over the
settled ones only. Reading a few minutes of rows twice costs little; losing one would not.
"""

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q, Value
from django.urls import reverse
from django.utils import timezone

from analytics.models import Alert, Result
from experiments.models import Experiment, StatusChange

from .models import WebhookCursor, WebhookDelivery, WebhookEndpoint, WebhookEvent

STEP_EVENTS = {
    "submit": WebhookEvent.EXPERIMENT_SUBMITTED,
    "approve": WebhookEvent.EXPERIMENT_APPROVED,
    "kill": WebhookEvent.EXPERIMENT_KILLED,
    "start": WebhookEvent.EXPERIMENT_STARTED,
    "complete": WebhookEvent.EXPERIMENT_COMPLETED,
    "conclude": WebhookEvent.EXPERIMENT_CONCLUDED,
}
ALERT_EVENTS = {
    Alert.Kind.SRM: WebhookEvent.SRM_DETECTED,
    Alert.Kind.GUARDRAIL: WebhookEvent.GUARDRAIL_WORSE,
}
# A pending delivery whose try was due this long ago lost its task (broker down when it was
# queued, a worker gone): the dispatch queues it again.
STUCK_AFTER = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Occurrence:
    """One event from one source row."""

    source: str  # "status_change:123": the idempotency key, with the endpoint
    event: str
    at: dt.datetime
    data: dict


def settle_period() -> dt.timedelta:
    return dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


# --- the sources ------------------------------------------------------------------------


def _experiment(experiment: Experiment) -> dict:
    path = reverse("experiments:detail", args=[experiment.pk])
    return {
        "id": experiment.pk,
        "key": experiment.key,
        "name": experiment.name,
        "status": experiment.status,
        "url": settings.SITE_URL.rstrip("/") + path,
    }


def status_change_occurrences(after: int) -> list[Occurrence]:
    changes = (
        StatusChange.objects.filter(id__gt=after, step__in=STEP_EVENTS)
        .select_related("experiment", "actor")
        .order_by("id")
    )
    return [
        Occurrence(
            source=f"status_change:{change.pk}",
            event=STEP_EVENTS[change.step],
            at=change.created_at,
            data={
                "experiment": _experiment(change.experiment),
                "step": change.step,
                "from_status": change.from_status,
                "to_status": change.to_status,
                "actor": {"username": change.actor.get_username(), "name": str(change.actor)},
                "note": change.note,
            },
        )
        for change in changes
    ]


def alert_occurrences(after: int) -> list[Occurrence]:
    alerts = (
        Alert.objects.filter(id__gt=after, kind__in=ALERT_EVENTS)
        .select_related("experiment", "metric")
        .order_by("id")
    )
    return [
        Occurrence(
            source=f"alert:{alert.pk}",
            event=ALERT_EVENTS[alert.kind],
            at=alert.raised_at,
            data={
                "experiment": _experiment(alert.experiment),
                "alert": {
                    "id": alert.pk,
                    "kind": alert.kind,
                    "metric": alert.metric.key if alert.metric else None,
                    "raised_at": alert.raised_at.isoformat(),
                },
                "message": alert.message,
            },
        )
        for alert in alerts
    ]


# A superset of Result.significant in SQL (the exact rule, per method, is applied in Python).
MAYBE_SIGNIFICANT = (
    Q(p_value_adjusted__lt=F("alpha"))
    | Q(sequential_p_value__lt=F("alpha"))
    | Q(chance_to_beat_control__gte=Value(1.0) - F("alpha") / 2)
    | Q(chance_to_beat_control__lte=F("alpha") / 2)
)


def significance_occurrences(after: int) -> list[Occurrence]:
    """The first look at which a metric of an experiment is significant (any variant)."""
    fresh = Result.objects.filter(id__gt=after, is_control=False).filter(MAYBE_SIGNIFICANT)
    pairs = {(r.experiment_id, r.metric_id) for r in fresh if r.significant}
    if not pairs:
        return []
    candidates = (
        Result.objects.filter(
            experiment_id__in={e for e, _ in pairs},
            metric_id__in={m for _, m in pairs},
            is_control=False,
        )
        .filter(MAYBE_SIGNIFICANT)
        .select_related("experiment", "metric", "variant")
        .order_by("look", "variant_id")
    )
    first: dict[tuple[int, int], list[Result]] = {}
    for row in candidates:
        key = (row.experiment_id, row.metric_id)
        if key not in pairs or not row.significant:
            continue
        if key not in first or first[key][0].look == row.look:
            first.setdefault(key, []).append(row)
    occurrences = []
    for (experiment_id, metric_id), rows in sorted(first.items()):
        if max(r.pk for r in rows) <= after:
            continue  # it first became significant before the cursor: announced then
        head = rows[0]
        occurrences.append(
            Occurrence(
                source=f"significance:{experiment_id}:{metric_id}",
                event=WebhookEvent.SIGNIFICANCE_REACHED,
                at=min(r.computed_at for r in rows),
                data={
                    "experiment": _experiment(head.experiment),
                    "metric": {
                        "id": head.metric_id,
                        "key": head.metric.key,
                        "name": head.metric.name,
                    },
                    "look": head.look,
                    "method": head.method,
                    "alpha": head.alpha,
                    "variants": [_significant_variant(r) for r in rows],
                    "message": f"“{head.metric.name}” is significant in "
                    f"{', '.join(r.variant.name for r in rows)} of “{head.experiment.name}”.",
                },
            )
        )
    return occurrences


def _significant_variant(row: Result) -> dict:
    numbers = [
        "lift",
        "lift_ci_low",
        "lift_ci_high",
        "p_value_adjusted",
        "sequential_p_value",
        "chance_to_beat_control",
    ]
    return {
        "variant": row.variant.key,
        "users": row.users,
        **{name: _finite(getattr(row, name)) for name in numbers},
    }


def _finite(value: float | None) -> float | None:
    # JSON has no NaN or infinity (and PostgreSQL's jsonb refuses them).
    return value if value is not None and math.isfinite(value) else None


@dataclass(frozen=True)
class Source:
    name: str
    model: type
    time_field: str
    read: object  # (after: int) -> list[Occurrence]


SOURCES = [
    Source("status_change", StatusChange, "created_at", status_change_occurrences),
    Source("alert", Alert, "raised_at", alert_occurrences),
    Source("result", Result, "computed_at", significance_occurrences),
]


# --- from occurrences to deliveries -------------------------------------------------------


def collect(now: dt.datetime | None = None) -> list[int]:
    """Make the deliveries of every source's new rows; returns the ids to send."""
    now = now or timezone.now()
    settled_before = now - settle_period()
    endpoints = list(WebhookEndpoint.objects.filter(active=True))
    new_ids = []
    for source in SOURCES:
        with transaction.atomic():
            cursor = _cursor(source, settled_before)
            settled = _settled_up_to(source, cursor.last_id, settled_before)
            new_ids += _deliveries_for(source.read(cursor.last_id), endpoints)
            WebhookCursor.objects.filter(pk=cursor.pk, last_id__lt=settled).update(
                last_id=settled, updated_at=now
            )
    return new_ids + _stuck(now)


def _cursor(source: Source, settled_before: dt.datetime) -> WebhookCursor:
    # A new cursor starts at today's settled rows: registering webhooks replays no history.
    cursor, _ = WebhookCursor.objects.get_or_create(
        name=source.name,
        defaults={"last_id": _settled_up_to(source, 0, settled_before)},
    )
    return cursor


def _settled_up_to(source: Source, after: int, settled_before: dt.datetime) -> int:
    rows = source.model.objects.filter(id__gt=after, **{f"{source.time_field}__lt": settled_before})
    return rows.aggregate(hi=Max("id"))["hi"] or after


def _deliveries_for(occurrences: list[Occurrence], endpoints) -> list[int]:
    """Create the missing deliveries (endpoint × occurrence it subscribes to); their ids."""
    wanted = {
        (endpoint.pk, occurrence.source): WebhookDelivery(
            endpoint=endpoint,
            event=occurrence.event,
            source=occurrence.source,
            payload={"created_at": occurrence.at.isoformat(), "data": occurrence.data},
        )
        for occurrence in occurrences
        for endpoint in endpoints
        # An endpoint hears of what happens after it is registered, nothing earlier.
        if occurrence.event in endpoint.events and endpoint.created_at <= occurrence.at
    }
    if not wanted:
        return []
    sources = {source for _, source in wanted}
    existing = set(
        WebhookDelivery.objects.filter(source__in=sources).values_list("endpoint_id", "source")
    )
    missing = [delivery for key, delivery in wanted.items() if key not in existing]
    # A concurrent run may insert the same rows: the unique key keeps one, both queue it, and
    # the delivery task's claim lets only one of them send.
    WebhookDelivery.objects.bulk_create(missing, ignore_conflicts=True)
    made = WebhookDelivery.objects.filter(
        source__in={d.source for d in missing}, status=WebhookDelivery.Status.PENDING
    ).values_list("pk", "endpoint_id", "source")
    keys = {(d.endpoint_id, d.source) for d in missing}
    return [pk for pk, endpoint_id, source in made if (endpoint_id, source) in keys]


def _stuck(now: dt.datetime) -> list[int]:
    stuck = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lt=now - STUCK_AFTER
        ).values_list("pk", flat=True)[:1000]
    )
    if stuck:
        # Due now, and not "stuck" again before another STUCK_AFTER has passed.
        WebhookDelivery.objects.filter(pk__in=stuck, status=WebhookDelivery.Status.PENDING).update(
            next_attempt_at=now
        )
    return stuck
