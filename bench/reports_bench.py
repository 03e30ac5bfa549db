"""Benchmark: build the board pack of the last quarter on the large demo data.

    .venv/bin/python bench/reports_bench.py              # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/growthops .venv/bin/python bench/reports_bench.py

Works in its own database (PostgreSQL: ``growthops_reports_bench``, created and dropped;
SQLite: a temporary file), loads the demo organisation plus 5,000 experiments
(``seed_demo --large``), then builds a quarter's pack ``--repeat`` times: its content, then its
PDF with every chart drawn. The first build starts the browser that draws the charts; the
figure printed apart. Target: a board pack under 20 s.
"""

import statistics
import time

from bench_database import run_on_large_demo


def run(args):
    from django.utils import timezone

    from programme.models import BoardReport
    from programme.reports.content import board_pack_content
    from programme.reports.pack import board_report_build
    from programme.reports.period import last_complete_period

    start, end = last_complete_period("quarter", timezone.localdate())
    started = time.perf_counter()
    content = board_pack_content(start, end)
    print(f"Content alone: {time.perf_counter() - started:.2f} s")
    totals = []
    for _ in range(args.repeat):
        report = BoardReport.objects.create(period="quarter", period_start=start, period_end=end)
        started = time.perf_counter()
        board_report_build(report.pk)
        totals.append(time.perf_counter() - started)
    report.refresh_from_db()
    print(
        f"Objectives: {len(content['objectives'])}, concluded in the quarter: "
        f"{len(content['decisions']['concluded'])}, PDF: {len(report.pdf) / 1024:.0f} KiB"
    )
    print(
        f"Board pack built (content and PDF): first {totals[0]:.2f} s (starts the chart "
        f"browser), median {statistics.median(totals):.2f} s, worst {max(totals):.2f} s "
        "(target < 20 s)"
    )


if __name__ == "__main__":
    run_on_large_demo("growthops_reports_bench", __doc__, run, repeat=3)
