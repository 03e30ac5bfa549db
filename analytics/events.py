"""Raw events (DESIGN §2): ingestion and the incremental roll-up into daily observations.

Ingestion checks a whole batch in plain Python first (keys resolved with a handful of
queries, not per event) and writes it with one ``COPY`` on PostgreSQL, so a bad event
rejects the batch and nothing is half-written.

The roll-up counts a user in the variant of their first exposure. Observations are cohorts
by exposure day: the row for (variant, metric, day D) covers the users first exposed on D
(UTC) in that variant, with the conversions and values they produced at or after that
exposure, whenever those arrived. Summing an experiment's daily rows is therefore exact for
cumulative analysis, and a late event changes only its user's cohort, so each run recomputes
just the cohorts its new events touch. See ``docs/events.md``.
"""

import datetime as dt
import math
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import F

from experiments.models import Experiment, Metric, Variant
from growthops.errors import ValidationFailed
from roles.capabilities import require

from .freshness import observations_changed
from .models import Assignment, Event, Observation, RollupWatermark
from .observations import observations_upsert

MAX_EVENTS = 100_000
MAX_BODY_BYTES = 128 * 1024 * 1024
MAX_LISTED_ERRORS = 1_000
MAX_USER_ID = 128
# Timestamps outside these bounds are typos or clock bugs, and near the calendar's ends they
# would break the roll-up's day arithmetic for every later run.
EARLIEST_EVENT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST_EVENT = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
WATERMARK = "events"

# Advisory lock keys (any constants unique within the database).
ROLLUP_LOCK = 0x6772_6F77_0001  # serialises roll-up runs
INGEST_BARRIER = 0x6772_6F77_0002  # ingests hold it shared; the roll-up takes it to read max(id)
ROLLUP_WORK_MEM = "256MB"  # one roll-up at a time, so a generous sort/hash budget is safe

KINDS = {"exposure": Event.Kind.EXPOSURE.value, "conversion": Event.Kind.CONVERSION.value}
EXPOSURE, CONVERSION = KINDS["exposure"], KINDS["conversion"]
EVENT_COLUMNS = (
    "experiment_id",
    "variant_id",
    "metric_id",
    "user_id",
    "kind",
    "value",
    "timestamp",
)


class EventsRejected(ValidationFailed):
    """A batch with bad events: ``errors`` lists ``{index, field, message}`` (0-based index)."""

    def __init__(self, problems: list[dict], message: str | None = None):
        listed = problems[:MAX_LISTED_ERRORS]
        more = len(problems) - len(listed)
        bad_events = len({p["index"] for p in problems if p["index"] is not None})
        if message is None:
            message = f"{len(problems):,} problem(s) in {bad_events:,} event(s); nothing was saved."
            if more:
                message += f" The first {len(listed):,} are listed; {more:,} more not shown."
        super().__init__({}, message=message)
        self.errors = listed
        self.problem_count = len(problems)


# --- ingestion ------------------------------------------------------------------------------


def events_parse(body, *, ndjson: bool) -> list:
    """The request body (bytes) as a list of events: one JSON array, or one object a line.

    A malformed NDJSON line is reported by its 0-based line number; blank lines are skipped.
    """
    import json

    if not isinstance(body, bytes | str):
        raise EventsRejected([], message="Send a JSON array of events or NDJSON, one a line.")
    if len(body) > MAX_BODY_BYTES:
        raise EventsRejected([], message=f"The body is larger than {MAX_BODY_BYTES:,} bytes.")
    if not ndjson:
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise EventsRejected([], message=f"The body is not valid JSON: {exc}") from None
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    lines = text.split("\n")
    kept = [(i, line) for i, line in enumerate(lines) if line.strip()]
    if len(kept) > MAX_EVENTS:
        raise _too_many(len(kept))
    try:  # fast path: one C-level parse of the whole batch
        return json.loads("[" + ",".join(line for _, line in kept) + "]")
    except ValueError:
        pass
    problems, events = [], []
    for i, line in kept:
        try:
            events.append(json.loads(line))
        except ValueError as exc:
            problems.append({"index": i, "field": "line", "message": f"not valid JSON: {exc}"})
    raise EventsRejected(problems)


def events_ingest(*, actor, events: list) -> int:
    """Validate a batch of raw events and store them all, or none; returns how many."""
    require(actor, "data.upload")
    if not isinstance(events, list):
        raise EventsRejected([], message="Send a JSON array of events or NDJSON, one a line.")
    if not events:
        raise EventsRejected([], message="The batch is empty.")
    if len(events) > MAX_EVENTS:
        raise _too_many(len(events))
    rows = _validated(events)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _copy_events(rows)
        else:
            Event.objects.bulk_create(
                [Event(**dict(zip(EVENT_COLUMNS, row, strict=True))) for row in rows],
                batch_size=5_000,
            )
    return len(rows)


def _too_many(count: int) -> EventsRejected:
    return EventsRejected(
        [], message=f"At most {MAX_EVENTS:,} events per request (got {count:,}); split the batch."
    )


def _copy_events(rows: list[tuple]) -> None:
    # One text buffer written at once is about twice as fast as COPY's write_row per event.
    null, backslash = "\\N", "\\"
    text = "".join(
        [
            f"{e}\t{v}\t{null if m is None else m}\t"
            f"{u if u.isprintable() and backslash not in u else _copy_escape(u)}\t{k}\t"
            f"{null if x is None else repr(x)}\t{t.isoformat()}\n"
            for e, v, m, u, k, x, t in rows
        ]
    )
    with connection.cursor() as cursor:
        # Shared barrier: the roll-up reads max(id) only when no ingest is half-way, so an id
        # below its watermark can never commit after it (sequence order ≠ commit order).
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [INGEST_BARRIER])
        columns = ", ".join(f'"{c}"' for c in EVENT_COLUMNS)
        with cursor.cursor.copy(f"COPY analytics_event ({columns}) FROM STDIN") as copy:
            copy.write(text)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _copy_escape(text: str) -> str:
    """COPY's text format needs backslash, newline, carriage return and tab escaped."""
    return text.translate(_COPY_ESCAPES)


class _Keys:
    """Experiment, variant and metric keys of one batch resolved to ids in a few queries."""

    def __init__(self, experiment_keys: set[str]):
        experiments = dict(
            Experiment.objects.filter(key__in=experiment_keys).values_list("key", "id")
        )
        ids = list(experiments.values())
        self.experiments = experiments
        self.variants: dict[str, dict[str, int]] = defaultdict(dict)
        by_id = {i: k for k, i in experiments.items()}
        for exp_id, key, pk in Variant.objects.filter(experiment_id__in=ids).values_list(
            "experiment_id", "key", "id"
        ):
            self.variants[by_id[exp_id]][key] = pk
        self.metrics: dict[str, dict[str, tuple[int, bool]]] = defaultdict(dict)
        for exp_id, metric_ids in experiment_metric_ids(ids).items():
            self.metrics[by_id[exp_id]] = metric_ids
        self.metric_keys = {
            key: (pk, kind == Metric.Kind.MEAN)
            for key, pk, kind in Metric.objects.filter(
                id__in={m for ms in self.metrics.values() for m in ms}
            ).values_list("key", "id", "kind")
        }
        self.known_metric_keys: set[str] | None = None

    def metric(self, experiment_key: str, metric_key: str):
        """(metric id, is_mean) or None when the metric is not one of the experiment's."""
        found = self.metric_keys.get(metric_key)
        if found is None or found[0] not in self.metrics[experiment_key]:
            return None
        return found

    def metric_exists(self, metric_key: str) -> bool:
        if self.known_metric_keys is None:
            self.known_metric_keys = set(Metric.objects.values_list("key", flat=True))
        return metric_key in self.known_metric_keys


def experiment_metric_ids(experiment_ids) -> dict[int, set[int]]:
    """Every metric id each experiment measures: primary, secondary and guardrail."""
    metrics: dict[int, set[int]] = defaultdict(set)
    for exp_id, metric_id in Experiment.objects.filter(
        id__in=experiment_ids, primary_metric__isnull=False
    ).values_list("id", "primary_metric_id"):
        metrics[exp_id].add(metric_id)
    for through in (Experiment.secondary_metrics.through, Experiment.guardrail_metrics.through):
        for exp_id, metric_id in through.objects.filter(
            experiment_id__in=experiment_ids
        ).values_list("experiment_id", "metric_id"):
            metrics[exp_id].add(metric_id)
    return metrics


def _validated(events: list) -> list[tuple]:
    """Each event as a row of ``EVENT_COLUMNS``; raises :class:`EventsRejected` listing all."""
    keys = _Keys({k for e in events if type(e) is dict and type(k := e.get("experiment")) is str})
    experiments, variants = keys.experiments, keys.variants
    parse_time = dt.datetime.fromisoformat
    isfinite = math.isfinite
    problems: list[dict] = []
    rows: list[tuple] = []
    append = rows.append

    def bad(index, field, message):
        problems.append({"index": index, "field": field, "message": message})

    for i, event in enumerate(events):
        if type(event) is not dict:
            bad(i, "event", "must be an object")
            continue
        ok = True
        exp_key = event.get("experiment")
        exp_id = experiments.get(exp_key) if type(exp_key) is str else None
        if exp_id is None:
            ok = False
            if exp_key is None or exp_key == "":
                bad(i, "experiment", "is required (the experiment key)")
            else:
                bad(i, "experiment", f"unknown experiment {exp_key!r}")
        var_key = event.get("variant")
        variant_id = None
        if exp_id is not None:
            variant_id = variants[exp_key].get(var_key) if type(var_key) is str else None
            if variant_id is None:
                ok = False
                if var_key is None or var_key == "":
                    bad(i, "variant", "is required (the variant key)")
                else:
                    bad(i, "variant", f"{var_key!r} is not a variant of {exp_key!r}")
        elif var_key is None or var_key == "":
            bad(i, "variant", "is required (the variant key)")

        user = event.get("user_id")
        if type(user) is not str:
            if type(user) is int:
                user = str(user)
            else:
                ok = False
                bad(i, "user_id", "is required (a string)" if user is None else "must be a string")
                user = None
        if user is not None and (not user or len(user) > MAX_USER_ID):
            ok = False
            bad(i, "user_id", f"must be 1 to {MAX_USER_ID} characters")

        kind = KINDS.get(event.get("kind")) if type(event.get("kind")) is str else None
        metric_key = event.get("metric")
        metric_id = None
        is_mean = False
        if kind is None:
            ok = False
            bad(i, "kind", f"must be 'exposure' or 'conversion' (got {event.get('kind')!r})")
        elif kind == EXPOSURE:
            if metric_key is not None:
                ok = False
                bad(i, "metric", "an exposure has no metric")
        elif metric_key is None or metric_key == "":
            ok = False
            bad(i, "metric", "is required for a conversion")
        elif exp_id is not None:
            found = keys.metric(exp_key, metric_key) if type(metric_key) is str else None
            if found is None:
                ok = False
                if type(metric_key) is str and keys.metric_exists(metric_key):
                    bad(i, "metric", f"{metric_key!r} is not a metric of {exp_key!r}")
                else:
                    bad(i, "metric", f"unknown metric {metric_key!r}")
            else:
                metric_id, is_mean = found

        value = event.get("value")
        if value is not None:
            tv = type(value)
            if tv is not float and tv is not int:
                ok = False
                bad(i, "value", f"must be a number (got {value!r})")
                value = None
            else:
                try:
                    value = float(value)
                except OverflowError:
                    value = math.inf
                if not isfinite(value) or value < 0:
                    ok = False
                    bad(i, "value", f"must be a finite number ≥ 0 (got {event.get('value')!r})")
                elif kind == EXPOSURE:
                    ok = False
                    bad(i, "value", "an exposure has no value")
        elif is_mean:
            ok = False
            bad(i, "value", f"is required: {metric_key!r} is a mean (value per user) metric")

        stamp = event.get("timestamp")
        when = None
        if type(stamp) is str:
            try:
                when = parse_time(stamp)
            except ValueError:
                pass
            if when is not None and when.tzinfo is None:
                ok = False
                bad(i, "timestamp", f"needs a time zone, e.g. {stamp}Z (got {stamp!r})")
            elif when is None:
                ok = False
                bad(i, "timestamp", f"is not an ISO 8601 date-time (got {stamp!r})")
            elif not EARLIEST_EVENT <= when < LATEST_EVENT:
                ok = False
                bad(i, "timestamp", f"must be in the years 2000 to 2099 (got {stamp!r})")
        else:
            ok = False
            bad(i, "timestamp", "is required (ISO 8601 with a time zone)")

        if ok:
            append((exp_id, variant_id, metric_id, user, kind, value, when))
    if problems:
        raise EventsRejected(problems)
    return rows


# --- roll-up --------------------------------------------------------------------------------


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

# Each user's earliest new exposure, kept when the user is new or it is earlier than their
# stored assignment (the old first exposure travels along, so the old cohort is recomputed
# too). Reading before writing keeps every later step a join against the old state.
_CHANGES_SQL = """
CREATE TEMP TABLE rollup_changes ON COMMIT DROP AS
WITH firsts AS (
    SELECT DISTINCT ON (experiment_id, user_id COLLATE "C")
           experiment_id, user_id, variant_id, "timestamp" AS ts
    FROM analytics_event
    WHERE id > %(lo)s AND id <= %(hi)s AND kind = 1
    ORDER BY experiment_id, user_id COLLATE "C", "timestamp", id
)
SELECT f.experiment_id, f.user_id, f.variant_id, f.ts, (f.ts AT TIME ZONE 'UTC')::date AS day,
       a.first_exposed_at AS old_ts
FROM firsts f LEFT JOIN analytics_assignment a USING (experiment_id, user_id)
WHERE a.first_exposed_at IS NULL OR f.ts < a.first_exposed_at
"""

# The cohorts to recompute: the new and the old exposure day of every changed user, and the
# cohort of every already-assigned user with a new conversion.
_COHORTS_SQL = """
CREATE TEMP TABLE rollup_cohorts ON COMMIT DROP AS
SELECT experiment_id, day FROM rollup_changes
UNION
SELECT experiment_id, (old_ts AT TIME ZONE 'UTC')::date FROM rollup_changes
WHERE old_ts IS NOT NULL
UNION
SELECT a.experiment_id, (a.first_exposed_at AT TIME ZONE 'UTC')::date
FROM analytics_event e JOIN analytics_assignment a USING (experiment_id, user_id)
WHERE e.id > %(lo)s AND e.id <= %(hi)s AND e.kind = 2
"""

# The members of the affected cohorts are the changed users (``rollup_changes``) plus these:
# the stored assignments of those cohorts that did not change. Kept apart rather than copied
# into one table (the first run would copy every user); their statistics (ANALYZE) steer the
# aggregate's plan: index look-ups for a few cohorts, a hash join for many. The time window of
# the affected days is a cheap filter that drops most stored assignments before the joins
# (new events mostly touch recent cohorts).
_KEPT_MEMBERS_SQL = """
CREATE TEMP TABLE rollup_kept ON COMMIT DROP AS
SELECT a.experiment_id, a.user_id, a.variant_id, a.first_exposed_at, c.day
FROM analytics_assignment a
JOIN rollup_cohorts c
  ON c.experiment_id = a.experiment_id AND c.day = (a.first_exposed_at AT TIME ZONE 'UTC')::date
WHERE a.experiment_id = ANY(%(experiment_ids)s)
  AND a.first_exposed_at >= (SELECT min(day) FROM rollup_cohorts)::timestamp AT TIME ZONE 'UTC'
  AND a.first_exposed_at < (SELECT max(day) + 1 FROM rollup_cohorts)::timestamp AT TIME ZONE 'UTC'
  AND NOT EXISTS (
    SELECT 1 FROM rollup_changes x
    WHERE x.experiment_id = a.experiment_id AND x.user_id = a.user_id
)
"""

# Only the roll-up writes assignments, under its lock, so a plain INSERT of the new ones is
# safe (and cheaper than ON CONFLICT's speculative insertion).
_MOVE_ASSIGNMENTS_SQL = """
UPDATE analytics_assignment a SET variant_id = x.variant_id, first_exposed_at = x.ts
FROM rollup_changes x
WHERE x.old_ts IS NOT NULL AND a.experiment_id = x.experiment_id AND a.user_id = x.user_id
"""

_ADD_ASSIGNMENTS_SQL = """
INSERT INTO analytics_assignment (experiment_id, user_id, variant_id, first_exposed_at)
SELECT experiment_id, user_id, variant_id, ts FROM rollup_changes WHERE old_ts IS NULL
"""

# One aggregate over the affected cohorts: users per variant × day, and per metric the users
# who converted at or after their first exposure, with the sum and the sum of squares of each
# user's total value. It runs with sorting discouraged: the planner underestimates the join
# (experiment and user are correlated) and would sort a million rows a hash table groups
# faster.
_COHORT_AGGREGATE_SQL = """
CREATE TEMP TABLE rollup_result ON COMMIT DROP AS
WITH members AS NOT MATERIALIZED (
    SELECT experiment_id, user_id, variant_id, ts AS first_exposed_at, day FROM rollup_changes
    UNION ALL
    SELECT experiment_id, user_id, variant_id, first_exposed_at, day FROM rollup_kept
), sizes AS (
    SELECT experiment_id, variant_id, day, count(*) AS users
    FROM members GROUP BY experiment_id, variant_id, day
), per_user AS (
    SELECT m.experiment_id, m.variant_id, m.day, e.metric_id, sum(e.value) AS total
    FROM members m
    JOIN analytics_event e ON e.experiment_id = m.experiment_id AND e.user_id = m.user_id
    WHERE e.kind = 2 AND e.id <= %(hi)s AND e."timestamp" >= m.first_exposed_at
    GROUP BY m.experiment_id, m.user_id, e.metric_id, m.variant_id, m.day
), converted AS (
    SELECT experiment_id, variant_id, day, metric_id, count(*) AS conversions,
           sum(coalesce(total, 0)) AS value_sum,
           sum(coalesce(total, 0) * coalesce(total, 0)) AS value_sum_squares
    FROM per_user GROUP BY experiment_id, variant_id, day, metric_id
), metrics AS (
    SELECT * FROM unnest(%(exp_ids)s::bigint[], %(metric_ids)s::bigint[], %(is_mean)s::boolean[])
        AS m(experiment_id, metric_id, is_mean)
)
SELECT s.experiment_id, s.variant_id, m.metric_id, s.day AS date, s.users,
       CASE WHEN m.is_mean THEN NULL ELSE coalesce(c.conversions, 0) END AS conversions,
       CASE WHEN m.is_mean THEN coalesce(c.value_sum, 0) END AS sum,
       CASE WHEN m.is_mean THEN coalesce(c.value_sum_squares, 0) END AS sum_squares
FROM sizes s
JOIN metrics m ON m.experiment_id = s.experiment_id
LEFT JOIN converted c ON c.experiment_id = s.experiment_id AND c.variant_id = s.variant_id
     AND c.day = s.day AND c.metric_id = m.metric_id
"""

_DELETE_EMPTIED_SQL = """
DELETE FROM analytics_observation o
USING rollup_cohorts c
WHERE o.experiment_id = c.experiment_id AND o.date = c.day AND o.source = 'events'
  AND NOT EXISTS (
      SELECT 1 FROM rollup_result r
      WHERE r.variant_id = o.variant_id AND r.metric_id = o.metric_id AND r.date = o.date
  )
"""

_UPSERT_OBSERVATIONS_SQL = """
INSERT INTO analytics_observation (
    experiment_id, variant_id, metric_id, date, users, conversions, sum, sum_squares,
    covariate_sum, covariate_sum_squares, cross_sum, source, updated_at
)
SELECT experiment_id, variant_id, metric_id, date, users, conversions, sum, sum_squares,
       NULL, NULL, NULL, 'events', now()
FROM rollup_result
ON CONFLICT (variant_id, metric_id, date) DO UPDATE SET
    users = EXCLUDED.users, conversions = EXCLUDED.conversions, sum = EXCLUDED.sum,
    sum_squares = EXCLUDED.sum_squares, covariate_sum = NULL, covariate_sum_squares = NULL,
    cross_sum = NULL, source = 'events', updated_at = EXCLUDED.updated_at
"""


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
        bounds = {"lo": lo, "hi": hi}
        cursor.execute(
            "SELECT count(*) FROM analytics_event WHERE id > %(lo)s AND id <= %(hi)s", bounds
        )
        events = cursor.fetchone()[0]
        progress(1, STEPS)

        cursor.execute(_CHANGES_SQL, bounds)
        cursor.execute("ANALYZE rollup_changes")
        cursor.execute(_COHORTS_SQL, bounds)
        cursor.execute("SELECT DISTINCT experiment_id FROM rollup_cohorts")
        experiment_ids = sorted(r[0] for r in cursor.fetchall())
        cursor.execute(_KEPT_MEMBERS_SQL, {"experiment_ids": experiment_ids})
        cursor.execute("ANALYZE rollup_kept")
        progress(2, STEPS)

        metric_rows = _metric_rows(experiment_ids)
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(
            _COHORT_AGGREGATE_SQL,
            {
                "hi": hi,
                "exp_ids": [r[0] for r in metric_rows],
                "metric_ids": [r[1] for r in metric_rows],
                "is_mean": [r[2] for r in metric_rows],
            },
        )
        cursor.execute("SET LOCAL enable_sort = on")
        cursor.execute("ANALYZE rollup_result")  # the delete below joins it against observations
        progress(3, STEPS)

        cursor.execute(_MOVE_ASSIGNMENTS_SQL)
        cursor.execute(_ADD_ASSIGNMENTS_SQL)
        _refresh_statistics_after_growth(cursor, added=cursor.rowcount)
        cursor.execute(_DELETE_EMPTIED_SQL)
        cursor.execute(_UPSERT_OBSERVATIONS_SQL)
        written = cursor.rowcount
        cursor.execute("DROP TABLE rollup_result, rollup_kept, rollup_cohorts, rollup_changes")
        progress(4, STEPS)

        _move_watermark(hi)
        observations_changed(experiment_ids)
        progress(STEPS, STEPS)
        return _counts(events, written, experiment_ids, hi)


ANALYZE_AFTER_GROWTH = 0.1  # autovacuum's default analyse threshold, applied at once


def _refresh_statistics_after_growth(cursor, *, added: int) -> None:
    """Analyse the assignments when this run grew them by more than a tenth.

    Autovacuum would, but only a minute or so later; until then the planner sees the table as
    it was (empty after the first run) and hashes millions of assignments where a few thousand
    index look-ups do (measured: 213 ms → 20 ms for 7,000 new users at 2 M events). Sampling
    costs ~0.1–0.3 s whatever the size.
    """
    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'analytics_assignment'::regclass")
    known = cursor.fetchone()[0]  # -1 until the table is first analysed
    if added > 1_000 and (known < 0 or added > ANALYZE_AFTER_GROWTH * known):
        cursor.execute("ANALYZE analytics_assignment")


def _max_event_id_postgresql(cursor) -> int:
    # Session-level so it can be released at once: it only has to wait out the ingests in
    # flight, whose ids are all below the max read here once they have committed.
    cursor.execute("SELECT pg_advisory_lock(%s)", [INGEST_BARRIER])
    try:
        cursor.execute("SELECT coalesce(max(id), 0) FROM analytics_event")
        return cursor.fetchone()[0]
    finally:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [INGEST_BARRIER])


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
        experiment_ids = sorted({exp_id for exp_id, _ in cohorts})
        progress(2, STEPS)

        metrics = experiment_metric_ids(experiment_ids)
        mean = set(Metric.objects.filter(kind=Metric.Kind.MEAN).values_list("id", flat=True))
        results = []
        for exp_id, day in sorted(cohorts):
            results.extend(_cohort_rows(exp_id, day, hi, sorted(metrics.get(exp_id, ())), mean))
        progress(3, STEPS)

        fresh = {(r.variant_id, r.metric_id, r.date) for r in results}
        for exp_id, day in cohorts:
            for obs in Observation.objects.filter(
                experiment_id=exp_id, date=day, source=Observation.Source.EVENTS
            ):
                if (obs.variant_id, obs.metric_id, obs.date) not in fresh:
                    obs.delete()
        observations_upsert(results)
        progress(4, STEPS)

        _move_watermark(hi)
        observations_changed(experiment_ids)
        progress(STEPS, STEPS)
        return _counts(len(new), len(results), experiment_ids, hi)


def _assignments(exp_id: int, users: set[str]):
    users = sorted(users)
    for start in range(0, len(users), 500):
        yield from Assignment.objects.filter(
            experiment_id=exp_id, user_id__in=users[start : start + 500]
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
    for begin in range(0, len(users), 500):
        for user, metric_id, value, when in Event.objects.filter(
            experiment_id=exp_id,
            user_id__in=users[begin : begin + 500],
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
