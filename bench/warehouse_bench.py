"""Warehouse refresh benchmark on DuckDB: the whole refresh against one hand-written GROUP BY
over the same rows.

    .venv/bin/python bench/warehouse_bench.py [--rows 100000000] [--experiments 1000]
        [--data /tmp/warehouse.duckdb]   # reuse (or keep) the generated file

Each step runs in a child process of its own, so each peak memory printed is that step's:

1. Generation: ``--rows`` rows in a DuckDB file in a temporary folder under ``$TMPDIR``
   (GA4-export shape): 40 % exposures (``experiment_key, variant_key, user_pseudo_id,
   exposed_at``, 1,000 experiments, some users exposed twice) and 60 % events
   (``user_pseudo_id, event_name, event_timestamp, value``: purchases with a value,
   add-to-carts), before and after exposure. Not timed against anything.
2. The hand-written query: one GROUP BY computing the three metrics' daily sums at once,
   on a connection with the refresh's DuckDB settings (``engines.duckdb_config``: the same
   memory ceiling, no insertion order, DuckDB's default threads), rows fetched into Python.
3. The refresh: a Django database of its own (SQLite in the temporary folder, or PostgreSQL
   when ``DATABASE_URL`` names one: see ``bench_database``) holding a DuckDB data source
   (``datasource_create``), three metrics (``metric_define``: purchase conversion, revenue
   sum, add-to-cart conversion) and ``--experiments`` running experiments, each linked to its
   exposures (``experiment_source_set``). The experiments, their variants and metrics are
   bulk-created (the lifecycle services would add minutes of set-up and nothing timed).
   Then ``warehouse.refresh.refresh_batch`` over all of them is timed whole: run records,
   definitions, the query (``engines.run``: one combined query, as the three metrics read
   one fact table with the same columns and windows), the rows split per metric, checked as
   an upload's rows and written as observations in one transaction per experiment. The
   analysis each write queues goes to Celery's in-memory broker and is not run. Beat
   refreshes in batches of 200 (``warehouse.tasks.BATCH``); one batch of all is timed here
   so that one query reads the rows once, as the hand-written one does.

The parent prints the refresh's time (and its query, write and other parts), the hand
query's, their ratio (target ≤ 1.3×), whether the observations written equal the hand
query's numbers (counts exactly, sums of doubles to 1e-9 relative: DuckDB adds in parallel, in
no fixed order), and each step's peak resident memory (target < 1 GB): ``VmHWM`` of the child
after its set-up was cleared (``/proc/self/clear_refs``), so the refresh's peak is the timed
part's (Django, its rows and DuckDB), and ``ru_maxrss`` of the whole child beside it.
Figures measured: docs/warehouse.md (Benchmark).
"""

import argparse
import datetime as dt
import math
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

START = dt.date(2026, 11, 1)
END = dt.date(2026, 11, 14)
ENV = "GROWTHOPS_BENCH_WAREHOUSE"
# key, aggregation, value, event name
METRICS = [
    ("purchase", "conversion", "1", "purchase"),
    ("revenue", "sum", "value", "purchase"),
    ("add_to_cart", "conversion", "1", "add_to_cart"),
]
HAND = """
WITH e AS (
  SELECT experiment_key, user_pseudo_id, MIN(variant_key) AS variant_key,
         MIN(exposed_at) AS t0
  FROM exposures
  WHERE exposed_at >= TIMESTAMP '{start}' AND exposed_at < TIMESTAMP '{end}'
  GROUP BY experiment_key, user_pseudo_id HAVING MIN(variant_key) = MAX(variant_key)
), u AS (
  SELECT e.experiment_key, e.variant_key, CAST(e.t0 AS DATE) AS d,
    COUNT(*) FILTER (WHERE f.event_name = 'purchase' AND f.event_timestamp >= e.t0
                     AND f.event_timestamp < e.t0 + INTERVAL 72 HOUR) AS p_n,
    COALESCE(SUM(f.value) FILTER (WHERE f.event_name = 'purchase' AND f.event_timestamp >= e.t0
                     AND f.event_timestamp < e.t0 + INTERVAL 72 HOUR), 0) AS r_y,
    COUNT(*) FILTER (WHERE f.event_name = 'add_to_cart' AND f.event_timestamp >= e.t0
                     AND f.event_timestamp < e.t0 + INTERVAL 72 HOUR) AS a_n,
    COUNT(*) FILTER (WHERE f.event_name = 'purchase' AND f.event_timestamp < e.t0
                     AND f.event_timestamp >= e.t0 - INTERVAL 14 DAY) AS p_x,
    COALESCE(SUM(f.value) FILTER (WHERE f.event_name = 'purchase' AND f.event_timestamp < e.t0
                     AND f.event_timestamp >= e.t0 - INTERVAL 14 DAY), 0) AS r_x,
    COUNT(*) FILTER (WHERE f.event_name = 'add_to_cart' AND f.event_timestamp < e.t0
                     AND f.event_timestamp >= e.t0 - INTERVAL 14 DAY) AS a_x
  FROM e LEFT JOIN events f ON f.user_pseudo_id = e.user_pseudo_id
  GROUP BY e.experiment_key, e.variant_key, e.user_pseudo_id, CAST(e.t0 AS DATE)
)
SELECT experiment_key, variant_key, d, COUNT(*) AS users,
  SUM((p_n > 0)::INT), SUM((p_x > 0)::INT), SUM((p_n > 0)::INT * (p_x > 0)::INT),
  SUM(r_y), SUM(r_y * r_y), SUM(r_x), SUM(r_x * r_x), SUM(r_x * r_y),
  SUM((a_n > 0)::INT), SUM((a_x > 0)::INT), SUM((a_n > 0)::INT * (a_x > 0)::INT)
FROM u GROUP BY ALL
"""


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--experiments", type=int, default=1000)
    parser.add_argument("--data", help="a DuckDB file to reuse (generated there if missing)")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        outcome = PHASES[args.phase](args)
        outcome["peak_mb"] = peak_mb()
        Path(args.out).write_bytes(pickle.dumps(outcome))
        return 0
    with tempfile.TemporaryDirectory(prefix="warehouse-bench-") as folder:
        return compare(args, folder)


def compare(args, folder: str) -> int:
    path = args.data or os.path.join(folder, "warehouse.duckdb")
    if not os.path.exists(path):
        made = child("generate", args, path, folder)
        print(f"generated {args.rows:,} rows in {made['seconds']:.1f} s "
              f"(peak {made['peak_mb']:,.0f} MB)", flush=True)  # fmt: skip
    hand = child("hand", args, path, folder)
    print(f"hand-written GROUP BY: {hand['seconds']:.2f} s, {len(hand['rows']):,} rows "
          f"(peak {hand['peak_mb']:,.0f} MB; whole process {hand['maxrss_mb']:,.0f} MB)",
          flush=True)  # fmt: skip
    refresh = child("refresh", args, path, folder)
    print(refresh["setup"])
    print(f"refresh_batch: {args.experiments:,} experiments × 3 metrics in "
          f"{refresh['seconds']:.2f} s: query {refresh['query']:.2f} s, writes "
          f"{refresh['write']:.2f} s ({refresh['written']:,} observations), other "
          f"{refresh['seconds'] - refresh['query'] - refresh['write']:.2f} s; "
          f"{refresh['succeeded']:,} runs succeeded "
          f"(peak {refresh['peak_mb']:,.0f} MB; whole process {refresh['maxrss_mb']:,.0f} MB)"
          )  # fmt: skip
    wanted = hand_numbers(hand["rows"])
    equal, worst = same_numbers(refresh["observations"], wanted)
    print(f"ratio (whole refresh / hand): {refresh['seconds'] / hand['seconds']:.2f}× "
          f"(target ≤ 1.3×); query alone {refresh['query'] / hand['seconds']:.2f}×")  # fmt: skip
    print(f"observations equal the hand query's numbers: {equal} "
          f"({len(wanted):,} rows; largest relative difference of a sum {worst:.1e})")  # fmt: skip
    peak = max(hand["peak_mb"], refresh["peak_mb"])
    print(f"peak memory: refresh {refresh['peak_mb']:,.0f} MB, hand {hand['peak_mb']:,.0f} MB "
          f"(target < 1,024 MB: {'met' if peak < 1024 else 'NOT met'})")  # fmt: skip
    return 0 if equal else 1


def child(phase: str, args, path: str, folder: str) -> dict:
    """Run ``phase`` in a process of its own; its outcome, with its whole ``ru_maxrss``."""
    out = os.path.join(folder, f"{phase}.pickle")
    command = [sys.executable, __file__, "--phase", phase, "--out", out, "--data", path,
               "--rows", str(args.rows), "--experiments", str(args.experiments)]  # fmt: skip
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"the {phase} step failed ({process.returncode})")
    outcome = pickle.loads(Path(out).read_bytes())
    os.unlink(out)
    outcome["maxrss_mb"] = usage.ru_maxrss / 1024
    return outcome


def peak_mb() -> float:
    """The process's peak resident memory since it started or since :func:`reset_peak`."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def generate(args) -> dict:
    import duckdb

    started = time.perf_counter()
    rows, experiments = args.rows, args.experiments
    exposures, events = int(rows * 0.4), rows - int(rows * 0.4)
    users = max(experiments * 2, int(exposures * 0.8))
    db = duckdb.connect(args.data)
    db.execute("SET preserve_insertion_order = false")
    db.execute(
        f"""CREATE TABLE exposures AS
        SELECT 'exp-' || lpad(CAST(u % {experiments} AS VARCHAR), 4, '0') AS experiment_key,
               CASE WHEN hash(u) % 2 = 0 THEN 'control' ELSE 'treatment' END AS variant_key,
               'u' || CAST(u AS VARCHAR) AS user_pseudo_id,
               TIMESTAMP '{START}' + to_seconds(CAST(hash(i) % (14 * 86400) AS BIGINT))
                   AS exposed_at
        FROM (SELECT i, i % {users} AS u FROM range({exposures}) t(i))"""
    )
    db.execute(
        f"""CREATE TABLE events AS
        SELECT 'u' || CAST(hash(i * 7) % {users} AS VARCHAR) AS user_pseudo_id,
               CASE WHEN i % 3 = 0 THEN 'purchase' ELSE 'add_to_cart' END AS event_name,
               TIMESTAMP '{START}' - INTERVAL 7 DAY
                   + to_seconds(CAST(hash(i * 13) % (24 * 86400) AS BIGINT)) AS event_timestamp,
               CAST(hash(i * 17) % 10000 AS DOUBLE) / 100 AS value
        FROM range({events}) t(i)"""
    )
    db.close()
    return {"seconds": time.perf_counter() - started}


def hand(args) -> dict:
    import duckdb

    django_setup()
    from warehouse.engines import duckdb_config

    reset_peak()
    started = time.perf_counter()
    db = duckdb.connect(args.data, read_only=True, config=duckdb_config())
    rows = db.execute(HAND.format(start=START, end=END + dt.timedelta(days=1))).fetchall()
    db.close()
    return {"seconds": time.perf_counter() - started, "rows": rows}


def refresh(args) -> dict:
    from bench_database import own_database

    cleanup = own_database("growthops_warehouse_bench")
    try:
        django_setup()
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        ids = world(args.data, args.experiments)
        setup = f"set-up (migrate, {len(ids):,} experiments): {time.perf_counter() - started:.1f} s"
        outcome = timed_refresh(ids)
        outcome["setup"] = setup
        outcome["observations"] = written_numbers()
        return outcome
    finally:
        cleanup()


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "growthops.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")  # the dev secret key; DEBUG only adds checks
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()


def world(path: str, count: int) -> list[int]:
    """A DuckDB source, three metrics defined in it, ``count`` running experiments linked to
    the exposures ``exp-0000``…; returns the experiments' ids."""
    from experiments.models import Experiment, Variant
    from roles.models import Role
    from tests.factories import HypothesisFactory, UserFactory
    from warehouse.services import datasource_create, experiment_source_set, metric_define

    os.environ[ENV] = path
    cmo = UserFactory(username="bench-cmo", role=Role.CMO)
    source = datasource_create(
        actor=cmo, name="Bench DuckDB", kind="duckdb", connection_ref=f"env:{ENV}",
        statement_timeout_seconds=3600, row_cap=10_000_000,
    )  # fmt: skip
    metrics = [
        metric_define(
            actor=cmo, key=key, name=key, source=source, fact_table="events",
            user_column="user_pseudo_id", time_column="event_timestamp",
            aggregation=aggregation, value_expression=value,
            filters=[{"column": "event_name", "op": "=", "value": event}],
            conversion_window_hours=72, covariate_days=14, direction="higher",
        )
        for key, aggregation, value, event in METRICS
    ]  # fmt: skip
    hypothesis = HypothesisFactory(metric=metrics[0])
    experiments = Experiment.objects.bulk_create(
        [
            Experiment(
                name=f"Bench {n}", key=f"bench-{n}", hypothesis=hypothesis, owner=cmo,
                primary_metric=metrics[0], status="running", start_date=START, end_date=END,
            )
            for n in range(count)
        ],
        batch_size=500,
    )  # fmt: skip
    Experiment.secondary_metrics.through.objects.bulk_create(
        [
            Experiment.secondary_metrics.through(experiment=e, metric=m)
            for e in experiments
            for m in metrics[1:]
        ]
    )
    Variant.objects.bulk_create(
        [
            Variant(experiment=e, key=key, name=key, is_control=key == "control", weight=0.5)
            for e in experiments
            for key in ("control", "treatment")
        ],
        batch_size=2000,
    )
    for n, experiment in enumerate(experiments):
        experiment_source_set(
            actor=cmo, experiment_id=experiment.pk, source=source, experiment_key=f"exp-{n:04d}"
        )
    return [e.pk for e in experiments]


def timed_refresh(ids: list[int]) -> dict:
    """``refresh_batch`` over ``ids``, with the time spent in the query (``engines.run``, the
    rows fetched) and in the writes (``_finish_all``: rows checked, upserted, runs closed,
    analysis requested, committed) apart."""
    from growthops.celery import app
    from warehouse import refresh

    app.conf.task_always_eager = False  # queue the analysis (in memory), do not run it here
    spent = {"query": 0.0, "write": 0.0}

    def timing(name, function):
        def timed(*a, **k):
            started = time.perf_counter()
            try:
                return function(*a, **k)
            finally:
                spent[name] += time.perf_counter() - started

        return timed

    refresh.run = timing("query", refresh.run)
    refresh._finish_all = timing("write", refresh._finish_all)
    reset_peak()
    started = time.perf_counter()
    runs = refresh.refresh_batch(ids)
    seconds = time.perf_counter() - started
    failed = [r.error for r in runs if r.status != "succeeded"]
    if failed:
        print(f"{len(failed)} runs failed, e.g. {failed[0]}")
    return {
        "seconds": seconds,
        **spent,
        "succeeded": len(runs) - len(failed),
        "written": sum(r.written for r in runs),
    }


def written_numbers() -> dict:
    """The warehouse observations as (metric, experiment key, variant, day) → (users, y,
    y², x, x², xy) sums."""
    from analytics.models import Observation
    from warehouse.models import ExperimentSource

    keys = dict(ExperimentSource.objects.values_list("experiment_id", "experiment_key"))
    found = {}
    for row in Observation.objects.filter(source="warehouse").values_list(
        "metric__key", "experiment_id", "variant__key", "date", "users", "conversions", "sum",
        "sum_squares", "covariate_sum", "covariate_sum_squares", "cross_sum",
    ):  # fmt: skip
        metric, experiment, variant, day, users, conversions, total, squares, *covariate = row
        if conversions is not None:  # a 0/1 metric: y² = y
            total = squares = conversions
        found[(metric, keys[experiment], variant, day)] = (users, total, squares, *covariate)
    return found


def hand_numbers(rows) -> dict:
    """The hand query's rows as :func:`written_numbers` gives the observations."""
    found = {}
    for r in rows:
        key, variant, day, users = r[0], r[1], r[2], r[3]
        for metric, y, x, xy in (("purchase", 4, 5, 6), ("add_to_cart", 12, 13, 14)):
            found[(metric, key, variant, day)] = (users, r[y], r[y], r[x], r[x], r[xy])
        found[("revenue", key, variant, day)] = (users, *r[7:12])
    return found


def same_numbers(written: dict, wanted: dict) -> tuple[bool, float]:
    if written.keys() != wanted.keys():
        print(f"rows differ: {len(written.keys() - wanted.keys())} written only, "
              f"{len(wanted.keys() - written.keys())} in the hand query only")  # fmt: skip
        return False, math.inf
    worst, equal = 0.0, True
    for key, values in wanted.items():
        for mine, theirs in zip(written[key], values, strict=True):
            if isinstance(theirs, int) and mine != theirs:
                equal = False
            difference = abs(float(mine) - float(theirs)) / max(abs(float(theirs)), 1e-300)
            worst = max(worst, difference if theirs else abs(float(mine)))
    return equal and worst <= 1e-9, worst


PHASES = {"generate": generate, "hand": hand, "refresh": refresh}

if __name__ == "__main__":
    sys.exit(main())
