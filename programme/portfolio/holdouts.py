"""What a programme holdout measures, against what the ledger expected over the same days
(docs/portfolio.md, "Programme holdouts").

The measured side adds up every day's data of each group (``HoldoutObservation``) and compares
the exposed users with those kept away (``analytics.stats.holdout.holdout_lift``). The ledger's
side takes every experiment scaled into the holdout's segment since the holdout started, each
live from the day of its decision with the lift the ledger counts for it (its re-checked lift
once it has one), and compounds them day by day over the days compared, weighted by the day's
users (``expected_cumulative_lift``). Measured ÷ estimated is the correction the objective's
ledger shows beside its raw figures.
"""

import datetime as dt
from collections import defaultdict

from django.db.models import Q
from django.db.models.functions import Coalesce

from analytics.stats.holdout import (
    expected_cumulative_lift,
    holdout_correction,
    holdout_lift,
)
from experiments.models import SHIPPED, Experiment, Metric, StatusChange
from roles.capabilities import can

from ..models import Holdout, HoldoutObservation
from .rechecks import rechecked_lifts
from .shrinkage import lifts_that_count

Group = HoldoutObservation.Group


def holdout_list_for_user(*, user):
    if not can(user, "results.read"):
        return Holdout.objects.none()
    return Holdout.objects.select_related("segment", "objective", "created_by")


def holdout_daily(holdout: Holdout) -> list[dict]:
    """Each day with data of both groups: ``{"date", "holdout": sums, "exposed": sums}``,
    oldest first (one query)."""
    days: dict[dt.date, dict] = defaultdict(dict)
    rows = holdout.observations.order_by("date", "group").values(
        "date", "group", "users", "conversions", "sum", "sum_squares"
    )
    for row in rows:
        days[row["date"]][row["group"]] = row
    return [
        {"date": day, **groups}
        for day, groups in sorted(days.items())
        if Group.HOLDOUT in groups and Group.EXPOSED in groups
    ]


def shipped_into(holdout: Holdout) -> list[dict]:
    """The experiments scaled into the holdout's segment since it started, each with the day of
    its decision and the improvement the ledger counts for it (positive = better)."""
    scaled = (
        Experiment.objects.annotate(segment_ref=Coalesce("segment_id", "hypothesis__segment_id"))
        .filter(SHIPPED, segment_ref=holdout.segment_id)
        .values_list("pk", "name")
    )
    names = dict(scaled)
    decided = {
        experiment_id: at.date()
        for experiment_id, at in StatusChange.objects.filter(
            experiment_id__in=list(names), step="conclude"
        )
        .order_by("created_at")
        .values_list("experiment_id", "created_at")
    }
    ids = [pk for pk, day in decided.items() if day >= holdout.started_on]
    counted = {row["experiment_id"]: row for row in lifts_that_count(ids)}
    rechecked = rechecked_lifts(ids)
    shipped = []
    for pk in sorted(ids, key=lambda pk: (decided[pk], pk)):
        row = counted.get(pk)
        if row is None:
            continue
        improvement = row["improvement"]
        if pk in rechecked:
            sign = -1 if row["direction"] == Metric.Direction.LOWER else 1
            improvement = sign * rechecked[pk][0]
        shipped.append(
            {
                "experiment": pk,
                "name": names[pk],
                "shipped_on": decided[pk],
                "improvement": improvement,
            }
        )
    return shipped


def holdout_report(holdout: Holdout) -> dict:
    """The measured cumulative lift with its interval, the ledger's estimate for the same days,
    and their ratio (the correction); figures are None until both groups have data."""
    days = holdout_daily(holdout)
    shipped = shipped_into(holdout)
    report = {
        "holdout": holdout.pk,
        "period_start": days[0]["date"] if days else None,
        "period_end": days[-1]["date"] if days else None,
        "days": len(days),
        "shipped": shipped,
        "measured": None,
        "estimated_lift": None,
        "correction": None,
        "series": _cumulative_series(holdout, days),
        "problem": None,
    }
    if not days:
        return report
    totals = {group: _totals(days, group) for group in Group.values}
    try:
        measured = holdout_lift(**_lift_arguments(holdout, totals))
    except ValueError as exc:  # a group without (enough) users yet
        report["problem"] = str(exc)
        return report
    report["measured"] = {
        "users_holdout": totals[Group.HOLDOUT]["users"],
        "users_exposed": totals[Group.EXPOSED]["users"],
        "mean_holdout": measured.mean_holdout,
        "mean_exposed": measured.mean_exposed,
        "lift": measured.lift,
        "lift_ci_low": measured.lift_ci_low,
        "lift_ci_high": measured.lift_ci_high,
        "p_value": measured.p_value,
    }
    estimated = expected_cumulative_lift(
        ship_days=[s["shipped_on"].toordinal() for s in shipped],
        improvements=[s["improvement"] for s in shipped],
        days=[d["date"].toordinal() for d in days],
        weights=[d[Group.HOLDOUT]["users"] + d[Group.EXPOSED]["users"] for d in days],
    )
    report["estimated_lift"] = estimated
    correction = holdout_correction(
        measured=measured.lift,
        measured_low=measured.lift_ci_low,
        measured_high=measured.lift_ci_high,
        estimated=estimated,
    )
    if correction is not None:
        report["correction"] = {
            "ratio": correction.ratio,
            "ratio_low": correction.ratio_low,
            "ratio_high": correction.ratio_high,
        }
    return report


def holdout_corrections(objective_ids) -> dict[int, dict]:
    """Per objective, the correction of its most recently started holdout that has one:
    ``{"holdout", "name", "as_of", **correction}``."""
    found: dict[int, dict] = {}
    holdouts = Holdout.objects.filter(objective_id__in=list(objective_ids)).filter(
        ~Q(observations=None)
    )
    for holdout in holdouts.distinct().order_by("-started_on", "-pk"):
        if holdout.objective_id in found:
            continue
        report = holdout_report(holdout)
        if report["correction"] is not None:
            found[holdout.objective_id] = {
                "holdout": holdout.pk,
                "name": holdout.name,
                "as_of": report["period_end"],
                **report["correction"],
            }
    return found


def _totals(days: list[dict], group: str) -> dict:
    totals = {"users": 0, "conversions": 0, "sum": 0.0, "sum_squares": 0.0}
    for day in days:
        for field in totals:
            totals[field] += day[group][field] or 0
    return totals


def _lift_arguments(holdout: Holdout, totals: dict) -> dict:
    h, e = totals[Group.HOLDOUT], totals[Group.EXPOSED]
    arguments = {"users_holdout": h["users"], "users_exposed": e["users"]}
    if holdout.kind == Holdout.Kind.CONVERSION:
        arguments.update(conversions_holdout=h["conversions"], conversions_exposed=e["conversions"])
    else:
        arguments.update(
            sum_holdout=h["sum"],
            sum_exposed=e["sum"],
            sum_squares_holdout=h["sum_squares"],
            sum_squares_exposed=e["sum_squares"],
        )
    return arguments


def _cumulative_series(holdout: Holdout, days: list[dict]) -> list[dict]:
    """The cumulative lift as of each day (for the chart), without its interval."""
    series = []
    running = {group: {"users": 0, "value": 0.0} for group in Group.values}
    field = "conversions" if holdout.kind == Holdout.Kind.CONVERSION else "sum"
    for day in days:
        for group in Group.values:
            running[group]["users"] += day[group]["users"]
            running[group]["value"] += day[group][field] or 0
        h, e = running[Group.HOLDOUT], running[Group.EXPOSED]
        mean_h = h["value"] / h["users"] if h["users"] else None
        mean_e = e["value"] / e["users"] if e["users"] else None
        lift = mean_e / mean_h - 1 if mean_h and mean_e is not None else None
        series.append({"date": day["date"], "lift": lift})
    return series
