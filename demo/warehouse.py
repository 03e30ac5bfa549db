"""The demo's embedded warehouse (docs/warehouse.md, "The demo warehouse"): every demo
experiment's results come from SQL.

Before any experiment is designed, the analyst adds the data source "Demo warehouse (DuckDB)"
(a DuckDB file in GA4-export shape, demo/warehouse_tables.py) and defines each of the demo's
metrics there (conversions and sums of GA4 events; revenue per user with CUPED's 14-day
pre-period, a secondary metric of the running tests from their draft), and the CMO marks
them official. Each experiment is linked to the source when its first data arrives. Then, a
week at a time, each experiment's planned daily per-variant aggregates (demo/data.py) are
written to the file as users and events, and the real refresh path
(``warehouse.refresh.refresh_batch``, one batch per week, incremental: only the week's new
users) reads them back by SQL as observations with source ``warehouse``; the analysis follows
as after any refresh. So every result — this year's programme (running, paused, completed,
concluded, killed), the record's 48 decisions (demo/record.py) and the past year's eight
experiments with their holdout days (demo/past.py) — comes from the warehouse on the first
``seed_demo``, and *Refresh from the warehouse* works from then on.

Not from the warehouse, on purpose:

- the objectives' measured KPIs and the programme holdout's groups (demo/measured.py) and the
  segments' economics: programme-level uploads, not an experiment's observations;
- ``seed_demo --large``'s benchmark experiments (bulk rows with no data, demo/bench.py).

Where the file cannot be named by a source (its path is not a plain absolute path), the
planned numbers are uploaded instead.
"""

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from experiments.models import Experiment, Metric
from roles.models import User
from warehouse.models import DataSource, RefreshRun
from warehouse.refresh import refresh_batch
from warehouse.services import (
    datasource_create,
    experiment_source_set,
    metric_define,
    metric_mark_official,
)

from .data import DRAWN_PER_USER, Deliver, upload_planned
from .organisation import Organisation
from .warehouse_tables import (
    CUPED_LIFT,
    EVENT_NAMES,
    Batch,
    append,
    create_tables,
    fact_rows,
    split_devices,
)

SECRET_PATH = re.compile(r"/[A-Za-z0-9_./-]{1,250}")
SOURCE_NAME = "Demo warehouse (DuckDB)"
METRIC_KEY = DRAWN_PER_USER
WINDOW_HOURS = 72
CUPED_DAYS = 14
# How each metric is computed from its GA4 event: (aggregation, value expression).
AGGREGATIONS = {
    "signup_conversion": ("conversion", "1"),
    "trial_to_paid": ("conversion", "1"),
    "demo_request_rate": ("conversion", "1"),
    "unsubscribe_rate": ("conversion", "1"),
    "revenue_per_visitor": ("sum", "value"),
    "days_to_activation": ("sum", "value"),
}


class DemoWarehouseFailed(Exception):
    """A refresh of the demo's own data failed: a bug in the demo, never to be hidden."""


@dataclass
class DemoWarehouse:
    """The file, its source, who refreshes, and the next user id to hand out."""

    path: Path
    source: DataSource
    analyst: User
    kinds: dict[str, str]
    next_id: int = 1
    refreshed: set[int] = field(default_factory=set)

    def deliver(self, planned) -> int:
        """Write the planned rows of experiments as users and events, then refresh those
        experiments in one batch; returns the observations written."""
        planned = [(experiment, rows) for experiment, rows in planned if rows]
        if not planned:
            return 0
        ids = [experiment.pk for experiment, _ in planned]
        cuped = set(
            Experiment.objects.filter(pk__in=ids, secondary_metrics__key=METRIC_KEY).values_list(
                "pk", flat=True
            )
        )
        batch = Batch()
        for experiment, rows in planned:
            self._link(experiment)
            self._add(batch, experiment, rows, cuped=experiment.pk in cuped)
        append(self.path, batch)
        # Only the new days: the earlier ones were read at the earlier looks, and their users'
        # events arrived with them (demo/warehouse_tables.py).
        since = {e.pk: dt.date.fromisoformat(min(r["date"] for r in rows)) for e, rows in planned}
        runs = refresh_batch(ids, actor=self.analyst, since=since)
        failed = [run for run in runs if run.status != RefreshRun.Status.SUCCEEDED]
        if failed:
            raise DemoWarehouseFailed(f"{failed[0].experiment}: {failed[0].error}")
        self.refreshed.update(ids)
        _date_runs(runs, planned)
        return sum(run.written for run in runs)

    def _link(self, experiment: Experiment) -> None:
        if experiment.pk not in self.refreshed:
            experiment_source_set(
                actor=self.analyst, experiment_id=experiment.pk, source=self.source
            )

    def _add(self, batch: Batch, experiment: Experiment, rows, *, cuped: bool) -> None:
        """A cell per day × variant × device (its users once), a fact per metric of it."""
        variants = {v.key: v for v in experiment.variants.all()}
        cells = defaultdict(list)
        for row in rows:
            cells[row["date"], row["variant"]].append(row)
        for (date, variant), cell in cells.items():
            day = dt.date.fromisoformat(date)
            parts = split_devices(cell[0]["users"])
            first_ids = []
            spend = 1.0 if variants[variant].is_control else 1.0 + CUPED_LIFT
            for device, users, _ in parts:
                first_ids.append(self.next_id)
                batch.cells.append(
                    (experiment.key, variant, day, device, self.next_id, users, spend, cuped)
                )
                self.next_id += users
            batch.facts += fact_rows(cell, parts, first_ids, day, SALTS, self.kinds)


SALTS = {key: index * 7 for index, key in enumerate(EVENT_NAMES)}


def _date_runs(runs, planned) -> None:
    """Each run at the morning of its newest day, as the week's look is dated
    (demo/data.py), so an experiment's refreshes read as its history."""
    now = timezone.now()
    newest = {experiment.pk: max(row["date"] for row in rows) for experiment, rows in planned}
    for run in runs:
        day = dt.date.fromisoformat(newest[run.experiment_id])
        at = min(timezone.make_aware(dt.datetime.combine(day, dt.time(6))), now)
        RefreshRun.objects.filter(pk=run.pk).update(queued_at=at, started_at=at, finished_at=at)


def warehouse_open(org: Organisation) -> tuple[Deliver, DemoWarehouse | None]:
    """The demo's warehouse: a new file with empty tables, its source, the metrics defined in
    it and stamped official. Returns how planned data is delivered, and the warehouse (None
    when the file cannot be named by a source: then the planned rows are uploaded)."""
    analyst, cmo = org.users["analyst"], org.users["cmo"]
    path = Path(settings.WAREHOUSE_DEMO_PATH)
    if not SECRET_PATH.fullmatch(str(path.with_suffix(".path"))):
        # A source names its setting's file by a plain absolute path (warehouse/models.py).
        return upload_planned(analyst), None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    path.with_suffix(".duckdb.wal").unlink(missing_ok=True)
    create_tables(path)
    source = datasource_create(
        actor=analyst,
        name=SOURCE_NAME,
        kind=DataSource.Kind.DUCKDB,
        connection_ref=f"file:{_pointer(path)}",
        read_only_role="(embedded file, opened read-only)",
        dimension_columns=["device=device_category"],
    )
    for key, (aggregation, value) in AGGREGATIONS.items():
        metric = org.metrics[key]
        _define(analyst, source, metric_id=metric.pk, aggregation=aggregation, value=value)
    org.metrics[METRIC_KEY] = _define(
        analyst,
        source,
        key=METRIC_KEY,
        name="Revenue per user",
        description="In-app purchase value per exposed user within 72 hours, from the warehouse.",
        aggregation="sum",
        value="value",
        covariate_days=CUPED_DAYS,
        direction=Metric.Direction.HIGHER,
        unit="EUR",
    )
    for key in EVENT_NAMES:
        metric_mark_official(actor=cmo, metric_id=org.metrics[key].pk)
    kinds = {key: org.metrics[key].kind for key in EVENT_NAMES}
    warehouse = DemoWarehouse(path, source, analyst, kinds)
    return warehouse.deliver, warehouse


def _define(analyst, source, *, aggregation, value, covariate_days=0, **fields) -> Metric:
    """A metric's definition in the demo warehouse: its GA4 event within 72 hours of
    exposure; no pre-period (no CUPED) unless ``covariate_days``."""
    key = fields.get("key") or Metric.objects.get(pk=fields["metric_id"]).key
    return metric_define(
        actor=analyst,
        source=source,
        fact_table="events",
        user_column="user_pseudo_id",
        time_column="event_timestamp",
        value_expression=value,
        aggregation=aggregation,
        filters=[{"column": "event_name", "op": "=", "value": EVENT_NAMES[key]}],
        conversion_window_hours=WINDOW_HOURS,
        covariate_days=covariate_days,
        note=f"GA4 “{EVENT_NAMES[key]}” events.",
        **fields,
    )


def _pointer(path: Path) -> Path:
    """The secret file naming the DuckDB file (a source stores where its setting lives)."""
    pointer = path.with_suffix(".path")
    pointer.write_text(f"{path}\n")
    return pointer
