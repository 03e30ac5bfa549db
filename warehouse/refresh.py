"""A refresh: each metric's query run in the experiment's warehouse, its daily per-variant
sums checked as an upload's rows are and written as observations (source ``warehouse``),
then analysis follows as after any write (``analytics.analysis.freshness``).

One query per fact table per batch of experiments sharing a data source, computing every
metric definition read from that table with the same user and time columns and windows (a
lone definition keeps the single-metric query): a batch of one is the refresh of one
experiment (the API and the page); beat refreshes the running ones in batches
(docs/warehouse.md). A failed, timed-out, capped or impossible result writes nothing for the
experiments it concerns; the run records why, and a ``refresh_failed`` alert says so.
"""

import datetime as dt
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from analytics.analysis.alerts import alerts_resolve, raise_alert
from analytics.analysis.freshness import observations_changed
from analytics.ingest.observations import (
    BatchRejected,
    data_window,
    observations_validated,
    status_refusal,
)
from analytics.ingest.store import NUMBERS, observations_upsert
from analytics.models import Alert, Observation
from experiments.models import Experiment, Metric
from experiments.selectors import experiment_metric_ids
from roles.capabilities import require

from .engines import QueryFailed, QueryOutcome, connection_for, duckdb_kept_open, run
from .models import ExperimentSource, MetricDefinition, RefreshRun
from .services import definition_query, latest_definitions, source_dimensions
from .sql import PER_METRIC_COLUMNS, QueryProblem, render, render_combined


class RefreshFailed(Exception):
    """Why a refresh of an experiment wrote nothing, for a person."""


@dataclass
class Target:
    """One experiment of a batch: its run, its window, its metrics' definitions."""

    experiment: Experiment
    run: RefreshRun
    key: str = ""
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    since: dt.date | None = None  # an incremental refresh's first day of first exposure
    definitions: dict[int, MetricDefinition] = field(default_factory=dict)
    dimensions: list[str] = field(default_factory=list)  # the source's, whatever the org's list
    rows: list[dict] = field(default_factory=list)
    problem: str = ""
    changed: bool = False  # whether its write changed any stored observation


def refresh_experiment(experiment_id: int, *, actor, run_id: int | None = None) -> RefreshRun:
    """Refresh one experiment from its warehouse; returns its run (succeeded or failed).

    ``actor`` None is the scheduler (beat); a person needs ``warehouse.refresh``.
    """
    experiment = Experiment.objects.get(pk=experiment_id)
    if actor is not None:
        require(actor, "warehouse.refresh", experiment)
    return refresh_batch([experiment_id], run_ids={experiment_id: run_id}, actor=actor)[0]


def refresh_batch(
    experiment_ids, *, actor=None, run_ids=None, since: dict[int, dt.date] | None = None
) -> list[RefreshRun]:
    """Refresh experiments together: one query per data source × fact table, computing every
    metric definition read from it (same columns and windows) for all the experiments.

    ``since`` (experiment id → day) makes it incremental: only the days of first exposure from
    that day on are read and compared with what is stored; the days before are taken as final
    (their users' windows closed before the new data arrived)."""
    targets = _targets(_experiments(experiment_ids), run_ids or {}, actor, since or {})
    groups = defaultdict(dict)  # a source × fact table → its definitions (by pk)
    for target in targets:
        if target.problem:
            continue
        for definition in target.definitions.values():
            groups[_shared(definition)][definition.pk] = definition
    batches = []
    for definitions in groups.values():
        chosen = sorted(definitions.values(), key=lambda d: (d.metric.key, d.pk))
        members = [
            t
            for t in targets
            if not t.problem and any(d.pk in definitions for d in t.definitions.values())
        ]
        batches.append((chosen, members))
    _plan(batches)
    with duckdb_kept_open():  # the batch's queries open each embedded file once
        for chosen, members in batches:
            _query_group(chosen, members)
    _finish_all(targets)
    return [t.run for t in targets]


def _plan(batches) -> None:
    """Record how many statements each run will send, for its progress bar."""
    planned = {}  # run pk → run
    for definitions, members in batches:
        statements = _slices(definitions[0].source)
        for member in members:
            planned[member.run.pk] = member.run
            member.run.statements_planned += statements  # kept for the run's own save
    by_count = defaultdict(list)  # most runs of a batch send as many: one update per count
    for refresh_run in planned.values():
        by_count[refresh_run.statements_planned].append(refresh_run.pk)
    for count, run_pks in by_count.items():
        RefreshRun.objects.filter(pk__in=run_pks).update(statements_planned=count)


def _shared(definition: MetricDefinition) -> tuple:
    """What definitions must share to be computed by one query."""
    return (
        definition.source_id,
        definition.fact_table,
        definition.user_column,
        definition.time_column,
        definition.conversion_window_hours,
        definition.covariate_days,
    )


def _experiments(experiment_ids):
    return list(
        Experiment.objects.filter(pk__in=experiment_ids).prefetch_related("variants").order_by("pk")
    )


def _targets(experiments, run_ids: dict, actor, since: dict) -> list[Target]:
    """Each experiment's run (started, in one commit) and what it refreshes, read for the
    whole batch at once."""
    ids = [e.pk for e in experiments]
    linked = ExperimentSource.objects.filter(experiment_id__in=ids).select_related("source")
    links = {link.experiment_id: link for link in linked}
    metric_ids = experiment_metric_ids(ids)
    definitions = latest_definitions(set().union(*metric_ids.values()))
    with transaction.atomic():
        runs = [_start_run(e, run_ids.get(e.pk), actor) for e in experiments]
    return [
        _target(
            Target(experiment, run),
            links.get(experiment.pk),
            {m: definitions[m] for m in metric_ids.get(experiment.pk, ()) if m in definitions},
            since.get(experiment.pk),
        )
        for experiment, run in zip(experiments, runs, strict=True)
    ]


def _target(
    target: Target, link: ExperimentSource | None, definitions: dict, since: dt.date | None
) -> Target:
    experiment = target.experiment
    try:
        if link is None:
            raise RefreshFailed("The experiment names no exposure source in a warehouse.")
        if reason := status_refusal(experiment):
            raise RefreshFailed(reason)
        target.first_day, target.last_day = data_window(experiment)
        if target.first_day is None or target.first_day > target.last_day:
            raise RefreshFailed("The experiment has not started: there is nothing to read yet.")
        if since is not None and since > target.first_day:
            target.since = since
        target.key = link.key
        target.dimensions = [dimension for dimension, _ in source_dimensions(link.source)]
        target.definitions = {m: d for m, d in definitions.items() if d.source_id == link.source_id}
        if not target.definitions:
            raise RefreshFailed(
                f"None of the experiment's metrics has a definition in “{link.source}”."
            )
    except RefreshFailed as exc:
        target.problem = str(exc)
    return target


def _start_run(experiment, run_id, actor) -> RefreshRun:
    now = timezone.now()
    run = RefreshRun.objects.filter(pk=run_id, experiment=experiment).first() if run_id else None
    if run is None:
        run = RefreshRun(experiment=experiment, requested_by=actor)
    # A redelivered task starts its run again from nothing.
    run.status, run.started_at, run.error, run.statements = RefreshRun.Status.RUNNING, now, "", []
    run.rows = run.written = run.statements_planned = run.statements_sent = 0
    run.save()
    return run


def _query_group(definitions: list[MetricDefinition], members: list[Target]) -> None:
    """The queries of ``definitions`` (one fact table) for their members: one per dimension
    of the source (or one for the overall rows when it has none); each row's metrics go to the
    members by key. A user has one value of each dimension, so the overall rows are the first
    dimension's summed (every column is a sum over users): no query of their own."""
    dimensions = source_dimensions(definitions[0].source)
    for index, (dimension, column) in enumerate(dimensions or [("", "")]):
        outcome = _query_slice(definitions, members, dimension, column)
        if outcome is None:
            return
        _split(outcome, definitions, members, dimension)
        if dimension and index == 0:
            _split(_overall(outcome), definitions, members, "")


def _slices(source) -> int:
    """The statements a batch sends per fact table: one per dimension, or one overall."""
    return max(1, len(source_dimensions(source)))


OVERALL_KEY = ("experiment_key", "variant_key", "exposure_day")


def _overall(outcome: QueryOutcome) -> QueryOutcome:
    """A dimension's rows summed over its values: the overall rows (a column all of whose
    values are NULL stays NULL, as SQL's SUM leaves it)."""
    columns = list(outcome.columns)
    at = [columns.index(name) for name in OVERALL_KEY]
    summed = [i for i, name in enumerate(columns) if name not in (*OVERALL_KEY, "dimension_value")]
    totals = {}
    for values in outcome.rows:
        row = totals.setdefault(tuple(values[i] for i in at), [None] * len(columns))
        for i in summed:
            if values[i] is not None:
                row[i] = values[i] if row[i] is None else row[i] + values[i]
    rows = []
    for key, row in totals.items():
        for i, value in zip(at, key, strict=True):
            row[i] = value
        row[columns.index("dimension_value")] = ""
        rows.append(tuple(row))
    return QueryOutcome(columns, rows, outcome.duration_ms)


def _query_slice(definitions, members, dimension: str, column: str) -> QueryOutcome | None:
    source = definitions[0].source
    started = time.perf_counter()
    statement = {
        "metrics": [{"metric": d.metric.key, "version": d.version} for d in definitions],
        "dimension": dimension,
        "sql": "",
    }
    try:
        statement["sql"] = _sql(definitions, members, column)
        outcome = run(connection_for(source), statement["sql"])
    except (QueryProblem, QueryFailed) as exc:
        slice_name = f" by {dimension}" if dimension else ""
        named = ", ".join(f"{d.metric.key} v{d.version}" for d in definitions)
        problem = f"{named}{slice_name}: {exc}"
        for member in members:
            member.problem = member.problem or problem
        outcome = None
    statement["duration_ms"] = round((time.perf_counter() - started) * 1000)
    statement["rows"] = len(outcome.rows) if outcome else 0
    for member in members:
        member.run.statements.append(statement)
        member.run.statements_sent += 1  # as the update below counts it, for the run's save
    # The page follows the run while it is under way: one counter update for the batch (the
    # statements themselves, SQL included, are saved once, when each run finishes).
    RefreshRun.objects.filter(pk__in=[m.run.pk for m in members]).update(
        statements_sent=F("statements_sent") + 1
    )
    return outcome


def _sql(definitions, members, column: str) -> str:
    source = definitions[0].source
    window = {
        "experiment_keys": tuple(sorted({m.key for m in members})),
        "start": min(m.first_day for m in members),
        "end": max(m.last_day for m in members),
        "dimension_column": column,
        "key_starts": tuple(sorted((m.key, m.since) for m in members if m.since)),
    }
    queries = [definition_query(d, source, **window) for d in definitions]
    if len(queries) == 1:
        return render(queries[0], source.kind)
    return render_combined(queries, source.kind)


def _split(outcome, definitions, members, dimension: str) -> None:
    """Each result row as one observation row per metric, to the members computing it."""
    by_key = {m.key: m for m in members}
    suffixes = [""] if len(definitions) == 1 else [f"_{i}" for i in range(len(definitions))]
    for values in outcome.rows:
        row = dict(zip(outcome.columns, values, strict=True))
        member = by_key.get(row["experiment_key"])
        if member is None:
            continue
        for definition, suffix in zip(definitions, suffixes, strict=True):
            if member.definitions.get(definition.metric_id) != definition:
                continue
            metric_row = {**row, **{c: row[c + suffix] for c in PER_METRIC_COLUMNS}}
            member.rows.append(_observation_row(metric_row, definition, dimension))


def _observation_row(row: dict, definition: MetricDefinition, dimension: str) -> dict:
    """A query's row as an upload's row (the same checks follow); a slice's row names its
    dimension and value (a missing value is the slice "unknown"). A definition without a
    pre-period (``covariate_days`` 0) gives no covariate: its results are read without CUPED."""
    day, metric = row["exposure_day"], definition.metric
    values = {
        "date": day.isoformat() if hasattr(day, "isoformat") else str(day),
        "variant": row["variant_key"],
        "metric": metric.key,
        "users": _plain(row["users"]),
    }
    if definition.covariate_days:
        values["covariate_sum"] = _plain(row["covariate_sum"])
        values["covariate_sum_squares"] = _plain(row["covariate_sum_squares"])
        values["cross_sum"] = _plain(row["cross_sum"])
    if dimension:
        values["dimension"] = dimension
        values["dimension_value"] = str(row["dimension_value"] or "unknown")[:64]
    if metric.kind == Metric.Kind.BINOMIAL:
        values["conversions"] = _plain(row["metric_sum"])
    else:
        values["sum"] = _plain(row["metric_sum"])
        values["sum_squares"] = _plain(row["metric_sum_squares"])
    return values


def _plain(value):
    """A number as Python gives it (drivers return Decimal, numpy or integral floats)."""
    if value is None:
        return None
    number = float(value)
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _finish_all(targets: list[Target]) -> None:
    """Every target's writes in one transaction (each experiment's in a savepoint of its
    own): one commit for the batch instead of several per experiment, and one analysis
    request for all the experiments written."""
    with transaction.atomic():
        written = [t.experiment.pk for t in targets if _finish(t)]
        observations_changed(written)


def _finish(target: Target) -> bool:
    """Write the target's rows and close its run; True when its observations changed (so its
    results must be analysed again)."""
    run = target.run
    run.rows = len(target.rows)
    started = run.started_at or timezone.now()
    try:
        if target.problem:
            raise RefreshFailed(target.problem)
        written = _write(target)
    except RefreshFailed as exc:
        _failed(target, str(exc))
        return False
    else:
        run.status, run.written = RefreshRun.Status.SUCCEEDED, written
        run.finished_at = timezone.now()
        run.duration_ms = round((run.finished_at - started).total_seconds() * 1000)
        run.save()
        run.metric_versions.set(target.definitions.values())
        alerts_resolve(
            Alert.objects.filter(experiment=target.experiment, kind=Alert.Kind.REFRESH_FAILED)
        )
        return target.changed


def _write(target: Target) -> int:
    first_day = target.since or target.first_day  # an incremental refresh keeps the days before
    rows = [
        r for r in target.rows if first_day.isoformat() <= r["date"] <= target.last_day.isoformat()
    ]
    if not rows:
        raise RefreshFailed(
            f"The warehouse has no exposures of “{target.key}” from {first_day} to "
            f"{target.last_day}: check the experiment key and the exposure table."
        )
    with transaction.atomic():
        # Only the window's days: a shipped test's own days are final once its holdout's come.
        stored = {
            (variant, metric, day.isoformat(), dimension, value): (pk, tuple(numbers))
            for pk, variant, metric, day, dimension, value, *numbers in Observation.objects.filter(
                experiment=target.experiment,
                metric_id__in=list(target.definitions),
                source=Observation.Source.WAREHOUSE,
                date__gte=first_day,
                date__lte=target.last_day,
            ).values_list("pk", *STORED_KEY, *NUMBERS, "metric_version")
        }
        returned = {_key(r) for r in rows}
        gone = [pk for key, (pk, _) in stored.items() if key not in returned]
        # The rows whose numbers (or whose definition's version) the warehouse changed: a
        # refresh that returns what is stored writes nothing and queues no analysis.
        versions = {d.metric.key: d.version for d in target.definitions.values()}
        changed = [
            r
            for r in rows
            if not _same(stored.get(_key(r), (None, None))[1], r, versions[r["metric"]])
        ]
        observations = _validated(target, changed)
        Observation.objects.filter(pk__in=gone).delete()
        observations_upsert(observations)
    target.changed = bool(observations or gone)
    return len(observations)


STORED_KEY = ("variant__key", "metric__key", "date", "dimension", "dimension_value")


def _key(row: dict) -> tuple:
    return (
        row["variant"],
        row["metric"],
        row["date"],
        row.get("dimension", ""),
        row.get("dimension_value", ""),
    )


def _same(stored: tuple | None, row: dict, version: int) -> bool:
    """The row's numbers are the stored ones, from the same definition version: equal counts,
    and sums equal but for the last bits (a parallel engine may add the same values in another
    order)."""
    if stored is None or stored[-1] != version:
        return False
    for kept, new in zip(stored[:-1], (row.get(name) for name in NUMBERS), strict=True):
        if kept is None or new is None:
            if kept is not new:
                return False
        elif not math.isclose(kept, new, rel_tol=1e-12, abs_tol=1e-9):
            return False
    return True


def _validated(target: Target, rows: list[dict]) -> list[Observation]:
    """The rows checked as an upload's are, as observations with source ``warehouse`` in the
    order they are locked in."""
    try:
        observations = (
            observations_validated(target.experiment, rows, dimensions=target.dimensions)
            if rows
            else []
        )
    except BatchRejected as exc:
        listed = "; ".join(f"{p.row}: {p.field} {p.message}" for p in exc.problems[:5])
        raise RefreshFailed(f"The warehouse returned impossible numbers ({listed}).") from exc
    for observation in observations:
        observation.source = Observation.Source.WAREHOUSE
        observation.metric_version = target.definitions[observation.metric_id].version
    observations.sort(
        key=lambda o: (o.variant_id, o.metric_id, o.date, o.dimension, o.dimension_value)
    )
    return observations


def _failed(target: Target, message: str) -> None:
    run = target.run
    run.status, run.error, run.finished_at = RefreshRun.Status.FAILED, message, timezone.now()
    run.duration_ms = round(
        (run.finished_at - (run.started_at or run.finished_at)).total_seconds() * 1000
    )
    run.save()
    text = f"The warehouse refresh of “{target.experiment}” wrote nothing: {message}"
    alert = Alert.objects.filter(
        experiment=target.experiment, kind=Alert.Kind.REFRESH_FAILED, metric__isnull=True
    ).first()
    if alert is None:
        raise_alert(target.experiment, Alert.Kind.REFRESH_FAILED, text)
    else:
        Alert.objects.filter(pk=alert.pk).update(message=text, resolved_at=None)
