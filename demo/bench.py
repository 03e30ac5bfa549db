"""Benchmark load for ``seed_demo --large``: thousands of experiments over every status.

These rows fill the lists, the dashboard and the API for the benchmarks; they are the one
part of the demo not lived through the services. Walking 5,000 experiments through the
lifecycle's 12,500 steps takes over a minute and a half; bulk rows take a second, and the
benchmarks measure what the pages read, not how the rows were made. They carry no audit
trail and no data, and are told apart by their ``bench-`` key.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from experiments.models import NOT_STARTED, Experiment, ExperimentStatus, Hypothesis, Variant
from roles.models import Role, User

BENCH_KEY_PREFIX = "bench-"


@transaction.atomic
def seed_large(*, count: int = 5000, out=print) -> int:
    """Add ``count`` benchmark experiments (bulk inserted) unless they are there already."""
    existing = Experiment.objects.filter(key__startswith=BENCH_KEY_PREFIX).count()
    missing = count - existing
    if missing <= 0:
        out(f"{existing} benchmark experiments already present.")
        return 0
    rng = random.Random(5000)
    owners = list(User.objects.filter(role=Role.OPERATOR))
    hypotheses = list(
        Hypothesis.objects.exclude(status__in=[Hypothesis.Status.REJECTED, Hypothesis.Status.NEW])
    )
    statuses = ExperimentStatus.values
    today = timezone.localdate()
    experiments = []
    for i in range(existing, count):
        hypothesis = hypotheses[i % len(hypotheses)]
        status = statuses[i % len(statuses)]
        started = status not in NOT_STARTED
        experiments.append(
            Experiment(
                name=f"{hypothesis.title[:150]} #{i + 1}",
                key=f"{BENCH_KEY_PREFIX}{i + 1:05d}",
                hypothesis=hypothesis,
                objective_id=hypothesis.objective_id,
                segment_id=hypothesis.segment_id,
                owner=owners[i % len(owners)],
                primary_metric_id=hypothesis.metric_id,
                baseline=0.05 + rng.random() * 0.1,
                mde=0.05,
                daily_traffic=5000,
                status=status,
                start_date=today - dt.timedelta(days=rng.randint(5, 60)) if started else None,
            )
        )
    created = Experiment.objects.bulk_create(experiments, batch_size=1000)
    Variant.objects.bulk_create(
        [
            Variant(
                experiment=e, key=key, name=key.title(), is_control=key == "control", weight=0.5
            )
            for e in created
            for key in ("control", "b")
        ],
        batch_size=2000,
    )
    out(f"Added {len(created)} benchmark experiments.")
    return len(created)
