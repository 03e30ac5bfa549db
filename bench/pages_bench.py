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

    from experiments.models import Experiment, Hypothesis, Objective, Segment
    from programme.models import Holdout
    from roles.models import User

    experiment = Experiment.objects.filter(status="running").order_by("pk").first()
    hypothesis = Hypothesis.objects.order_by("pk").first()
    backlog = Hypothesis.objects.filter(status="backlog").order_by("pk").first()
    draft = (
        Experiment.objects.filter(status="draft", owner__username="operator").order_by("pk").first()
    )
    objective = Objective.objects.order_by("pk").first()
    # The segment with the most experiments: its page lists what runs in it.
    segment = Segment.objects.filter(name="Self-serve").first() or Segment.objects.first()
    holdout = Holdout.objects.order_by("pk").first()
    everyone = {"cmo", "operator"}
    htmx = {"HX-Request": "true"}
    # (label, url, who may open it, form data to POST as the live preview, headers for a GET)
    pages = [
        ("home (dashboard)", "/", everyone, None),
        ("dashboard: objectives panel", "/dashboard/objectives/", everyone, htmx),
        ("dashboard: programme panel", "/dashboard/programme/", everyone, htmx),
        ("objectives", "/objectives/", everyone, None),
        ("objective (ledger, chart)", f"/objectives/{objective.pk}/", everyone, None),
        ("segments", "/segments/", everyone, None),
        ("segment (economics)", f"/segments/{segment.pk}/", everyone, None),
        ("team", "/team/", everyone, None),
        ("holdouts", "/holdouts/", everyone, None),
        ("holdout (measured against the ledger)", f"/holdouts/{holdout.pk}/", everyone, None),
        ("learnings", "/learnings/", everyone, None),
        ("backlog", "/hypotheses/", everyone, None),
        ("backlog board", "/hypotheses/?view=board", everyone, None),
        ("hypothesis", f"/hypotheses/{hypothesis.pk}/", everyone, None),
        ("log a hypothesis", "/hypotheses/new/", everyone, None),
        ("experiment list", "/experiments/", everyone, None),
        ("experiment list, running", "/experiments/?status=running", everyone, None),
        ("experiment list, by lift", "/experiments/?sort=-lift", everyone, None),
        ("experiment list, by signif.", "/experiments/?sort=significance", everyone, None),
        ("experiment list, by progress", "/experiments/?sort=-progress", everyone, None),
        ("experiment list, by days", "/experiments/?sort=-days", everyone, None),
        ("experiment list, by next step", "/experiments/?sort=next", everyone, None),
        ("experiment", f"/experiments/{experiment.pk}/", everyone, None),
        ("experiment results panel", f"/experiments/{experiment.pk}/results/", everyone, None),
        ("design a new experiment", f"/hypotheses/{backlog.pk}/design/", {"operator"}, None),
        ("design of a draft", f"/experiments/{draft.pk}/edit/", everyone, None),
        ("design live preview", f"/experiments/{draft.pk}/edit/", {"operator"}, preview(draft)),
    ]
    # The approval queue, and an experiment whose results have 60 looks of history.
    looked = with_result_history(looks=60)
    pages += [
        ("approval queue", "/review/", {"cmo"}, None),
        ("experiment, 60 looks", f"/experiments/{looked.pk}/", everyone, None),
        ("results panel, 60 looks", f"/experiments/{looked.pk}/results/", everyone, htmx),
    ]
    for username in ("cmo", "operator"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        print(f"\nAs {username}:  page · median · worst · queries (target: median < 150 ms)")
        print("  (the dashboard is the home page plus its two panels, loaded with htmx)")
        for label, url, who, data in pages:
            if username not in who:
                continue

            # Counted with an execute wrapper: the request resets Django's own query log.
            counter = QueryCounter()
            with connection.execute_wrapper(counter):
                response = fetch(client, url, data)
            assert response.status_code == 200, (url, response.status_code)
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                fetch(client, url, data)
                times.append((time.perf_counter() - start) * 1000)
            median = statistics.median(times)
            print(
                f"  {label:28} {median:7.1f} ms  {max(times):7.1f} ms  {counter.count:3d}"
                f"{'' if median < 150 else '   over target'}"
            )


def fetch(client, url, data):
    """GET the page (``data`` holds its headers, if any), or POST ``data`` to it as htmx does
    for the design's live preview."""
    if data is None or "HX-Request" in data:
        return client.get(url, headers=data)
    return client.post(url, data, headers={"HX-Request": "true", "HX-Target": "design-preview"})


def with_result_history(*, looks: int):
    """A running experiment with ``looks`` stored looks for each of its metrics and variants
    (as many analyses after new data would leave), replacing any it had."""
    from analytics.models import Result
    from experiments.models import Experiment
    from experiments.selectors import experiment_metrics

    experiment = (
        Experiment.objects.filter(status="running", owner__username="operator")
        .order_by("pk")
        .first()
    )
    Result.objects.filter(experiment=experiment).delete()
    variants = sorted(experiment.variants.all(), key=lambda v: not v.is_control)
    rows = []
    for look in range(1, looks + 1):
        for metric in experiment_metrics(experiment).values():
            for variant in variants:
                lift = None if variant.is_control else 0.05 + 0.5 / look
                rows.append(
                    Result(
                        experiment=experiment,
                        metric=metric,
                        variant=variant,
                        look=look,
                        is_control=variant.is_control,
                        users=500 * look,
                        mean=0.1 * (1 + (lift or 0)),
                        lift=lift,
                        lift_ci_low=None if lift is None else lift - 1 / look**0.5,
                        lift_ci_high=None if lift is None else lift + 1 / look**0.5,
                        p_value=0.04,
                        p_value_adjusted=0.04,
                        srm_p_value=0.5,
                        alpha=experiment.alpha,
                        method=experiment.method,
                    )
                )
    Result.objects.bulk_create(rows)
    return experiment


def preview(experiment) -> dict:
    """What the design form posts while it is edited (htmx), for ``experiment``'s design."""
    data = {
        "name": experiment.name,
        "objective": experiment.objective_id,
        "segment": experiment.segment_id,
        "executed_by": "in_house",
        "primary_metric": experiment.primary_metric_id,
        "method": "frequentist",
        "correction": "none",
        "alpha": "0.05",
        "power": "0.8",
        "mde": "0.05",
        "baseline": "0.08",
        "daily_traffic": "4000",
        "variants-TOTAL_FORMS": "2",
        "variants-INITIAL_FORMS": "2",
    }
    for i, (key, weight) in enumerate([("control", "0.5"), ("b", "0.5")]):
        data.update(
            {f"variants-{i}-key": key, f"variants-{i}-name": key, f"variants-{i}-weight": weight}
        )
    data["variants-0-is_control"] = "on"
    return data


class QueryCounter:
    """An execute wrapper that counts the statements a request runs."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


if __name__ == "__main__":
    run_on_large_demo("growthops_pages_bench", __doc__, run, repeat=15)
