"""Benchmark: server time of the main pages on the large demo data (``seed_demo --large``).

    .venv/bin/python bench/pages_bench.py                 # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/growthops .venv/bin/python bench/pages_bench.py

Works in its own database (PostgreSQL: ``growthops_pages_bench``, created and dropped; SQLite:
a temporary file), loads the demo organisation plus 5,000 experiments, signs in as the CMO and
an operator, and requests each page ``--repeat`` times through Django's test client (the whole
request: middleware, views, queries, templates; no network). Prints the median and the worst
time per page and the number of queries of one request. Target: each median under 150 ms.
"""

import statistics
import time

from bench_database import run_on_large_demo


def run(args):
    from django.db import connection
    from django.test import Client

    from experiments.models import Experiment, Hypothesis
    from roles.models import User

    experiment = Experiment.objects.filter(status="running").order_by("pk").first()
    hypothesis = Hypothesis.objects.order_by("pk").first()
    pages = [
        ("home (dashboard)", "/"),
        ("backlog", "/hypotheses/"),
        ("backlog board", "/hypotheses/?view=board"),
        ("hypothesis", f"/hypotheses/{hypothesis.pk}/"),
        ("log a hypothesis", "/hypotheses/new/"),
        ("experiment list", "/experiments/"),
        ("experiment list, running", "/experiments/?status=running"),
        ("experiment", f"/experiments/{experiment.pk}/"),
        ("experiment results panel", f"/experiments/{experiment.pk}/results/"),
    ]
    for username in ("cmo", "operator"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        print(f"\nAs {username}:  page · median · worst · queries (target: median < 150 ms)")
        for label, url in pages:
            # Counted with an execute wrapper: the request resets Django's own query log.
            counter = QueryCounter()
            with connection.execute_wrapper(counter):
                response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - start) * 1000)
            median = statistics.median(times)
            print(
                f"  {label:28} {median:7.1f} ms  {max(times):7.1f} ms  {counter.count:3d}"
                f"{'' if median < 150 else '   over target'}"
            )


class QueryCounter:
    """An execute wrapper that counts the statements a request runs."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


if __name__ == "__main__":
    run_on_large_demo("growthops_pages_bench", __doc__, run, repeat=15)
