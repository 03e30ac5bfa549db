"""Reads of the stored roll-ups: the objective ledger and a day's rows."""

import datetime as dt

from experiments.models import Objective

from ..models import PortfolioRollup

Dimension = PortfolioRollup.Dimension


def objective_ledger(objective: Objective) -> dict:
    """Realised impact against the gap to target, and the forecast of what is in flight.

    Reads the objective's latest stored roll-up row (no recomputation); the impact figures
    are None until a roll-up has run. Impacts count improvements in the objective's
    direction, so ``progress`` = realised ÷ |gap| (the gap is negative for objectives that
    bring a number down, such as CAC).
    """
    row = (
        PortfolioRollup.objects.filter(dimension=Dimension.OBJECTIVE, key=str(objective.pk))
        .order_by("-computed_on")
        .first()
    )
    data = row.data if row else {}
    baseline, target = float(objective.baseline), float(objective.target)
    gap = target - baseline
    realised = data.get("realised_impact")
    forecast = data.get("forecast_impact")
    return {
        "objective": objective.pk,
        "name": objective.name,
        "kpi": objective.kpi,
        "unit": objective.unit,
        "baseline": baseline,
        "target": target,
        "gap": gap,
        "realised_impact": realised,
        "realised_impact_low": data.get("realised_impact_low"),
        "realised_impact_high": data.get("realised_impact_high"),
        # The same scaled experiments with their lifts shrunk for the winner's curse.
        "realised_impact_shrunk": data.get("realised_impact_shrunk"),
        "forecast_impact": forecast,
        "progress": _share(realised, gap),
        "progress_shrunk": _share(data.get("realised_impact_shrunk"), gap),
        "progress_with_forecast": _share(
            None if realised is None else realised + (forecast or 0), gap
        ),
        "in_flight": data.get("in_flight"),
        "scaled": data.get("scaled"),
        "scaled_without_results": data.get("scaled_without_results"),
        "computed_on": row.computed_on if row else None,
    }


def rollups_on(*, dimension: str | None = None, computed_on: dt.date | None = None):
    """Stored rows of one day (default: the latest day with rows), optionally one dimension."""
    rows = PortfolioRollup.objects.all()
    if dimension:
        rows = rows.filter(dimension=dimension)
    if computed_on is None:
        computed_on = rows.order_by("-computed_on").values_list("computed_on", flat=True).first()
        if computed_on is None:
            return PortfolioRollup.objects.none()
    return rows.filter(computed_on=computed_on).order_by("dimension", "label", "key")


def _share(part: float | None, gap: float) -> float | None:
    if part is None or gap == 0:
        return None
    return round(part / abs(gap), 4)
