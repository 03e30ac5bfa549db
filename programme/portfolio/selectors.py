"""Reads of the stored roll-ups: the objective ledger and a day's rows."""

import datetime as dt

from django.db.models import Case, Count, F, JSONField, Q, Value, When
from django.db.models.fields.json import KT
from django.utils import timezone

from experiments.models import IN_FLIGHT, Experiment, ExperimentStatus, Objective, Outcome
from experiments.units import unit_code

from ..models import PortfolioRollup
from .rollup import win_rate

Dimension = PortfolioRollup.Dimension
# How far back the objective charts look.
HISTORY_DAYS = 365


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
    if row is None:
        return _ledger(objective, {}, None, None)
    return _ledger(objective, row.data, row.computed_on, row.computed_at)


def objective_history(objectives, *, days: int = HISTORY_DAYS) -> dict[int, list[tuple]]:
    """Each objective's stored roll-up rows of the last ``days`` days, oldest first, as
    ``(computed_on, data, computed_at)`` triples (one query)."""
    objectives = list(objectives)
    history: dict[int, list[tuple]] = {o.pk: [] for o in objectives}
    if not objectives:
        return history
    today = timezone.localdate()
    rows = (
        PortfolioRollup.objects.filter(
            dimension=Dimension.OBJECTIVE,
            key__in=[str(o.pk) for o in objectives],
            computed_on__gte=today - dt.timedelta(days=days),
        )
        # A year of rows is two lines of a chart: the rows of today and yesterday (the newest,
        # which the ledger reads) come whole, the older ones with their two impacts only,
        # read in SQL (decoding each row's JSON costs four times as much).
        .annotate(
            whole=Case(
                When(computed_on__gte=today - dt.timedelta(days=1), then=F("data")),
                default=Value(None),
                output_field=JSONField(),
            ),
            realised=KT("data__realised_impact"),
            forecast=KT("data__forecast_impact"),
            expected=KT("data__forecast_expected"),
        )
        .order_by("computed_on")
        .values_list(
            "key", "computed_on", "computed_at", "whole", "realised", "forecast", "expected"
        )
    )
    for key, computed_on, computed_at, whole, realised, forecast, expected in rows:
        data = whole or {
            "realised_impact": _number(realised),
            "forecast_impact": _number(forecast),
            "forecast_expected": _number(expected),
        }
        history[int(key)].append((computed_on, data, computed_at))
    whole_newest_rows(history)
    return history


def forecast_in_flight(data: dict) -> float | None:
    """The forecast the pages add to the realised impact (progress bar, chart, ledger): the
    expected one (P(win) × the MDE's value × the winners' retention); before a roll-up could
    compute the retention, P(win) × the MDE's value."""
    expected = data.get("forecast_expected")
    return expected if expected is not None else data.get("forecast_impact")


def _number(value) -> float | None:
    return None if value is None else float(value)


def whole_newest_rows(history: dict[int, list[tuple]]) -> None:
    """Each objective's newest row of ``history`` read again whole where it was read light
    (no roll-up since yesterday, or a history cut at an earlier day): one query."""
    partial = {
        pk: rows[-1] for pk, rows in history.items() if rows and "in_flight" not in rows[-1][1]
    }
    if not partial:
        return
    wanted = Q()
    for pk, (computed_on, *_) in partial.items():
        wanted |= Q(key=str(pk), computed_on=computed_on)
    whole = PortfolioRollup.objects.filter(wanted, dimension=Dimension.OBJECTIVE)
    for key, data in whole.values_list("key", "data"):
        computed_on, _, computed_at = partial[int(key)]
        history[int(key)][-1] = (computed_on, data, computed_at)


def objective_ledgers(objectives, history: dict[int, list[tuple]]) -> dict[int, dict]:
    """:func:`objective_ledger` of each objective, from its newest row in ``history``
    (:func:`objective_history`): no query of its own."""
    ledgers = {}
    for objective in objectives:
        rows = history.get(objective.pk) or [(None, {}, None)]
        ledgers[objective.pk] = _ledger(objective, rows[-1][1], rows[-1][0], rows[-1][2])
    return ledgers


def kpi_level(objective: Objective, impact: float | None) -> float | None:
    """The KPI once ``impact`` is added: impacts count improvements in the objective's
    direction, so they raise a KPI with a higher target and lower one with a lower target."""
    if impact is None:
        return None
    baseline, target = float(objective.baseline), float(objective.target)
    return baseline + impact if target >= baseline else baseline - impact


def _ledger(
    objective: Objective, data: dict, computed_on: dt.date | None, as_of: dt.datetime | None
) -> dict:
    baseline, target = float(objective.baseline), float(objective.target)
    gap = target - baseline
    realised = data.get("realised_impact")
    forecast = data.get("forecast_impact")
    return {
        "objective": objective.pk,
        "name": objective.name,
        "kpi": objective.kpi,
        "unit": objective.unit,
        "unit_code": unit_code(objective.unit),
        "baseline": baseline,
        "target": target,
        "gap": gap,
        "realised_impact": realised,
        "realised_impact_low": data.get("realised_impact_low"),
        "realised_impact_high": data.get("realised_impact_high"),
        # The same scaled experiments with their lifts shrunk for the winner's curse.
        "realised_impact_shrunk": data.get("realised_impact_shrunk"),
        "forecast_impact": forecast,
        "forecast_in_flight": forecast_in_flight(data),
        "progress": _share(realised, gap),
        "progress_shrunk": _share(data.get("realised_impact_shrunk"), gap),
        "progress_with_forecast": _share(
            None if realised is None else realised + (forecast or 0), gap
        ),
        # The forecast's two readings (docs/portfolio.md, "Forecast explained").
        "forecast_expected": data.get("forecast_expected"),
        "forecast_if_all_win": data.get("forecast_if_all_win"),
        "winner_retention": data.get("winner_retention"),
        "progress_expected": _share(
            None if realised is None else realised + (data.get("forecast_expected") or 0), gap
        ),
        "in_flight": data.get("in_flight"),
        "scaled": data.get("scaled"),
        "scaled_without_results": data.get("scaled_without_results"),
        "computed_on": computed_on,
        # When these numbers were computed: after each decision, not only nightly.
        "as_of": as_of,
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


def programme_numbers() -> dict:
    """The latest stored programme row and the channel and segment rows of that day (2 queries):
    ``{"computed_on", "as_of", "programme": data, "channels": [rows], "segments": [rows]}``."""
    wanted = [Dimension.PROGRAMME, Dimension.CHANNEL, Dimension.SEGMENT]
    rows = list(rollups_on().filter(dimension__in=wanted))
    by_dimension: dict[str, list[PortfolioRollup]] = {}
    for row in rows:
        by_dimension.setdefault(row.dimension, []).append(row)
    programme = by_dimension.get(Dimension.PROGRAMME, [])
    return {
        "computed_on": rows[0].computed_on if rows else None,
        "as_of": max((row.computed_at for row in rows), default=None),
        "programme": programme[0].data if programme else None,
        "channels": _busiest_first(by_dimension.get(Dimension.CHANNEL, [])),
        "segments": _busiest_first(by_dimension.get(Dimension.SEGMENT, [])),
    }


def _busiest_first(rows: list[PortfolioRollup]) -> list[PortfolioRollup]:
    return sorted(rows, key=lambda row: (-row.data.get("experiments", 0), row.label))


def programme_by_executor() -> list[dict]:
    """In-house against each agency partner, now: experiments, in flight, concluded, won and
    win rate (one query)."""
    rows = (
        Experiment.objects.order_by()
        .values("executed_by", "partner_id", agency_name=F("partner__name"))
        .annotate(
            experiments=Count("id"),
            in_flight=Count("id", filter=Q(status__in=IN_FLIGHT)),
            concluded=Count("id", filter=Q(status=ExperimentStatus.CONCLUDED)),
            won=Count("id", filter=Q(status=ExperimentStatus.CONCLUDED, outcome=Outcome.WON)),
        )
    )
    partners = []
    for row in rows:
        in_house = row["executed_by"] == Experiment.ExecutedBy.IN_HOUSE
        partners.append(
            {
                **row,
                "label": Experiment.ExecutedBy.IN_HOUSE.label
                if in_house
                else row["agency_name"] or "Agency (unnamed)",
                "in_house": in_house,
                "win_rate": win_rate(won=row["won"], concluded=row["concluded"]),
            }
        )
    partners.sort(key=lambda p: (not p["in_house"], -p["experiments"], p["label"]))
    return partners


def stored_win_probabilities() -> dict[int, float]:
    """The P(win) the latest roll-up used for each team's forecasts (team id → P(win))."""
    return {
        int(row.key): row.data["p_win"]
        for row in rollups_on(dimension=Dimension.TEAM)
        if row.data.get("p_win") is not None
    }
