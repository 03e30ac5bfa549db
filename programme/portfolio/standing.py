"""Where an objective stands, measured and estimated side by side (docs/portfolio.md,
"Measured, estimated and holdout figures"): the KPI as measured now, the baseline plus realised
impact, the same with shrinkage, the forecast, the unexplained movement between measured and
estimated, the forecast explained, and the holdout's correction — each with its ``as_of``.
"""

import datetime as dt

from django.utils import timezone

from experiments.models import Objective
from experiments.units import format_in_unit, unit_code

from ..models import ObjectiveMeasurement
from .holdouts import holdout_corrections
from .selectors import HISTORY_DAYS, kpi_level, objective_ledger


def objective_standing(
    objective: Objective, *, ledger: dict | None = None, measured: list[tuple] | None = None
) -> dict:
    """The figures of the objective page and ``GET /api/v1/objectives/{id}/``. ``ledger`` and
    ``measured`` (:func:`measured_history`'s list), when the caller has them, save their reads."""
    ledger = ledger or objective_ledger(objective)
    if measured is None:
        measured = measured_history([objective])[objective.pk]
    rolled_on = ledger["computed_on"]
    unit = objective.unit
    measured_on, measured_now = measured[-1] if measured else (None, None)
    realised, shrunk = ledger["realised_impact"], ledger["realised_impact_shrunk"]
    expected = ledger["forecast_in_flight"]  # what the progress bar and the chart add
    estimated = kpi_level(objective, realised)
    correction = holdout_corrections([objective.pk]).get(objective.pk)
    corrected = None if correction is None or realised is None else realised * correction["ratio"]
    return {
        "unit": unit_code(unit),
        "measured": _figure(measured_now, unit, measured_on),
        "estimated": _figure(estimated, unit, rolled_on),
        "estimated_shrunk": _figure(kpi_level(objective, shrunk), unit, rolled_on),
        "estimated_corrected": _figure(kpi_level(objective, corrected), unit, rolled_on),
        "forecast": _figure(
            kpi_level(objective, None if realised is None else realised + (expected or 0)),
            unit,
            rolled_on,
        ),
        "unexplained_movement": _figure(
            None if measured_now is None or estimated is None else measured_now - estimated,
            unit,
            measured_on,
            signed=True,
        ),
        "forecast_explained": forecast_explained(objective, ledger),
        "holdout_correction": correction,
        "measured_days": len(measured),
    }


def forecast_explained(objective: Objective, ledger: dict) -> dict:
    """The forecast's two readings and a sentence: expected (each test's calibrated P(win) ×
    its MDE shrunk as past winners' lifts were) against every test in flight winning at its
    MDE, each as an impact and as a share of the gap."""
    unit = objective.unit
    expected, ceiling = ledger["forecast_expected"], ledger["forecast_if_all_win"]
    forecast = ledger["forecast_impact"]
    retention = ledger["winner_retention"]
    in_flight = ledger["in_flight"] or 0
    gap = abs(ledger["gap"]) or None
    p_win = forecast / ceiling if forecast is not None and ceiling else None
    reading = None
    if ledger["computed_on"] is None:
        reading = "No roll-up yet: the forecast appears after the first one."
    elif not in_flight or not ceiling:
        reading = "Nothing in flight with an impact model: no forecast."
    elif expected is None or retention is None:
        reading = "The forecast's range appears after the next roll-up."
    else:
        reading = (
            f"{in_flight} test{'s' if in_flight != 1 else ''} in flight. Expected "
            f"{format_in_unit(expected, unit, signed=True)} ({_percent(expected, gap)} of the gap): "
            f"each wins with its team's calibrated rate (on average {p_win:.0%}) and a win "
            f"delivers {retention:.0%} of its MDE, as past winners kept {retention:.0%} of their "
            f"measured lift after shrinkage. If every test in flight won at its MDE: "
            f"{format_in_unit(ceiling, unit, signed=True)} ({_percent(ceiling, gap)} of the gap), "
            "a ceiling, not a forecast."
        )
    return {
        "expected": _figure(expected, unit, ledger["computed_on"], signed=True),
        "expected_share_of_gap": _ratio(expected, gap),
        "if_all_win_at_mde": _figure(ceiling, unit, ledger["computed_on"], signed=True),
        "if_all_win_share_of_gap": _ratio(ceiling, gap),
        "calibrated_win_rate": None if p_win is None else round(p_win, 4),
        "winner_retention": retention,
        "in_flight": in_flight,
        "reading": reading,
    }


def measured_history(objectives, *, days: int = HISTORY_DAYS) -> dict[int, list[tuple]]:
    """Each objective's measured (date, value) of the last ``days`` days, oldest first (one
    query): the charts draw them beside the estimate."""
    objectives = list(objectives)
    history: dict[int, list[tuple]] = {o.pk: [] for o in objectives}
    if not objectives:
        return history
    since = timezone.localdate() - dt.timedelta(days=days)
    rows = (
        ObjectiveMeasurement.objects.filter(objective__in=objectives, date__gte=since)
        .order_by("objective_id", "date")
        .values_list("objective_id", "date", "value")
    )
    for objective_id, day, value in rows:
        history[objective_id].append((day, float(value)))
    return history


def _figure(value, unit, as_of, *, signed=False) -> dict:
    return {
        "value": None if value is None else round(value, 2),
        "display": format_in_unit(value, unit, signed=signed),
        "as_of": as_of,
    }


def _ratio(part, whole) -> float | None:
    return None if part is None or not whole else round(part / whole, 4)


def _percent(part, whole) -> str:
    share = _ratio(part, whole)
    return "—" if share is None else f"{share:.0%}"
