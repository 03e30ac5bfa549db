"""The incremental roll-up of raw events into daily cohort observations.

The roll-up counts a user in the variant of their first exposure. Observations are cohorts
by exposure day: the row for (variant, metric, day D) covers the users first exposed on D
(UTC) in that variant, with the conversions and values they produced at or after that
exposure, whenever those arrived. Summing an experiment's daily rows is therefore exact for
cumulative analysis, and a late event changes only its user's cohort, so each run recomputes
just the cohorts its new events touch. PostgreSQL runs the statements in ``sql/`` (one file
per step, each saying why it is written as it is); SQLite runs the same logic in Python.
See ``docs/events.md``.
"""

import datetime as dt
from collections import defaultdict
from pathlib import Path

from django.db import connection, transaction
from django.db.models import F, Q

from experiments.models import SHIPPED, Experiment, Metric
from experiments.selectors import experiment_metric_ids

from ..analysis.freshness import observations_changed
from ..models import Assignment, Event, Observation, RollupWatermark
from .events import CONVERSION, EXPOSURE, INGEST_BARRIER
from .observations import ACCEPTS_DATA
from .store import observations_upsert

WATERMARK = "events"
ROLLUP_LOCK = 0x6772_6F77_0001  # advisory lock key that serialises roll-up runs
ROLLUP_WORK_MEM = "256MB"  # one roll-up at a time, so a generous sort/hash budget is safe
SQL = {path.stem: path.read_text() for path in (Path(__file__).parent / "sql").glob("*.sql")}
# The event kinds as the SQL statements read them (parameters, not literals in the SQL).
# Users per IN (…) look-up in the SQLite path: under SQLite's bound-parameter limit.
IN_CLAUSE_SIZE = 500
KIND_PARAMETERS = {"exposure": EXPOSURE, "conversion": CONVERSION}


def events_rollup_run(progress=None) -> dict:
    """Turn the events after the watermark into daily cohort observations.

    Idempotent and safe to run concurrently with itself (runs serialise on a lock) and with
    ingestion. Returns counts: events processed, observations written, experiments affected.
    """
    progress = progress or (lambda done, total: None)
    if connection.vendor == "postgresql":
        return _rollup_postgresql(progress)
    return _rollup_python(progress)


STEPS = 5


def _rollup_postgresql(progress) -> dict:
    with transaction.atomic(), connection.cursor() as cursor:
        # Runs serialise here; the second one then sees the first one's watermark.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ROLLUP_LOCK])
        lo = _watermark()
        hi = _max_event_id_postgresql(cursor)
        if hi <= lo:
            progress(STEPS, STEPS)
            return _counts(0, 0, [], lo)
        cursor.execute(f"SET LOCAL work_mem = '{ROLLUP_WORK_MEM}'")
        # Losing this commit in a crash loses its watermark with it: the next run redoes the
        # work, so waiting for the WAL flush buys nothing.
        cursor.execute("SET LOCAL synchronous_commit = off")
        bounds = {"lo": lo, "hi": hi, **KIND_PARAMETERS}
        cursor.execute(
            "SELECT count(*) FROM analytics_event WHERE id > %(lo)s AND id <= %(hi)s", bounds
        )
        events = cursor.fetchone()[0]
        progress(1, STEPS)

        cursor.execute(SQL["changes"], bounds)
        cursor.execute("ANALYZE rollup_changes")
        cursor.execute(SQL["cohorts"], bounds)
        cursor.execute("SELECT DISTINCT experiment_id FROM rollup_cohorts")
        experiment_ids = _taking_data([r[0] for r in cursor.fetchall()])
        # A decided experiment's data stays as it was decided on: drop its cohorts, so nothing
        # below recomputes, deletes or writes them (its assignments are still recorded).
        cursor.execute(
            "DELETE FROM rollup_cohorts WHERE NOT experiment_id = ANY(%s)", [experiment_ids]
        )
        cursor.execute(SQL["kept_members"], {"experiment_ids": experiment_ids})
        cursor.execute("ANALYZE rollup_kept")
        progress(2, STEPS)

        metric_rows = _metric_rows(experiment_ids)
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(
            SQL["cohort_aggregate"],
            {
                "hi": hi,
                **KIND_PARAMETERS,
                "exp_ids": [r[0] for r in metric_rows],
                "metric_ids": [r[1] for r in metric_rows],
                "is_mean": [r[2] for r in metric_rows],
            },
        )
        cursor.execute("SET LOCAL enable_sort = on")
        cursor.execute("ANALYZE rollup_result")  # the delete below joins it against observations
        progress(3, STEPS)

        cursor.execute(SQL["move_assignments"])
        cursor.execute(SQL["add_assignments"])
        _refresh_statistics_after_growth(cursor, "analytics_assignment", added=cursor.rowcount)
        cursor.execute(SQL["delete_emptied"])
        cursor.execute(SQL["upsert_observations"])
        written = cursor.rowcount
        # The upsert's new rows only (its rowcount counts the updated ones too).
        cursor.execute("SELECT pg_stat_get_xact_tuples_inserted('analytics_observation'::regclass)")
        _refresh_statistics_after_growth(
            cursor, "analytics_observation", added=cursor.fetchone()[0]
        )
        cursor.execute("DROP TABLE rollup_result, rollup_kept, rollup_cohorts, rollup_changes")
        progress(4, STEPS)

        _move_watermark(hi)
        observations_changed(experiment_ids)
        progress(STEPS, STEPS)
        return _counts(events, written, experiment_ids, hi)


ANALYZE_AFTER_GROWTH = 0.1  # autovacuum's default analyse threshold, applied at once


def _refresh_statistics_after_growth(cursor, table: str, *, added: int) -> None:
    """Analyse ``table`` (assignments, observations) when this run grew it by more than a tenth.

    Autovacuum would, but only a minute or so later; until then the planner sees the table as
    it was (empty after the first run) and picks plans for a few rows: it hashed millions of
    assignments where a few thousand index look-ups do, and compared every affected
    observation with every fresh row to find the emptied cohorts (a nested loop: 31.5 s of a
    33 s run at 1 million events). docs/events.md has the figures. Sampling costs a fraction
    of a second whatever the size.
    """
    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
    known = cursor.fetchone()[0]  # -1 until the table is first analysed
    if added > 1_000 and (known < 0 or added > ANALYZE_AFTER_GROWTH * known):
        cursor.execute(f"ANALYZE {table}")


def _max_event_id_postgresql(cursor) -> int:
    # Session-level so it can be released at once: it only has to wait out the ingests in
    # flight, whose ids are all below the max read here once they have committed.
    cursor.execute("SELECT pg_advisory_lock(%s)", [INGEST_BARRIER])
    try:
        cursor.execute("SELECT coalesce(max(id), 0) FROM analytics_event")
        return cursor.fetchone()[0]
    finally:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [INGEST_BARRIER])


def _taking_data(experiment_ids) -> list[int]:
    """Those of ``experiment_ids`` whose status takes data (the rule uploads follow)."""
    return sorted(
        Experiment.objects.filter(Q(status__in=ACCEPTS_DATA) | SHIPPED, pk__in=experiment_ids)
        .values_list("pk", flat=True)
        .order_by()
    )


def _metric_rows(experiment_ids) -> list[tuple[int, int, bool]]:
    by_experiment = experiment_metric_ids(experiment_ids)
    mean = set(
        Metric.objects.filter(
            id__in={m for ms in by_experiment.values() for m in ms}, kind=Metric.Kind.MEAN
        ).values_list("id", flat=True)
    )
    return [
        (exp_id, metric_id, metric_id in mean)
        for exp_id in sorted(by_experiment)
        for metric_id in sorted(by_experiment[exp_id])
    ]


def _watermark() -> int:
    RollupWatermark.objects.get_or_create(name=WATERMARK)
    return RollupWatermark.objects.get(name=WATERMARK).last_event_id


def _move_watermark(hi: int) -> None:
    mark = RollupWatermark.objects.get(name=WATERMARK)
    mark.last_event_id = hi
    mark.save(update_fields=["last_event_id", "updated_at"])


def _counts(events: int, written: int, experiment_ids, watermark: int) -> dict:
    return {
        "events": events,
        "observations": written,
        "experiments": len(experiment_ids),
        "watermark": watermark,
    }


# --- the same roll-up in Python, for SQLite (development and tests) --------------------------


def _day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(dt.UTC).date()


def _rollup_python(progress) -> dict:
    with transaction.atomic():
        # Writing first takes SQLite's write lock, so concurrent runs queue up behind it.
        RollupWatermark.objects.get_or_create(name=WATERMARK)
        RollupWatermark.objects.filter(name=WATERMARK).update(last_event_id=F("last_event_id"))
        lo = RollupWatermark.objects.get(name=WATERMARK).last_event_id
        hi = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
        if hi <= lo:
            progress(STEPS, STEPS)
            return _counts(0, 0, [], lo)
        new = list(
            Event.objects.filter(id__gt=lo, id__lte=hi)
            .order_by("timestamp", "id")
            .values_list("experiment_id", "user_id", "variant_id", "kind", "timestamp")
        )
        progress(1, STEPS)

        touched: dict[int, set[str]] = defaultdict(set)
        firsts: dict[tuple[int, str], tuple[int, dt.datetime]] = {}
        for exp_id, user, variant_id, kind, when in new:
            touched[exp_id].add(user)
            if kind == EXPOSURE:
                firsts.setdefault((exp_id, user), (variant_id, when))
        cohorts: set[tuple[int, dt.date]] = set()
        existing = {}
        for exp_id, users in touched.items():
            for a in _assignments(exp_id, users):
                existing[(exp_id, a.user_id)] = a
                cohorts.add((exp_id, _day(a.first_exposed_at)))
        for (exp_id, user), (variant_id, when) in firsts.items():
            current = existing.get((exp_id, user))
            if current is None:
                Assignment.objects.create(
                    experiment_id=exp_id, user_id=user, variant_id=variant_id, first_exposed_at=when
                )
            elif when < current.first_exposed_at:
                current.variant_id, current.first_exposed_at = variant_id, when
                current.save(update_fields=["variant_id", "first_exposed_at"])
            else:
                continue
            cohorts.add((exp_id, _day(when)))
        experiment_ids = _taking_data({exp_id for exp_id, _ in cohorts})
        taking = set(experiment_ids)
        cohorts = {(exp_id, day) for exp_id, day in cohorts if exp_id in taking}
        progress(2, STEPS)

        metrics = experiment_metric_ids(experiment_ids)
        mean = set(Metric.objects.filter(kind=Metric.Kind.MEAN).values_list("id", flat=True))
        results = []
        for exp_id, day in sorted(cohorts):
            results.extend(_cohort_rows(exp_id, day, hi, sorted(metrics.get(exp_id, ())), mean))
        progress(3, STEPS)

        fresh = {(r.variant_id, r.metric_id, r.date) for r in results}
        uploaded = set()
        for exp_id, day in cohorts:
            for obs in Observation.objects.overall().filter(experiment_id=exp_id, date=day):
                key = (obs.variant_id, obs.metric_id, obs.date)
                if obs.source != Observation.Source.EVENTS:
                    uploaded.add(key)  # the analyst's row stays as it is
                elif key not in fresh:
                    obs.delete()
        results = [r for r in results if (r.variant_id, r.metric_id, r.date) not in uploaded]
        observations_upsert(results)
        progress(4, STEPS)

        _move_watermark(hi)
        observations_changed(experiment_ids)
        progress(STEPS, STEPS)
        return _counts(len(new), len(results), experiment_ids, hi)


def _assignments(exp_id: int, users: set[str]):
    users = sorted(users)
    for start in range(0, len(users), IN_CLAUSE_SIZE):
        yield from Assignment.objects.filter(
            experiment_id=exp_id, user_id__in=users[start : start + IN_CLAUSE_SIZE]
        )


def _cohort_rows(exp_id, day, hi, metric_ids, mean) -> list[Observation]:
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    members = {
        a.user_id: a
        for a in Assignment.objects.filter(
            experiment_id=exp_id,
            first_exposed_at__gte=start,
            first_exposed_at__lt=start + dt.timedelta(days=1),
        )
    }
    sizes: dict[int, int] = defaultdict(int)
    for a in members.values():
        sizes[a.variant_id] += 1
    totals: dict[tuple[int, int, str], float] = defaultdict(float)
    users = sorted(members)
    for begin in range(0, len(users), IN_CLAUSE_SIZE):
        for user, metric_id, value, when in Event.objects.filter(
            experiment_id=exp_id,
            user_id__in=users[begin : begin + IN_CLAUSE_SIZE],
            kind=CONVERSION,
            id__lte=hi,
        ).values_list("user_id", "metric_id", "value", "timestamp"):
            a = members[user]
            if when >= a.first_exposed_at:
                totals[(a.variant_id, metric_id, user)] += value or 0.0
    rows = []
    for variant_id, count in sorted(sizes.items()):
        for metric_id in metric_ids:
            per_user = [t for (v, m, _), t in totals.items() if v == variant_id and m == metric_id]
            is_mean = metric_id in mean
            rows.append(
                Observation(
                    experiment_id=exp_id,
                    variant_id=variant_id,
                    metric_id=metric_id,
                    date=day,
                    users=count,
                    conversions=None if is_mean else len(per_user),
                    sum=sum(per_user) if is_mean else None,
                    sum_squares=sum(t * t for t in per_user) if is_mean else None,
                    source=Observation.Source.EVENTS,
                )
            )
    return rows
