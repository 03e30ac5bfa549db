"""Benchmark: ``experiment_analyse`` for 1,000 running experiments with 3 metrics each.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/growthops .venv/bin/python bench/analyse_bench.py
    .venv/bin/python bench/analyse_bench.py --experiments 1000 --days 14   # SQLite in a temp dir

Works in its own database (PostgreSQL: ``growthops_analyse_bench``, created and dropped;
SQLite: a temporary file), loads daily observations for every experiment, then times
  1. the beat sweep path: all experiments in vectorised chunks (``experiments_analyse``),
  2. the same again at the same data version (a redelivery: rewrites the same looks),
  3. one ``experiment_analyse`` task per experiment over a sample, scaled up,
and prints the figures (target for 1: under 10 s in total).
"""

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

from bench_database import own_database

ROOT = Path(__file__).resolve().parent.parent


def main():
    args = parse_args()
    cleanup = own_database("growthops_analyse_bench")
    try:
        run(args)
    finally:
        cleanup()


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--experiments", type=int, default=1000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument(
        "--sample", type=int, default=50, help="experiments timed one task at a time"
    )
    return parser.parse_args()


def run(args):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "growthops.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")  # the dev secret and hosts; DEBUG defaults to off
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(
        f"database: {connection.vendor}; {args.experiments} experiments × 3 metrics × 2 variants × {args.days} days"
    )
    ids = load(args.experiments, args.days)

    from analytics.analysis.pipeline import experiments_analyse
    from analytics.models import AnalysisState, Result
    from analytics.tasks import experiment_analyse

    AnalysisState.objects.update(stale=True)
    started = time.perf_counter()
    counts = experiments_analyse(ids)
    sweep = time.perf_counter() - started
    print(f"sweep (vectorised chunks): {sweep:7.2f} s  {counts}  target < 10 s")

    started = time.perf_counter()
    experiments_analyse(ids)
    again = time.perf_counter() - started
    print(
        f"same look again (redelivery): {again:7.2f} s  results stored: {Result.objects.count():,}"
    )

    sample = ids[: args.sample]
    started = time.perf_counter()
    for experiment_id in sample:
        experiment_analyse.apply(args=[experiment_id])
    per_task = (time.perf_counter() - started) / len(sample)
    print(
        f"one task per experiment: {per_task * 1000:7.1f} ms each → {per_task * len(ids):7.2f} s for all "
        f"({per_task * len(ids) / sweep:.1f}× the sweep)"
    )


def load(count: int, days: int) -> list[int]:
    import numpy as np

    from analytics.models import AnalysisState, Observation
    from experiments.models import Experiment, Hypothesis, Metric, Objective, Segment, Variant
    from roles.models import Role, Team, User

    rng = np.random.default_rng(7)
    owner = User.objects.create(username="bench-operator", role=Role.OPERATOR)
    cmo = User.objects.create(username="bench-cmo", role=Role.CMO)
    objective = Objective.objects.create(
        name="Bench", kpi="ARR", baseline=1, target=2, target_date=dt.date(2027, 12, 31), owner=cmo
    )
    segment = Segment.objects.create(
        name="All", owner_team=Team.objects.create(name="Bench"), monthly_reach=1, definition="-"
    )
    signups = Metric.objects.create(key="signups", name="Sign-ups", kind="binomial")
    revenue = Metric.objects.create(key="revenue", name="Revenue", kind="mean")
    unsubscribes = Metric.objects.create(
        key="unsubscribes", name="Unsubscribes", kind="binomial", direction="lower"
    )
    hypothesis = Hypothesis.objects.create(
        title="Bench",
        observation="-",
        change="-",
        effect="-",
        metric=signups,
        expected_mde=0.05,
        channel="web",
        objective=objective,
        segment=segment,
        author=owner,
        impact=5,
        confidence=5,
        ease=5,
    )
    start = dt.date(2026, 11, 1)
    experiments = Experiment.objects.bulk_create(
        [
            Experiment(
                name=f"Bench {i}",
                key=f"bench-{i}",
                hypothesis=hypothesis,
                objective=objective,
                segment=segment,
                owner=owner,
                primary_metric=signups,
                baseline=0.1,
                mde=0.05,
                daily_traffic=2000,
                status="running",
                start_date=start,
                sequential_tau=0.05 if i % 3 == 0 else None,
                correction="holm" if i % 2 else "none",
            )
            for i in range(count)
        ]
    )
    Experiment.secondary_metrics.through.objects.bulk_create(
        [
            Experiment.secondary_metrics.through(experiment_id=e.pk, metric_id=revenue.pk)
            for e in experiments
        ]
    )
    Experiment.guardrail_metrics.through.objects.bulk_create(
        [
            Experiment.guardrail_metrics.through(experiment_id=e.pk, metric_id=unsubscribes.pk)
            for e in experiments
        ]
    )
    variants = Variant.objects.bulk_create(
        [
            Variant(experiment=e, key=key, name=key, is_control=key == "control", weight=0.5)
            for e in experiments
            for key in ("control", "b")
        ]
    )
    rows = []
    for variant in variants:
        users = rng.binomial(2000, 0.5, size=days)
        for day in range(days):
            date = start + dt.timedelta(days=day)
            n = int(users[day])
            rows.append(
                Observation(
                    experiment_id=variant.experiment_id,
                    variant=variant,
                    metric=signups,
                    date=date,
                    users=n,
                    conversions=int(rng.binomial(n, 0.1)),
                )
            )
            rows.append(
                Observation(
                    experiment_id=variant.experiment_id,
                    variant=variant,
                    metric=unsubscribes,
                    date=date,
                    users=n,
                    conversions=int(rng.binomial(n, 0.004)),
                )
            )
            total = float(rng.normal(5 * n, 9 * n**0.5))
            rows.append(
                Observation(
                    experiment_id=variant.experiment_id,
                    variant=variant,
                    metric=revenue,
                    date=date,
                    users=n,
                    sum=total,
                    sum_squares=n * 81 + total * total / n,
                )
            )
    Observation.objects.bulk_create(rows, batch_size=5000)
    AnalysisState.objects.bulk_create(
        [AnalysisState(experiment=e, data_version=1, stale=True) for e in experiments]
    )
    print(f"loaded {len(rows):,} observation rows")
    return [e.pk for e in experiments]


if __name__ == "__main__":
    main()
