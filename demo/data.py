"""Believable daily numbers, uploaded through the observations service and analysed by the
pipeline, as an analyst's upload would be."""

import datetime as dt
import random

from analytics.analysis.pipeline import experiments_analyse
from analytics.ingest.observations import observations_ingest
from analytics.models import AnalysisState, Result
from experiments.models import Experiment, Metric
from experiments.selectors import experiment_metrics

# The metric the demo's changes never move: it is everyone's guardrail.
GUARDRAIL_KEY = "unsubscribe_rate"
GUARDRAIL_RATE = 0.004


def assigned(daily_traffic: int, weight: float, rng: random.Random) -> int:
    """Users a variant gets in a day: binomial noise around its planned share."""
    expected = daily_traffic * weight
    return max(2, round(rng.gauss(expected, (expected * (1 - weight)) ** 0.5)))


def daily_row(metric, variant, day, users, baseline, lift, rng) -> dict:
    """One day of ``metric`` for ``variant``: ``users`` people at ``baseline`` × (1 + ``lift``)."""
    row = {"date": day.isoformat(), "variant": variant.key, "metric": metric.key, "users": users}
    if metric.kind == Metric.Kind.BINOMIAL:
        rate = (baseline if metric.key != GUARDRAIL_KEY else GUARDRAIL_RATE) * (1 + lift)
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


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def upload_test(experiment: Experiment, analyst, days, lift: float, rng) -> int:
    """Every metric of the experiment for ``days``; the treatments move all but the
    guardrail by ``lift``. The same people are counted for every metric."""
    variants = list(experiment.variants.all())
    split = {
        (day, v.pk): assigned(experiment.daily_traffic, v.weight, rng)
        for day in days
        for v in variants
    }
    rows = [
        daily_row(
            metric,
            variant,
            day,
            split[day, variant.pk],
            experiment.baseline,
            0.0 if variant.is_control or metric.key == GUARDRAIL_KEY else lift,
            rng,
        )
        for metric in experiment_metrics(experiment).values()
        for day in days
        for variant in variants
    ]
    return observations_ingest(experiment_id=experiment.pk, actor=analyst, rows=rows)


def upload_primary(experiment: Experiment, analyst, days, lift: float, rng, *, users=None) -> int:
    """The primary metric alone for ``days`` (``users`` a variant a day, else drawn from
    the daily traffic), the treatments moving it by ``lift``."""
    rows = []
    variants = list(experiment.variants.all())
    for day in days:
        for variant in variants:
            people = users or assigned(experiment.daily_traffic, variant.weight, rng)
            effect = 0.0 if variant.is_control else lift
            rows.append(
                daily_row(
                    experiment.primary_metric,
                    variant,
                    day,
                    people,
                    experiment.baseline,
                    effect,
                    rng,
                )
            )
    if not rows:
        return 0
    return observations_ingest(experiment_id=experiment.pk, actor=analyst, rows=rows)


def analyse_stale(experiment_ids) -> None:
    """Analyse those experiments whose data changed since their last analysis.

    Each upload queues its analysis when its transaction commits; inside the demo's own
    transaction (and in tests) none has committed yet, and the readings are needed now."""
    stale = AnalysisState.objects.filter(experiment_id__in=experiment_ids, stale=True)
    experiments_analyse(stale.values_list("experiment_id", flat=True))


def primary_reading(experiment: Experiment) -> Result:
    """A two-arm experiment's treatment result on the primary metric at the newest look."""
    return (
        Result.objects.filter(
            experiment=experiment, metric_id=experiment.primary_metric_id, is_control=False
        )
        .order_by("-look")
        .first()
    )
