"""The demo's embedded warehouse (docs/warehouse.md): a DuckDB file in GA4-export shape with
the running experiments' exposures and purchase events, its data source, one metric defined
there (revenue per user), and one refresh through the real refresh path, so that metric's
observations (source ``warehouse``) and results come from SQL on the first run.

The metric is the warehouse's alone: the running experiments' uploaded metrics keep their
uploaded rows (a refresh would replace rows of the same variant × metric × day).
"""

import csv
import datetime as dt
import os
import random
import re
import tempfile
from pathlib import Path

import duckdb
from django.conf import settings
from django.utils import timezone

from analytics.models import Observation
from experiments.models import Experiment, ExperimentStatus, Metric
from warehouse.models import DataSource
from warehouse.refresh import refresh_batch
from warehouse.services import (
    datasource_create,
    experiment_source_set,
    metric_define,
    metric_mark_official,
)

from .data import analyse_stale
from .organisation import Organisation

SECRET_PATH = re.compile(r"/[A-Za-z0-9_./-]{1,250}")
SOURCE_NAME = "Demo warehouse (DuckDB)"
METRIC_KEY = "revenue_per_user"
USERS_PER_EXPERIMENT = 3_000
LIFT = 0.06  # each treatment's lift in revenue per user
EXPOSURE_COLUMNS = {
    "experiment_key": "VARCHAR",
    "variant_key": "VARCHAR",
    "user_pseudo_id": "VARCHAR",
    "exposed_at": "TIMESTAMP",
    "device_category": "VARCHAR",
}
EVENT_COLUMNS = {
    "user_pseudo_id": "VARCHAR",
    "event_name": "VARCHAR",
    "event_timestamp": "TIMESTAMP",
    "value": "DOUBLE",
}


def seed_warehouse(org: Organisation, *, today: dt.date | None = None) -> dict:
    """Write the warehouse file, define its metric, link and refresh the running experiments.
    Returns {"path", "refreshed", "written"}; nothing when the source is there already."""
    path = Path(settings.WAREHOUSE_DEMO_PATH)
    if DataSource.objects.filter(name=SOURCE_NAME).exists():
        return {"path": path, "refreshed": 0, "written": 0}
    if not SECRET_PATH.fullmatch(str(path.with_suffix(".path"))):
        # A source names its setting's file by a plain absolute path (warehouse/models.py).
        return {
            "path": f"nowhere: {path} is not a plain absolute path",
            "refreshed": 0,
            "written": 0,
        }
    today = today or timezone.localdate()
    running = list(
        Experiment.objects.filter(status=ExperimentStatus.RUNNING, start_date__isnull=False)
        .prefetch_related("variants")
        .order_by("pk")
    )
    write_warehouse(path, running, today=today, rng=random.Random(2312))
    analyst, cmo = org.users["analyst"], org.users["cmo"]
    source = datasource_create(
        actor=analyst,
        name=SOURCE_NAME,
        kind=DataSource.Kind.DUCKDB,
        connection_ref=f"file:{_pointer(path)}",
        read_only_role="(embedded file, opened read-only)",
        dimension_columns=["device=device_category"],
    )
    metric = metric_define(
        actor=analyst,
        key=METRIC_KEY,
        name="Revenue per user",
        description="Purchase value per exposed user within 72 hours, from the warehouse.",
        source=source,
        fact_table="events",
        user_column="user_pseudo_id",
        time_column="event_timestamp",
        value_expression="value",
        aggregation="sum",
        filters=[{"column": "event_name", "op": "=", "value": "purchase"}],
        conversion_window_hours=72,
        covariate_days=14,
        direction=Metric.Direction.HIGHER,
        unit="EUR",
        note="GA4 purchase events' value.",
    )
    metric_mark_official(actor=cmo, metric_id=metric.pk)
    for experiment in running:
        # Measured alongside, never deciding: added after the uploads, read from SQL only.
        experiment.secondary_metrics.add(metric)
        experiment_source_set(actor=analyst, experiment_id=experiment.pk, source=source)
    runs = refresh_batch([e.pk for e in running], actor=analyst)
    analyse_stale([e.pk for e in running])
    refreshed = sum(run.status == run.Status.SUCCEEDED for run in runs)
    written = Observation.objects.filter(source=Observation.Source.WAREHOUSE).count()
    return {"path": path, "refreshed": refreshed, "written": written}


def _pointer(path: Path) -> Path:
    """The secret file naming the DuckDB file (a source stores where its setting lives)."""
    pointer = path.with_suffix(".path")
    pointer.write_text(f"{path}\n")
    return pointer


def write_warehouse(path: Path, experiments, *, today: dt.date, rng: random.Random) -> None:
    """The ``exposures`` and ``events`` tables, written to a new file that then replaces
    ``path`` (a reader never sees half a file)."""
    exposures, events = [], []
    for experiment in experiments:
        _experiment_rows(experiment, today, rng, exposures, events)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as work:
        built = os.path.join(work, "warehouse.duckdb")
        db = duckdb.connect(built)
        try:
            for table, columns, rows in (
                ("exposures", EXPOSURE_COLUMNS, exposures),
                ("events", EVENT_COLUMNS, events),
            ):
                _load(db, work, table, columns, rows)
        finally:
            db.close()
        os.replace(built, path)


def _load(db, work: str, table: str, columns: dict, rows: list) -> None:
    data = os.path.join(work, f"{table}.csv")
    with open(data, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    types = ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items())
    db.execute(
        f"CREATE TABLE {table} AS SELECT * FROM read_csv(?, header = false, columns = {{{types}}})",
        [data],
    )


def _experiment_rows(experiment, today, rng, exposures, events) -> None:
    variants = sorted(experiment.variants.all(), key=lambda v: (not v.is_control, v.key))
    days = (min(experiment.end_date or today, today) - experiment.start_date).days + 1
    for n in range(USERS_PER_EXPERIMENT):
        user = f"{experiment.key}-{n:05d}"
        variant = variants[n % len(variants)]
        day = experiment.start_date + dt.timedelta(days=rng.randrange(days))
        at = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=rng.randrange(24 * 60))
        device = rng.choices(["mobile", "desktop", "tablet"], weights=[6, 3, 1])[0]
        exposures.append((experiment.key, variant.key, user, at, device))
        lift = 1.0 if variant.is_control else 1.0 + LIFT
        spend = rng.lognormvariate(3.2, 0.6)
        for _ in range(rng.choices([0, 1, 2], weights=[80, 16, 4])[0]):  # after exposure
            when = at + dt.timedelta(minutes=rng.randrange(72 * 60))
            events.append((user, "purchase", when, round(spend * lift, 2)))
        for _ in range(rng.choices([0, 1], weights=[85, 15])[0]):  # before: CUPED's covariate
            when = at - dt.timedelta(minutes=rng.randrange(1, 14 * 24 * 60))
            events.append((user, "purchase", when, round(spend, 2)))
        events.append((user, "page_view", at, 0.0))
