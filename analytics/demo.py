"""Demo result data: daily observations for every demo experiment that has started."""

import datetime as dt
import random

from django.utils import timezone

from experiments.models import Experiment, Metric
from experiments.selectors import experiment_metrics
from roles.models import User

from .ingest.observations import observations_ingest

# Relative effect of the treatment per experiment index, so the demo shows wins, losses and noise.
EFFECTS = [0.12, -0.04, 0.0, 0.08, 0.2, 0.03]


def seed_observations(*, out=print) -> int:
    """Upload believable daily numbers for started demo experiments through the real service."""
    analyst = User.objects.filter(username="analyst").first()
    if analyst is None:
        return 0
    rng = random.Random(42)
    today = timezone.localdate()
    written = 0
    started = (
        Experiment.objects.filter(start_date__isnull=False, observations__isnull=True)
        .exclude(key__startswith="bench-")
        .select_related("primary_metric")
        .prefetch_related("variants", "secondary_metrics", "guardrail_metrics")
        .order_by("pk")
    )
    for index, experiment in enumerate(started):
        last = min(experiment.end_date or today, today)
        days = [
            experiment.start_date + dt.timedelta(days=i)
            for i in range((last - experiment.start_date).days + 1)
        ]
        effect = EFFECTS[index % len(EFFECTS)]
        rows = []
        variants = list(experiment.variants.all())
        # The same people are counted for every metric: draw each day's split once.
        split = {
            (day, v.pk): _assigned(experiment.daily_traffic, v.weight, rng)
            for day in days
            for v in variants
        }
        for metric in experiment_metrics(experiment).values():
            for day in days:
                for variant in variants:
                    users = split[day, variant.pk]
                    lift = 0.0 if variant.is_control or metric.key == "unsubscribe_rate" else effect
                    rows.append(_row(metric, variant, day, users, experiment.baseline, lift, rng))
        written += observations_ingest(experiment_id=experiment.pk, actor=analyst, rows=rows)
    out(f"Uploaded {written} daily observations.")
    return written


def _assigned(daily_traffic: int, weight: float, rng) -> int:
    """Users a variant gets in a day: binomial noise around its planned share."""
    expected = daily_traffic * weight
    return max(2, round(rng.gauss(expected, (expected * (1 - weight)) ** 0.5)))


def _row(metric, variant, day, users, baseline, lift, rng) -> dict:
    row = {"date": day.isoformat(), "variant": variant.key, "metric": metric.key, "users": users}
    if metric.kind == Metric.Kind.BINOMIAL:
        rate = (baseline if metric.key != "unsubscribe_rate" else 0.004) * (1 + lift)
        rate = min(max(rate, 0.0005), 0.95)
        mean, sd = users * rate, (users * rate * (1 - rate)) ** 0.5
        row["conversions"] = max(0, min(users, round(rng.gauss(mean, sd))))
    else:
        per_user = (baseline or 5.0) * (1 + lift)
        sd = per_user * 1.8
        total = rng.gauss(per_user * users, sd * users**0.5)
        row["sum"] = round(total, 2)
        row["sum_squares"] = round(users * (sd**2 + (total / users) ** 2), 2)
    return row
