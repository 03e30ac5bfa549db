"""Believable daily numbers: each experiment's daily per-variant aggregates planned here,
delivered a week at a time (written to the demo warehouse and refreshed from it by SQL,
demo/warehouse.py) and analysed by the pipeline after each week, as the nightly analysis
would have."""

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
# The metric the demo warehouse draws per user (with CUPED's pre-period), not planned here.
DRAWN_PER_USER = "revenue_per_user"


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


def plan_test(experiment: Experiment, days, lift: float, rng) -> list[dict]:
    """Every metric of the experiment for ``days``; the treatments move all but the
    guardrail by ``lift``. The same people are counted for every metric. Revenue per user is
    left out: the demo warehouse draws it per user (demo/warehouse_tables.py)."""
    variants = list(experiment.variants.all())
    split = {
        (day, v.pk): assigned(experiment.daily_traffic, v.weight, rng)
        for day in days
        for v in variants
    }
    rows = []
    for metric in experiment_metrics(experiment).values():
        if metric.key == DRAWN_PER_USER:
            continue
        for day in days:
            for variant in variants:
                moved = not variant.is_control and metric.key != GUARDRAIL_KEY
                effect = lift if moved else 0.0
                row = daily_row(
                    metric, variant, day, split[day, variant.pk], experiment.baseline, effect, rng
                )
                rows.append({**row, "lift": effect})
    return rows


def plan_primary(experiment: Experiment, days, lift: float, rng, *, users=None) -> list[dict]:
    """The primary metric alone for ``days`` (``users`` a variant a day, else drawn from
    the daily traffic), the treatments moving it by ``lift``."""
    rows = []
    variants = list(experiment.variants.all())
    for day in days:
        for variant in variants:
            people = users or assigned(experiment.daily_traffic, variant.weight, rng)
            effect = 0.0 if variant.is_control else lift
            row = daily_row(
                experiment.primary_metric, variant, day, people, experiment.baseline, effect, rng
            )
            rows.append({**row, "lift": effect})
    return rows


# Planned rows of experiments, delivered together (the demo warehouse, or uploads); returns
# the observations written.
Deliver = Callable[[Sequence[tuple[Experiment, list[dict]]]], int]


def upload_planned(analyst) -> Deliver:
    """Planned rows uploaded as an analyst's daily aggregates: the demo's way when it has no
    warehouse (demo/warehouse.py)."""

    def deliver(planned) -> int:
        return sum(
            observations_ingest(
                experiment_id=experiment.pk,
                actor=analyst,
                rows=[{k: v for k, v in row.items() if k != "lift"} for row in rows],
            )
            for experiment, rows in planned
            if rows
        )

    return deliver


def analyse_stale(experiment_ids) -> None:
    """Analyse those experiments whose data changed since their last analysis.

    Each upload or refresh queues its analysis when its transaction commits; inside the
    demo's own transaction (and in tests) none has committed yet, and the readings are needed
    now."""
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
# (experiment, its days of data, a function that plans the rows of some of those days)
Delivery = tuple[Experiment, Sequence[dt.date], Callable[[Sequence[dt.date]], list[dict]]]


def deliver_look_by_look(deliveries: Sequence[Delivery], deliver: Deliver) -> int:
    """Deliver each experiment's days a week at a time (half its days when it ran under two
    weeks), all of a round's experiments together, analysing every experiment that got data
    after each round, so each part is a look of its own (a results chart needs two);
    each look is dated the morning after its last day, as a nightly analysis would have
    left it. Returns the observations written."""
    written, week = 0, 0
    # A week a look; a test that ran under two weeks is read at least twice all the same.
    sizes = [max(1, min(LOOK_DAYS, math.ceil(len(days) / 2))) for _, days, _ in deliveries]
    while True:
        rounds = [
            (e, days[week * size : (week + 1) * size], up)
            for (e, days, up), size in zip(deliveries, sizes, strict=True)
        ]
        rounds = [(e, days, plan) for e, days, plan in rounds if days]
        if not rounds:
            return written
        written += deliver([(e, plan(days)) for e, days, plan in rounds])
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
