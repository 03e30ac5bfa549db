"""Believable daily numbers, uploaded through the observations service and analysed by the
pipeline, as an analyst's upload would be."""

import datetime as dt
import math
import random
from collections.abc import Callable, Sequence

from django.db.models import Case, Value, When
from django.utils import timezone

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


# The primary metric's days are uploaded by device too (the results' "slice by device"): each
# device's share of the people, and how much of the change it sees (mobile most).
DEVICES = (("mobile", 0.55, 1.4), ("desktop", 0.38, 0.6), ("tablet", 0.07, 0.5))


def device_rows(experiment: Experiment, split: dict, days, lift: float) -> list[dict]:
    """The primary metric's rows per device for ``days`` (their own random draws, so the
    overall rows stay what they were)."""
    rng = random.Random(f"devices:{experiment.key}")
    rows = []
    for day in days:
        for variant in experiment.variants.all():
            users = split[day, variant.pk]
            for device, share, sees in DEVICES:
                row = daily_row(
                    experiment.primary_metric,
                    variant,
                    day,
                    max(2, round(users * share)),
                    experiment.baseline,
                    0.0 if variant.is_control else lift * sees,
                    rng,
                )
                rows.append({**row, "dimension": "device", "dimension_value": device})
    return rows


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
    if experiment.primary_metric is not None:
        rows += device_rows(experiment, split, days, lift)
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


# One look a week: the cadence at which a team reads a running test.
LOOK_DAYS = 7
# (experiment, its days of data, a function that uploads some of those days)
Upload = tuple[Experiment, Sequence[dt.date], Callable[[Sequence[dt.date]], int]]


def upload_look_by_look(uploads: Sequence[Upload]) -> int:
    """Upload each experiment's days a week at a time (half its days when it ran under two
    weeks), analysing every experiment that got data after each round, so each part is a look
    of its own (a results chart needs two);
    each look is dated the morning after its last day, as a nightly analysis would have
    left it. Returns the observations written."""
    written, week = 0, 0
    # A week a look; a test that ran under two weeks is read at least twice all the same.
    sizes = [max(1, min(LOOK_DAYS, math.ceil(len(days) / 2))) for _, days, _ in uploads]
    while True:
        rounds = [
            (e, days[week * size : (week + 1) * size], up)
            for (e, days, up), size in zip(uploads, sizes, strict=True)
        ]
        rounds = [(e, days, up) for e, days, up in rounds if days]
        if not rounds:
            return written
        for _, days, upload in rounds:
            written += upload(days)
        analysed_from = timezone.now()
        analyse_stale([e.pk for e, _, _ in rounds])
        now = timezone.now()
        looked = {
            e.pk: min(timezone.make_aware(dt.datetime.combine(days[-1], dt.time(6))), now)
            for e, days, _ in rounds
        }
        Result.objects.filter(experiment_id__in=looked, computed_at__gte=analysed_from).update(
            computed_at=Case(*(When(experiment_id=pk, then=Value(at)) for pk, at in looked.items()))
        )
        week += 1
