"""Raw events: ingestion (the roll-up into observations is ``ingest.rollup``).

Ingestion checks a whole batch in plain Python first (keys resolved with a handful of
queries, not per event) and writes it with one ``COPY`` on PostgreSQL, so a bad event
rejects the batch and nothing is half-written.
"""

import datetime as dt
import math
import re
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from operator import itemgetter

from django.conf import settings
from django.db import connection, transaction

from experiments.models import Experiment, Metric, Variant
from experiments.selectors import experiment_metric_ids
from growthops.errors import NotPermitted, ValidationFailed
from growthops.parsers import TOO_DEEP, json_loads_checked, unstorable_text
from roles.capabilities import refusal, require

from ..models import Event
from .observations import data_window, day_refusal, status_refusal

MAX_EVENTS = 100_000
MAX_BODY_BYTES = 128 * 1024 * 1024
MAX_LISTED_ERRORS = 1_000
MAX_USER_ID = 128
# Timestamps outside these bounds are typos or clock bugs, and near the calendar's ends they
# would break the roll-up's day arithmetic for every later run.
EARLIEST_EVENT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST_EVENT = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
# Advisory lock key (any constant unique within the database): ingests hold it shared; the
# roll-up takes it to read max(id) once the ingests in flight have committed.
INGEST_BARRIER = 0x6772_6F77_0002
# ISO 8601's extended form with seconds and an offset; datetime.fromisoformat alone would also
# take "20261102T100000Z", week dates and hour-only times.
# (Written without capturing groups or counted repeats, it matches in half the time.)
TIMESTAMP = re.compile(
    r"\d\d\d\d-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)", re.ASCII
)

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


class EventsForbidden(NotPermitted):
    """A batch with events for experiments the sender may not write to: 403, all listed."""

    def __init__(self, problems: list[dict]):
        listed = problems[:MAX_LISTED_ERRORS]
        refused = len({p["index"] for p in problems})
        super().__init__(
            f"You may not send {refused:,} of these event(s) (listed); nothing was saved."
        )
        self.errors = self.items = listed
        self.problem_count = len(problems)


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
        self.errors = self.items = listed
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
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as exc:
        raise EventsRejected([], message=f"The body is not UTF-8 text: {exc}") from None
    # The json module recurses once per nesting level: a deep enough body exhausts the stack.
    if not ndjson:
        try:
            return json_loads_checked(text, _refuse_unstorable_text)
        except ValueError as exc:
            raise EventsRejected([], message=f"The body is not valid JSON: {exc}") from None
        except RecursionError:
            raise EventsRejected([], message=TOO_DEEP) from None
    lines = text.split("\n")
    kept = [(i, line) for i, line in enumerate(lines) if line.strip()]
    if len(kept) > MAX_EVENTS:
        raise _too_many(len(kept))
    try:  # fast path: one C-level parse of the whole batch
        batch = "[" + ",".join(line for _, line in kept) + "]"
        return json_loads_checked(batch, lambda events: _refuse_unstorable_text(events, kept))
    except (ValueError, RecursionError):
        pass
    problems, events = [], []
    for i, line in kept:
        try:
            events.append(json.loads(line))
        except ValueError as exc:
            problems.append({"index": i, "field": "line", "message": f"not valid JSON: {exc}"})
        except RecursionError:
            problems.append({"index": i, "field": "line", "message": "nested too deeply"})
    raise EventsRejected(problems)


def _refuse_unstorable_text(events, lines=None) -> None:
    """A NUL or a lone surrogate in any string of the batch, listed by event (its line for
    NDJSON) and field: the same refusal as every other JSON body of the API."""
    if not isinstance(events, list):
        problems = [
            {"index": None, "field": path, "message": problem}
            for path, problem in unstorable_text(events)
        ]
    else:
        problems = [
            {"index": lines[i][0] if lines else i, "field": path, "message": problem}
            for i, event in enumerate(events)
            for path, problem in unstorable_text(event)
        ]
    if problems:
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
    rows = _by_experiment(_validated(events, actor))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _copy_events(rows)
        else:
            Event.objects.bulk_create(
                [Event(**dict(zip(EVENT_COLUMNS, row, strict=True))) for row in rows],
                batch_size=5_000,
            )
    return len(rows)


def _by_experiment(rows: list[tuple]) -> list[tuple]:
    """The rows grouped by experiment, in the order sent within each (the sort is stable), the
    first event's experiment first and the others by id from there, wrapping round.

    Grouped, a batch's index entries go into neighbouring pages, which halved what PostgreSQL
    spends per event (docs/events.md); starting where the batch starts keeps two batches
    written at once out of each other's pages. Ids still follow arrival within an experiment,
    where the roll-up and the list read them."""
    first = rows[0][0]
    rows.sort(key=_experiment_of)
    start = bisect_left(rows, first, key=_experiment_of)
    return rows[start:] + rows[:start]


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
            f"{null if x is None else repr(x)}\t{t}\n"
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


# What the data rules read of an experiment (who may write, its status, its days; the names
# in their messages). A whole experiment is some 60 fields, and building a thousand of them
# with their owners cost a fifth of checking 50,000 events. A rule that reads another field
# still works: Django loads it then, with a query per experiment.
RULE_FIELDS = (
    "key", "name", "status", "decision", "start_date", "end_date", "partner", "executed_by",
    "owner", "owner__username", "owner__first_name", "owner__last_name",
)  # fmt: skip


@dataclass(frozen=True, slots=True)  # slots: the checks read these 50,000 times a batch
class _Rules:
    """What checking an event needs of its experiment: its variants and its own metrics by
    key (metric: ``(id, is_mean)``), why its status takes no data (``closed``, or None) and
    the instants its days span (``begins``, ``ends``; None when it has no first day)."""

    experiment: Experiment
    id: int
    closed: str | None
    begins: dt.datetime | None
    ends: dt.datetime | None
    variants: dict[str, int]
    metrics: dict[str, tuple[int, bool]]


class _Batch:
    """What checking one batch needs: its experiment, variant and metric keys resolved to ids
    in a few queries, each experiment's ``_Rules`` by key (``rules``), and the experiments the
    sender may not write to, with why (``forbidden``)."""

    def __init__(self, experiment_keys: set[str], actor):
        found = (
            Experiment.objects.filter(key__in=experiment_keys)
            .select_related("owner")
            .only(*RULE_FIELDS)
        )
        by_key = {e.key: e for e in found}
        self.forbidden = {
            key: reason for key, e in by_key.items() if (reason := refusal(actor, "data.upload", e))
        }
        self.max_value = settings.OBSERVATION_MAX_ABS_VALUE
        ids = [e.pk for e in by_key.values()]
        variants: dict[int, dict[str, int]] = defaultdict(dict)
        for exp_id, key, pk in Variant.objects.filter(experiment_id__in=ids).values_list(
            "experiment_id", "key", "id"
        ):
            variants[exp_id][key] = pk
        metric_ids = experiment_metric_ids(ids)
        metrics = {
            pk: (key, kind == Metric.Kind.MEAN)
            for pk, key, kind in Metric.objects.filter(
                id__in={m for ms in metric_ids.values() for m in ms}
            ).values_list("id", "key", "kind")
        }
        self.rules = {
            key: _Rules(
                e, e.pk, status_refusal(e), *_utc_bounds(*data_window(e)), variants[e.pk],
                {metrics[m][0]: (m, metrics[m][1]) for m in metric_ids.get(e.pk, ())},
            )
            for key, e in by_key.items()
        }  # fmt: skip
        self.known_metric_keys: set[str] | None = None

    def metric_exists(self, metric_key: str) -> bool:
        if self.known_metric_keys is None:
            self.known_metric_keys = set(Metric.objects.values_list("key", flat=True))
        return metric_key in self.known_metric_keys


# --- the fields of an event ----------------------------------------------------------------
# Each check takes the event's value of its field, what the earlier checks found (a dict) and
# the batch; it adds what it finds to that dict (the columns of ``EVENT_COLUMNS`` among them)
# and returns the field's problem, or None: one problem at most per field. Each tries the
# good value first and works out what is wrong only when it is not (most events are good).


def _experiment(key, checked: dict, batch: _Batch) -> str | None:
    checked["experiment"] = rules = batch.rules.get(key) if type(key) is str else None
    if rules is not None:
        checked["experiment_id"] = rules.id
        return rules.closed
    if key is None or key == "":
        return "is required (the experiment key)"
    return f"unknown experiment {key!r}"


def _variant(key, checked: dict, batch: _Batch) -> str | None:
    rules = checked["experiment"]
    if rules is not None and type(key) is str:
        variant_id = rules.variants.get(key)
        if variant_id is not None:
            checked["variant_id"] = variant_id
            return None
    if key is None or key == "":
        return "is required (the variant key)"
    if rules is None:
        return None  # the experiment's own problem says why
    return f"{key!r} is not a variant of {rules.experiment.key!r}"


def _user_id(user, checked: dict, batch: _Batch) -> str | None:
    if type(user) is int:
        user = str(user)
    if type(user) is str and 0 < len(user) <= MAX_USER_ID:
        checked["user_id"] = user
        return None
    if type(user) is str:
        return f"must be 1 to {MAX_USER_ID} characters"
    return "is required (a string)" if user is None else "must be a string"


def _kind(name, checked: dict, batch: _Batch) -> str | None:
    checked["kind"] = kind = KINDS.get(name) if type(name) is str else None
    if kind is None:
        return f"must be 'exposure' or 'conversion' (got {name!r})"
    return None


def _metric(key, checked: dict, batch: _Batch) -> str | None:
    kind = checked["kind"]
    if kind == EXPOSURE:
        return None if key is None else "an exposure has no metric"
    if kind is None:
        return None  # the kind's own problem says why
    if key is None or key == "":
        return "is required for a conversion"
    rules = checked["experiment"]
    if rules is None:
        return None
    found = rules.metrics.get(key) if type(key) is str else None
    if found is None:
        if type(key) is str and batch.metric_exists(key):
            return f"{key!r} is not a metric of {rules.experiment.key!r}"
        return f"unknown metric {key!r}"
    checked["metric_id"], is_mean = found
    if is_mean:
        checked["mean_metric"] = key
    return None


def _value(value, checked: dict, batch: _Batch) -> str | None:
    if value is None:
        if "mean_metric" in checked:
            return f"is required: {checked['mean_metric']!r} is a mean (value per user) metric"
        return None
    if type(value) is not float and type(value) is not int:
        return f"must be a number (got {value!r})"
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or not 0 <= number <= batch.max_value:
        return f"must be a finite number from 0 to {batch.max_value:g} (got {value!r})"
    if checked["kind"] == EXPOSURE:
        return "an exposure has no value"
    checked["value"] = number
    return None


def _timestamp(stamp, checked: dict, batch: _Batch) -> str | None:
    when = _parsed_timestamp(stamp) if type(stamp) is str else None
    rules = checked["experiment"]
    usable = rules is not None and rules.closed is None
    if usable and when is not None and when.tzinfo is not None:
        # The window lies within the years events may have, so this is the whole check.
        if rules.begins is not None and rules.begins <= when < rules.ends:
            checked["timestamp"] = stamp if stamp[-1] == "Z" else _in_utc(when)
            return None
    if type(stamp) is not str:
        if stamp is None:
            return "is required (ISO 8601 with a time zone)"
        return f"must be an ISO 8601 string with a time zone (got {stamp!r})"
    if when is None:
        return f"is not an ISO 8601 date-time (YYYY-MM-DDTHH:MM:SS with Z or ±HH:MM; got {stamp!r})"
    if when.tzinfo is None:
        return f"needs a time zone, e.g. {stamp}Z (got {stamp!r})"
    if not EARLIEST_EVENT <= when < LATEST_EVENT:
        return f"must be in the years 2000 to 2099 (got {stamp!r})"
    day = when.astimezone(dt.UTC).date()  # cohorts are UTC days
    if usable and (refused := day_refusal(rules.experiment, day)):
        return refused
    checked["timestamp"] = stamp if stamp[-1] == "Z" else _in_utc(when)
    return None


def _in_utc(when: dt.datetime) -> str:
    """An event's time as stored: ISO 8601 text, which ``COPY`` and Django's date-time field
    both read. A time sent in UTC (``Z``) is stored as sent (formatting the parsed time again
    cost more than parsing it); one with an offset is converted, because PostgreSQL takes
    offsets only up to ±15:59 where ISO 8601 and Python allow up to ±23:59."""
    return when.astimezone(dt.UTC).isoformat()


def _utc_bounds(first_day: dt.date | None, last_day: dt.date):
    """The instants from ``first_day``'s start to ``last_day``'s end in UTC (cohorts are UTC
    days), within the years events may have; (None, None) when there is no first day.
    Comparing an event's time with them is quicker than finding its UTC day."""
    if first_day is None:
        return None, None
    midnight = dt.time(tzinfo=dt.UTC)
    begins = dt.datetime.combine(first_day, midnight)
    ends = dt.datetime.combine(min(last_day, LATEST_EVENT.date() - dt.timedelta(days=1)), midnight)
    return max(begins, EARLIEST_EVENT), ends + dt.timedelta(days=1)


def _parsed_timestamp(text: str) -> dt.datetime | None:
    """``YYYY-MM-DDTHH:MM:SS[.ffffff]`` with ``Z`` or an offset; naive times parse, to be named."""
    if not TIMESTAMP.fullmatch(text) and not TIMESTAMP.fullmatch(text + "Z"):
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:  # the right shape, but no such day or time (2026-02-30, 25:00)
        return None


# In the order their problems are listed; the later checks read the earlier ones' results.
EVENT_FIELDS = (
    ("experiment", _experiment),
    ("variant", _variant),
    ("user_id", _user_id),
    ("kind", _kind),
    ("metric", _metric),
    ("value", _value),
    ("timestamp", _timestamp),
)
_as_row = itemgetter(*EVENT_COLUMNS)
_experiment_of = itemgetter(0)


def _validated(events: list, actor) -> list[tuple]:
    """Each event as a row of ``EVENT_COLUMNS``.

    Raises :class:`EventsForbidden` listing the events for experiments the sender may not
    write to, else :class:`EventsRejected` listing every other problem: the same rules as an
    upload (status, days in the experiment's window), checked per experiment.
    """
    batch = _Batch(
        {k for e in events if type(e) is dict and type(k := e.get("experiment")) is str}, actor
    )
    if batch.forbidden:
        _refuse_forbidden(events, batch.forbidden)
    problems: list[dict] = []
    rows: list[tuple] = []
    for i, event in enumerate(events):
        if type(event) is not dict:
            problems.append({"index": i, "field": "event", "message": "must be an object"})
            continue
        checked = {"metric_id": None, "value": None}  # the fields an event may leave out
        known_problems = len(problems)
        for field, check in EVENT_FIELDS:
            message = check(event.get(field), checked, batch)
            if message is not None:
                problems.append({"index": i, "field": field, "message": message})
        if len(problems) == known_problems:
            rows.append(_as_row(checked))
    if problems:
        raise EventsRejected(problems)
    return rows


def _refuse_forbidden(events: list, forbidden: dict[str, str]) -> None:
    """Raise :class:`EventsForbidden` listing every event for an experiment in ``forbidden``."""
    refused = [
        {"index": i, "field": "experiment", "message": forbidden[key]}
        for i, event in enumerate(events)
        if type(event) is dict and type(key := event.get("experiment")) is str and key in forbidden
    ]
    raise EventsForbidden(refused)
