"""Benchmark: build (not send) the digest of every user of the large demo data.

    .venv/bin/python bench/digests_bench.py              # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/growthops .venv/bin/python bench/digests_bench.py

Works in its own database (PostgreSQL: ``growthops_digests_bench``, created and dropped;
SQLite: a temporary file), loads the demo organisation plus 5,000 experiments
(``seed_demo --large``), then builds every user's weekly digest and renders its text, HTML and
Slack forms ``--repeat`` times. Target: every user's digest under 10 s.
"""

import statistics
import time

from bench_database import run_on_large_demo


def run(args):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from programme.digests.build import digest_build
    from programme.digests.period import period_for
    from programme.digests.render import digest_html, digest_slack, digest_text

    users = list(get_user_model().objects.exclude(role="").order_by("pk"))
    totals, items = [], 0
    for _ in range(args.repeat):
        started = time.perf_counter()
        period = period_for("weekly", timezone.now())
        items = 0
        for user in users:
            digest = digest_build(user=user, period=period)
            items += sum(len(section["items"]) for section in digest.sections)
            digest_text(digest), digest_html(digest), digest_slack(digest)
        totals.append(time.perf_counter() - started)
    print(f"Users: {len(users)}, items in their digests: {items}")
    print(
        f"Every digest built and rendered: median {statistics.median(totals):.2f} s, "
        f"worst {max(totals):.2f} s (target < 10 s)"
    )


if __name__ == "__main__":
    run_on_large_demo("growthops_digests_bench", __doc__, run, repeat=3)
