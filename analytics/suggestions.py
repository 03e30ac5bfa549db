"""The design page's baseline and daily traffic, from the observations of recent experiments in
the same segment on the same metric (docs/decisions.md, "Templates").

Handed to ``experiments.suggestions`` from ``AnalyticsConfig``. Only what each test measured
up to its end date counts: a shipped winner's holdout days are not its test.
"""

import math

from django.db.models import Count, F, Max, Q, Sum

from experiments.models import Metric, Segment
from experiments.suggestions import Suggestion

from .models import Observation

# The newest experiments whose observations are averaged.
RECENT_EXPERIMENTS = 5


def recent_data_suggestions(segment: Segment | None, metric: Metric | None) -> list[Suggestion]:
    """Baseline (and SD for a mean metric) from the control arms, daily traffic from all arms,
    of the newest experiments on ``metric`` in ``segment`` (in any segment when it has none)."""
    if metric is None:
        return []
    rows = (
        Observation.objects.overall()
        .filter(metric=metric)
        .filter(Q(experiment__end_date__isnull=True) | Q(date__lte=F("experiment__end_date")))
    )
    where = f"in “{segment.name}”" if segment is not None else "in any segment"
    ids = _recent(rows.filter(experiment__segment=segment)) if segment is not None else []
    if not ids:
        ids = _recent(rows)
        if segment is not None and ids:
            where = f"in any segment (none in “{segment.name}” yet)"
    if not ids:
        return []
    rows = rows.filter(experiment_id__in=ids)
    tests = f"{len(ids)} latest experiment{'s' if len(ids) > 1 else ''} on “{metric.name}” {where}"
    return [*_baseline(rows, metric, tests), *_traffic(rows, tests)]


def _recent(rows) -> list[int]:
    newest = (
        rows.values("experiment_id")
        .annotate(last=Max("date"))
        .order_by("-last", "-experiment_id")[:RECENT_EXPERIMENTS]
    )
    return [row["experiment_id"] for row in newest]


def _baseline(rows, metric: Metric, tests: str) -> list[Suggestion]:
    sums = rows.filter(variant__is_control=True).aggregate(
        users=Sum("users"),
        conversions=Sum("conversions"),
        total=Sum("sum"),
        squares=Sum("sum_squares"),
    )
    users = sums["users"] or 0
    if metric.kind == Metric.Kind.BINOMIAL:
        if not users or sums["conversions"] is None:
            return []
        rate = sums["conversions"] / users
        source = (
            f"The control arms of the {tests}: {sums['conversions']:,} conversions of "
            f"{users:,} users ({rate * 100:.2f} %)."
        )
        return [Suggestion("baseline", round(rate, 4), source)] if 0 < rate < 1 else []
    if users < 2 or sums["total"] is None or sums["squares"] is None:
        return []
    mean = sums["total"] / users
    variance = max((sums["squares"] - sums["total"] * mean) / (users - 1), 0.0)
    source = f"The control arms of the {tests}: {users:,} users"
    return [
        Suggestion("baseline", round(mean, 4), f"{source}, a mean of {mean:,.2f} per user."),
        Suggestion(
            "baseline_sd", round(math.sqrt(variance), 4), f"{source}, their standard deviation."
        ),
    ]


def _traffic(rows, tests: str) -> list[Suggestion]:
    per_test = rows.values("experiment_id").annotate(
        users=Sum("users"), days=Count("date", distinct=True)
    )
    daily = [row["users"] / row["days"] for row in per_test if row["days"]]
    if not daily:
        return []
    mean = round(sum(daily) / len(daily))
    shown = ", ".join(f"{round(d):,}" for d in daily)
    return [
        Suggestion(
            "daily_traffic",
            mean,
            f"Users a day, all arms, in the {tests} ({shown}), averaged.",
        )
    ]
