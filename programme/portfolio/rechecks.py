"""Post-ship re-checks (docs/insights.md): 30 and 90 days after a "scale" decision, the shipped
winner's lift is measured again on the data that came in after the test's end date (a holdout
keeps its control running) and set beside the estimate the decision was taken on. The objective
ledger then counts the re-checked lift; a winner that keeps less than half of it raises an alert.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Min, Sum
from django.utils import timezone

from analytics.analysis.alerts import alerts_resolve, raise_alert
from analytics.models import Alert, Observation, Result
from analytics.stats import compare_means, compare_proportions
from analytics.stats.rechecks import FADED, NO_DATA, recheck_verdicts
from experiments.models import SHIPPED, Experiment, Metric, StatusChange, Step

from ..models import ShipRecheck

RECHECK_AFTER_DAYS = (30, 90)


def shipped_on(experiment_ids) -> dict[int, dt.date]:
    """The day each shipped experiment's "scale" decision was taken."""
    rows = (
        StatusChange.objects.filter(experiment_id__in=experiment_ids, step=Step.CONCLUDE)
        .values("experiment_id")
        .annotate(at=Min("created_at"))
        .order_by()
    )
    return {r["experiment_id"]: timezone.localdate(r["at"]) for r in rows}


def _estimate(experiment: Experiment) -> tuple[int, float] | None:
    """(variant, lift): the best treatment on the primary metric at the latest look."""
    metric = experiment.deciding_metric
    results = Result.objects.filter(
        experiment=experiment, metric=metric, is_control=False, lift__isnull=False
    )
    latest = results.order_by("-look").values_list("look", flat=True).first()
    if latest is None:
        return None
    sign = 1 if metric.higher_is_better else -1
    best = max(
        results.filter(look=latest).order_by("variant_id").values_list("variant_id", "lift"),
        key=lambda row: sign * row[1],
    )
    return best


def _measure(experiment: Experiment, metric: Metric, variant_id: int, last_day: dt.date):
    """(lift, low, high, users) on the days after the end date up to ``last_day``."""
    control = experiment.variants.filter(is_control=True).values_list("pk", flat=True).first()
    sums = {
        row["variant_id"]: row
        for row in Observation.objects.overall()
        .filter(
            experiment=experiment,
            metric=metric,
            variant_id__in=[control, variant_id],
            date__gt=experiment.end_date,
            date__lte=last_day,
        )
        .values("variant_id")
        .annotate(users=Sum("users"), conversions=Sum("conversions"), total=Sum("sum"))
        .annotate(squares=Sum("sum_squares"))
        .order_by()
    }
    users = sum(row["users"] for row in sums.values())
    c, t = sums.get(control), sums.get(variant_id)
    if c is None or t is None or min(c["users"], t["users"]) < 2:
        return None, None, None, users
    if metric.kind == Metric.Kind.BINOMIAL:
        result = compare_proportions(c["conversions"], c["users"], t["conversions"], t["users"])
    else:
        result = compare_means(
            c["users"], c["total"], c["squares"], t["users"], t["total"], t["squares"]
        )
    values = [float(result.lift), float(result.lift_ci_low), float(result.lift_ci_high)]
    values = [None if v != v else v for v in values]  # NaN (control mean 0) → unknown
    return (*values, users)


def ship_rechecks_run(*, today: dt.date | None = None) -> dict:
    """Write every re-check that has come due and not been written yet (or found no data so
    far); alert on fading ones.

    Idempotent: one row per experiment and horizon, whatever day it runs; a late run measures
    the same window (the end date to the ship + 30 or 90 days) as a timely one.
    """
    today = today or timezone.localdate()
    shipped = list(
        Experiment.objects.filter(SHIPPED, end_date__isnull=False).select_related(
            "primary_metric", "hypothesis__metric", "owner"
        )
    )
    ship_days = shipped_on([e.pk for e in shipped])
    # A re-check that found no holdout data is tried again on later runs (data can come late).
    done = set(
        ShipRecheck.objects.filter(experiment__in=shipped)
        .exclude(verdict=NO_DATA)
        .values_list("experiment_id", "after_days")
    )
    written, faded = 0, 0
    for experiment in shipped:
        shipped_day = ship_days.get(experiment.pk)
        if shipped_day is None:
            continue
        for after in RECHECK_AFTER_DAYS:
            if (experiment.pk, after) in done or shipped_day + dt.timedelta(days=after) > today:
                continue
            recheck = _recheck(experiment, shipped_day, after, today)
            if recheck is None:
                continue
            written += 1
            if recheck.verdict == FADED:
                faded += _alert_fading(experiment, recheck)
            elif recheck.verdict != NO_DATA:  # a later re-check holds: it is no longer fading
                alerts_resolve(experiment.alerts.filter(kind=Alert.Kind.FADING_WINNER))
    return {"written": written, "fading_alerts": faded}


def _recheck(experiment, shipped_day, after, today) -> ShipRecheck | None:
    estimate = _estimate(experiment)
    if estimate is None:  # no result to compare with: nothing to re-check
        return None
    variant_id, estimated = estimate
    metric = experiment.deciding_metric
    lift, low, high, users = _measure(
        experiment, metric, variant_id, shipped_day + dt.timedelta(days=after)
    )
    [verdict] = recheck_verdicts(
        [estimated], [float("nan") if lift is None else lift], metric.higher_is_better
    )
    try:
        with transaction.atomic():  # a savepoint: a concurrent run's row wins, ours is dropped
            recheck, _ = ShipRecheck.objects.update_or_create(
                experiment=experiment,
                after_days=after,
                defaults={
                    "shipped_on": shipped_day,
                    "checked_on": today,
                    "variant_id": variant_id,
                    "estimated_lift": estimated,
                    "lift": lift,
                    "lift_ci_low": low,
                    "lift_ci_high": high,
                    "users": users,
                    "verdict": verdict if lift is not None else NO_DATA,
                },
            )
    except IntegrityError:
        return None
    return recheck


def _alert_fading(experiment: Experiment, recheck: ShipRecheck) -> int:
    message = (
        f"“{experiment.name}” was shipped on a lift of {recheck.estimated_lift:+.1%}; "
        f"{recheck.after_days} days later it measures {recheck.lift:+.1%} "
        f"({recheck.lift_ci_low:+.1%} to {recheck.lift_ci_high:+.1%}) on "
        f"{recheck.users:,} users. The objective ledger now counts the re-checked lift."
    )
    return raise_alert(experiment, Alert.Kind.FADING_WINNER, message) is not None


def rechecked_lifts(experiment_ids=None) -> dict[int, tuple[float, float | None, float | None]]:
    """The latest measured re-check per experiment: (lift, CI low, CI high)."""
    rows = ShipRecheck.objects.filter(lift__isnull=False)
    if experiment_ids is not None:
        rows = rows.filter(experiment_id__in=experiment_ids)
    latest = {}
    for experiment_id, lift, low, high in rows.order_by("experiment_id", "after_days").values_list(
        "experiment_id", "lift", "lift_ci_low", "lift_ci_high"
    ):
        latest[experiment_id] = (lift, low, high)
    return latest
