"""The day the capacity, bottleneck and re-check tests are read on, and their audit trail."""

import datetime as dt

from experiments.models import StatusChange

TODAY = dt.date(2026, 11, 30)


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def record_step(experiment, step, when, actor, from_status="", to_status=""):
    change = StatusChange.objects.create(
        experiment=experiment,
        step=step,
        from_status=from_status or "draft",
        to_status=to_status or "draft",
        actor=actor,
    )
    StatusChange.objects.filter(pk=change.pk).update(created_at=when)
