"""Benchmark: event ingestion in one process, without HTTP: the batch check and the write.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/growthops .venv/bin/python bench/ingest_bench.py
    .venv/bin/python bench/ingest_bench.py --batch 50000 --repeat 7 --db growthops_ingest_bench

Works in its own database (``--db``; PostgreSQL when ``DATABASE_URL`` points at one, created
and dropped, else SQLite in a temporary folder), makes ``--experiments`` running experiments
with three metrics, and builds batches of synthetic events as ``bench/rollup_bench.py`` sends
them over HTTP. Then it prints events/s (median of ``--repeat`` batches) of

1. ``events_parse``: the JSON body to a list of dicts,
2. the batch check alone (``events._validated``: keys resolved, every field checked),
3. ``events_ingest``: the check and the write (``COPY`` on PostgreSQL) in one transaction.

The HTTP figure (target: 80,000 events/s) adds the request, authentication and the JSON
parse to 3; ``bench/rollup_bench.py`` measures it. This bench isolates the Python work, so a
change to the check shows up here without the noise of a server on a shared machine.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from bench_database import own_database

ROOT = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--batch", type=int, default=50_000, help="events per batch")
    parser.add_argument("--repeat", type=int, default=7, help="batches timed (median)")
    parser.add_argument("--experiments", type=int, default=1_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--db", default="growthops_ingest_bench")
    args = parser.parse_args()
    cleanup = own_database(args.db)
    try:
        run(args)
    finally:
        cleanup()


def run(args):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "growthops.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")  # the dev secret and hosts; DEBUG defaults to off
    os.environ["LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from events_data import http_bodies, setup_experiments

    from analytics.ingest import events
    from roles.models import Role
    from tests.factories import UserFactory

    call_command("migrate", verbosity=0)
    variant_ids, _ = setup_experiments(args.experiments)
    analyst = UserFactory(username="bench-analyst", role=Role.ANALYST)
    options = SimpleNamespace(
        seed=args.seed,
        http_requests=2 * args.repeat,  # even-numbered bodies are JSON arrays
        http_batch=args.batch,
        experiments=args.experiments,
        days=args.days,
    )
    bodies = [
        body for body, kind in http_bodies(options, variant_ids) if kind == "application/json"
    ]
    bodies = bodies[: args.repeat]
    print(
        f"database: {connection.vendor}; {args.experiments:,} experiments; "
        f"{len(bodies)} batches × {args.batch:,} events"
    )
    batches = [events.events_parse(body, ndjson=False) for body in bodies]
    events._validated(batches[0], analyst)  # warm up: imports, query plans

    timings = {"parse": [], "check": [], "check + write": []}
    cpu = {label: [] for label in timings}
    for body, batch in zip(bodies, batches, strict=True):
        for label, function in (
            ("parse", lambda body=body: events.events_parse(body, ndjson=False)),
            ("check", lambda batch=batch: events._validated(batch, analyst)),
            (
                "check + write",
                lambda batch=batch: events.events_ingest(actor=analyst, events=batch),
            ),
        ):
            wall, used = timed(function)
            timings[label].append(wall)
            cpu[label].append(used)
    print(f"  {'':14} {'median':>10} {'best':>10} {'by CPU':>10}  events/s")
    for label, seconds in timings.items():
        print(
            f"  {label:14} {args.batch / statistics.median(seconds):>10,.0f}"
            f" {args.batch / min(seconds):>10,.0f}"
            f" {args.batch / statistics.median(cpu[label]):>10,.0f}"
        )
    print(
        "  by CPU: this process's CPU time (median), which other load on the machine does not "
        "change; the write's share in PostgreSQL is not in it."
    )
    print(f"  JSON body of one batch: {len(bodies[0]) / 1e6:.1f} MB; {json.dumps(batches[0][0])}")


def timed(function) -> tuple[float, float]:
    """Wall and CPU seconds of one call."""
    began, began_cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - began, time.process_time() - began_cpu


if __name__ == "__main__":
    main()
