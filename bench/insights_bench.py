"""Benchmark: the nightly roll-up of every programme insight on the large demo data.

    .venv/bin/python bench/insights_bench.py              # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/growthops .venv/bin/python bench/insights_bench.py

Works in its own database (PostgreSQL: ``growthops_insights_bench``, created and dropped;
SQLite: a temporary file), loads the demo organisation plus 5,000 experiments
(``seed_demo --large``), then runs ``insights_run`` ``--repeat`` times and prints the total
and each insight's time. Target: the whole roll-up under 5 s.
"""

import statistics
import time

from bench_database import run_on_large_demo


def run(args):
    from programme.insights import INSIGHTS
    from programme.insights.run import insights_run

    # The demo's record of concluded decisions is loaded with it: calibration, false wins and
    # partners read it.
    print(f"Insights: {', '.join(INSIGHTS) or 'none registered'}")
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
    run_on_large_demo("growthops_insights_bench", __doc__, run, repeat=3)
