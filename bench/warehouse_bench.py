"""Warehouse refresh benchmark on DuckDB: the refresh's queries against one hand-written
GROUP BY over the same rows.

    .venv/bin/python bench/warehouse_bench.py [--rows 100000000] [--experiments 1000]

1. Generates ``--rows`` rows in a DuckDB file in a temporary folder (GA4-export shape): 40 %
   exposures (``experiment_key, variant_key, user_pseudo_id, exposed_at``, 1,000 experiments,
   some users exposed twice) and 60 % events (``user_pseudo_id, event_name,
   event_timestamp, value``: purchases with a value, add-to-carts), before and after
   exposure.
2. Refreshes every experiment × 3 metrics (purchase conversion, revenue sum, add-to-cart
   conversion) through the refresh's own path (``warehouse.refresh``'s batching:
   ``definition_query`` → ``render_combined`` → ``engines.run``, read-only, with the time
   limit and row cap): the three metrics read one fact table with the same columns and
   windows, so one query computes them all for all experiments — as beat runs it.
3. Runs one hand-written GROUP BY computing the same numbers for the three metrics at once,
   checks both agree to the last digit, and prints both times, their ratio (target ≤ 1.3×)
   and the process's peak memory (target < 1 GB).

The writing of observations into GrowthOps's database is not timed here (its cost is the
upsert's, the same as an upload of the same rows: bench/ingest_bench.py).
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "growthops.test_settings")

import django  # noqa: E402

django.setup()

import datetime as dt  # noqa: E402

import duckdb  # noqa: E402

from warehouse.engines import Connection, run  # noqa: E402
from warehouse.models import DataSource, MetricDefinition  # noqa: E402
from warehouse.services import definition_query  # noqa: E402
from warehouse.sql import PER_METRIC_COLUMNS, render_combined, shared_key  # noqa: E402

START = dt.date(2026, 11, 1)
END = dt.date(2026, 11, 14)
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--experiments", type=int, default=1000)
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory()
    path = os.path.join(folder.name, "warehouse.duckdb")
    started = time.perf_counter()
    generate(path, args.rows, args.experiments)
    print(f"generated {args.rows:,} rows in {time.perf_counter() - started:.1f} s")

    source = DataSource(name="bench", kind="duckdb", statement_timeout_seconds=3600)
    connection = Connection("duckdb", path, 3600, 10_000_000)
    keys = tuple(f"exp-{n:04d}" for n in range(args.experiments))
    started = time.perf_counter()
    refreshed = {}
    queries = []
    for key, aggregation, value, event in METRICS:
        definition = MetricDefinition(
            source=source, fact_table="events", user_column="user_pseudo_id",
            time_column="event_timestamp", aggregation=aggregation, value_expression=value,
            filters=[{"column": "event_name", "op": "=", "value": event}],
            conversion_window_hours=72, covariate_days=14,
        )  # fmt: skip
        query = definition_query(definition, source, experiment_keys=keys, start=START, end=END)
        queries.append((key, query))
    # As the refresh groups them: the three metrics read one fact table with the same columns
    # and windows, so one query computes them all.
    assert len({shared_key(q) for _, q in queries}) == 1
    outcome = run(connection, render_combined([q for _, q in queries], "duckdb"))
    columns = {name: i for i, name in enumerate(outcome.columns)}
    for row in outcome.rows:
        for n, (key, _) in enumerate(queries):
            wanted = ["users", *(f"{c}_{n}" for c in PER_METRIC_COLUMNS)]
            refreshed[(key, row[0], row[1], row[2])] = tuple(
                round(float(row[columns[c]]), 6) for c in wanted
            )
    refresh_seconds = time.perf_counter() - started

    started = time.perf_counter()
    db = duckdb.connect(path, read_only=True, config={"memory_limit": "600MB"})
    hand_rows = db.execute(HAND.format(start=START, end=END + dt.timedelta(days=1))).fetchall()
    db.close()
    hand_seconds = time.perf_counter() - started
    hand = {}
    for r in hand_rows:
        users = r[3]
        for key, y, x, xy in (("purchase", 4, 5, 6), ("add_to_cart", 12, 13, 14)):
            hand[(key, r[0], r[1], r[2])] = tuple(
                round(float(v), 6) for v in (users, r[y], r[y], r[x], r[x], r[xy])
            )
        hand[("revenue", r[0], r[1], r[2])] = tuple(round(float(v), 6) for v in (users, *r[7:12]))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"refresh (one combined query): {args.experiments:,} experiments × 3 metrics in {refresh_seconds:.2f} s "
          f"({len(refreshed):,} daily rows)")  # fmt: skip
    print(f"hand-written GROUP BY: {hand_seconds:.2f} s")
    print(f"ratio: {refresh_seconds / hand_seconds:.2f}× (target ≤ 1.3×)")
    print(f"numbers equal: {refreshed == hand}")
    print(f"peak memory: {peak_mb:,.0f} MB (target < 1,024 MB)")
    folder.cleanup()
    return 0 if refreshed == hand else 1


def generate(path: str, rows: int, experiments: int) -> None:
    exposures, events = int(rows * 0.4), rows - int(rows * 0.4)
    users = max(experiments * 2, int(exposures * 0.8))
    db = duckdb.connect(path)
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


if __name__ == "__main__":
    sys.exit(main())
