"""Benchmark: the nightly roll-up of every programme insight on the large demo data.

    .venv/bin/python bench/insights_bench.py              # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/growthops .venv/bin/python bench/insights_bench.py

Works in its own database (PostgreSQL: ``growthops_insights_bench``, created and dropped;
SQLite: a temporary file), loads the demo organisation plus 5,000 experiments
(``seed_demo --large``), then runs ``insights_run`` ``--repeat`` times and prints the total
and each insight's time. Target: the whole roll-up under 5 s.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from bench_database import own_database

ROOT = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--experiments", type=int, default=5000)
    args = parser.parse_args()
    cleanup = own_database("growthops_insights_bench")
    try:
        run(args)
    finally:
        cleanup()


def run(args):
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "growthops.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from analytics.insights import INSIGHTS
    from analytics.insights.run import insights_run
    from experiments.demo import seed_demo, seed_large
    from experiments.models import Experiment

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    seed_demo(out=lambda *a: None)
    seed_large(count=args.experiments, out=lambda *a: None)
    print(
        f"Data: {Experiment.objects.count():,} experiments on {connection.vendor}; "
        f"loaded in {time.perf_counter() - started:.1f} s; insights: {', '.join(INSIGHTS)}"
    )

    totals, per_insight = [], {name: [] for name in INSIGHTS}
    for _ in range(args.repeat):
        started = time.perf_counter()
        seconds = insights_run()
        totals.append(time.perf_counter() - started)
        for name, taken in seconds.items():
            per_insight[name].append(taken)
    for name, times in per_insight.items():
        print(f"  {name:<24} median {statistics.median(times) * 1000:8.1f} ms")
    print(
        f"Whole roll-up (history loaded once, reports stored): median "
        f"{statistics.median(totals):.2f} s, worst {max(totals):.2f} s (target < 5 s)"
    )


if __name__ == "__main__":
    main()
