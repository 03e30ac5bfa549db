"""Benchmark: how long the programme's numbers take to catch up with one decision, on the large
demo data (``seed_demo --large``; docs/portfolio.md, "Freshness").

    .venv/bin/python bench/freshness_bench.py                 # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/growthops .venv/bin/python bench/freshness_bench.py

Works in its own database (PostgreSQL: ``growthops_freshness_bench``, created and dropped;
SQLite: a temporary file). Tasks run in-process, as ``make run`` runs them. Each repeat takes one
decision through the lifecycle service (a completed experiment concluded with ``scale``): the
step's own transaction, then on commit the recompute it queues (today's roll-up rows and the
insights a decision moves: all of them). Prints the median and worst of the whole call, of the recompute alone, and of its
two parts. Target: the recompute under 2 s.
"""

import statistics
import time

from bench_database import run_on_large_demo


def run(args):
    from django.core.cache import cache

    from experiments import lifecycle
    from experiments.models import Experiment, ExperimentStatus
    from programme import freshness
    from programme.models import PortfolioRollup
    from roles.models import User

    cmo = User.objects.get(username="cmo")
    operator = User.objects.get(username="operator")
    running = list(
        Experiment.objects.filter(status=ExperimentStatus.RUNNING)
        .exclude(key__startswith="exp-")
        .order_by("pk")[: args.repeat]
    )
    # Measure the recompute itself as the task runs it (the step queues exactly this).
    parts: list[dict] = []
    run_refresh = freshness.programme_refresh_run

    def timed_refresh(names=None):
        started = time.perf_counter()
        summary = run_refresh(names)
        parts.append({**summary, "total": time.perf_counter() - started})
        return summary

    freshness.programme_refresh_run = timed_refresh
    whole = []
    for experiment in running:
        with freshness.programme_refresh_deferred(then_queue=False):
            lifecycle.experiment_complete(
                experiment_id=experiment.pk,
                actor=operator if experiment.owner_id == operator.pk else experiment.owner,
                analysis="Bench.",
                recommendation="scale",
                override_reason="Bench: decided on the spot.",
            )
        cache.clear()
        started = time.perf_counter()
        lifecycle.experiment_conclude(
            experiment_id=experiment.pk,
            actor=cmo,
            decision="scale",
            outcome="won",
            learnings="Bench.",
            override_reason="Bench: decided on the spot.",
        )
        whole.append(time.perf_counter() - started)
    assert len(parts) == len(whole), "each decision ran one recompute"
    rows = PortfolioRollup.objects.filter(computed_on=parts[-1]["rollup"]["computed_on"]).count()
    print(f"\n{len(whole)} decisions; today's roll-up: {rows} rows")
    print("  part · median · worst")
    figures = [
        ("decision, step + recompute", whole),
        ("recompute (the task)", [p["total"] for p in parts]),
        ("  portfolio roll-up", [p["rollup"]["seconds"] for p in parts]),
        ("  insights", [sum(p["insights"].values()) for p in parts]),
    ]
    for label, seconds in figures:
        print(f"  {label:28} {statistics.median(seconds):6.2f} s  {max(seconds):6.2f} s")
    slowest = max(parts[-1]["insights"].items(), key=lambda pair: pair[1])
    print(f"  slowest insight of the last run: {slowest[0]} {slowest[1]:.2f} s")
    median = statistics.median(p["total"] for p in parts)
    print(f"Target: recompute under 2 s — {'met' if median < 2 else 'NOT met'}.")


if __name__ == "__main__":
    run_on_large_demo("growthops_freshness_bench", __doc__, run, repeat=5)
