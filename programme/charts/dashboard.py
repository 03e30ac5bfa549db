"""Charts of the dashboard and the objective pages: where each objective stands over time."""

import functools

import plotly.graph_objects as go

from analytics.charts.base import PALETTE, Chart, escape_markup, new_figure
from experiments.models import Objective
from experiments.units import format_in_unit, unit_code

from ..portfolio.selectors import forecast_in_flight, kpi_level


@functools.cache
def _house_layout(height: int) -> dict:
    return new_figure(title="", x_title="", y_title="", height=height).to_plotly_json()["layout"]


def quick_figure(
    *, title: str, x_title: str, y_title: str, traces: list[dict], height: int = 320, **layout
) -> go.Figure:
    """:func:`new_figure`'s house style, with ``traces`` (and ``layout`` changes) given as plain
    Plotly dicts and not validated again. Plotly validates every property it is given, about
    40 ms a figure here; the dashboard draws one per objective on every request, so the house
    layout is validated once per process and each page's figure is assembled from dicts."""
    # Copies of what changes only: go.Figure copies the whole layout (Plotly's template too).
    house = _house_layout(height)
    base = {**house, "title": {**house["title"], "text": title}}
    base["xaxis"] = {**house["xaxis"], "title": {"text": x_title}}
    base["yaxis"] = {**house["yaxis"], "title": {"text": y_title}}
    for key, value in layout.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return go.Figure({"data": traces, "layout": base}, _validate=False)


def objective_progress_chart(
    objective: Objective, history: list[tuple], *, measured: list[tuple] = (), height=340
) -> Chart:
    """The KPI with realised impact, and with the forecast of what is in flight added, per
    stored roll-up day; the KPI as measured beside them; the target as a line up to the target
    date.

    ``history`` is :func:`programme.portfolio.selectors.objective_history`'s list for the
    objective: each point is exactly the stored impact added to the baseline (``kpi_level``).
    ``measured`` is the (date, value) of each measured day (``ObjectiveMeasurement``).
    """
    history = _changes(history)
    days = [day.isoformat() for day, *_ in history]
    measured_trace = {
        "type": "scatter",
        "x": [day.isoformat() for day, _ in measured],
        "y": [value for _, value in measured],
        "name": "Measured",
        "mode": "lines" if len(measured) > 1 else "markers",  # a lone day is a dot
        "line": {"color": PALETTE["text"], "width": 2},
    }
    firsts = [d for d in (days[:1] + measured_trace["x"][:1]) if d]
    start = min(firsts) if firsts else objective.created_at.date().isoformat()
    span = [start, objective.target_date.isoformat()]
    figure = quick_figure(
        title=escape_markup(objective.kpi),
        x_title="Roll-up day",
        y_title=_axis_title(objective),
        height=height,
        traces=[
            *([measured_trace] if measured else []),
            *_estimate_traces(objective, history),
            *_reference_lines(objective, span),
        ],  # fmt: skip
        xaxis={"type": "date", "nticks": 5, "tickangle": 0},
        # Below the axis title, whatever the number of rows the legend wraps into on a phone.
        legend={"orientation": "h", "y": -0.28, "yanchor": "top", "x": 0},
    )
    return Chart(
        dom_id=f"objective-{objective.pk}-progress",
        figure=figure,
        caption=_caption(objective, history) + _measured_caption(objective, measured),
    )


def _estimate_traces(objective: Objective, history: list[tuple]) -> list[dict]:
    """The KPI as estimated each roll-up day: realised, and realised with the forecast."""
    days = [day.isoformat() for day, *_ in history]
    realised = [kpi_level(objective, data.get("realised_impact")) for _, data, *_ in history]
    with_forecast = [
        kpi_level(
            objective,
            None
            if data.get("realised_impact") is None
            else data["realised_impact"] + (forecast_in_flight(data) or 0),
        )
        for _, data, *_ in history
    ]
    return [
        {
            "type": "scatter",
            "x": days,
            "y": with_forecast,
            "name": "Realised + expected from tests in flight",
            "mode": "lines+markers",
            "line": {"color": PALETTE["primary"], "dash": "dot", "shape": "hv"},
        },
        {
            "type": "scatter",
            "x": days,
            "y": realised,
            "name": "Realised",
            "mode": "lines+markers",
            "line": {"color": PALETTE["good"], "width": 3, "shape": "hv"},
        },
    ]


def _reference_lines(objective: Objective, span: list[str]) -> list[dict]:
    """The target and the baseline, as lines across ``span``."""
    target, baseline = float(objective.target), float(objective.baseline)
    return [
        {
            "type": "scatter",
            "x": span,
            "y": [target, target],
            "name": f"Target by {objective.target_date:%-d %b %Y}",
            "mode": "lines",
            "line": {"color": PALETTE["bad"], "dash": "dash"},
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "x": span,
            "y": [baseline, baseline],
            "name": "Baseline",
            "mode": "lines",
            "line": {"color": PALETTE["neutral"], "width": 1},
            "hoverinfo": "skip",
        },
    ]


def _changes(history: list[tuple]) -> list[tuple]:
    """The days whose impacts differ from the day before, and the last day: drawn as steps
    ("hv"), the same line as every day's point, with a year of roll-ups in a few dozen."""
    kept, previous = [], None
    for index, row in enumerate(history):
        figures = (row[1].get("realised_impact"), forecast_in_flight(row[1]))
        if figures != previous or index == len(history) - 1:
            kept.append(row)
        previous = figures
    return kept


def _axis_title(objective: Objective) -> str:
    # Short: a long KPI name would run into the title on a phone; the title names the KPI.
    return unit_code(objective.unit)


def _measured_caption(objective: Objective, measured) -> str:
    if not measured:
        return (
            " Nothing measured yet: upload the KPI's daily values to draw it beside the estimate."
        )
    day, value = measured[-1]
    return (
        f" The black line is the KPI as measured, {format_in_unit(value, objective.unit)} on "
        f"{day:%-d %b %Y}; its distance from the green line is movement the ledger does not explain."
    )


def _caption(objective: Objective, history: list[tuple]) -> str:
    if not history:
        return (
            f"No roll-up stored yet: the nightly roll-up adds a point a day. "
            f"The red line is the target, {format_in_unit(objective.target, objective.unit)} by {objective.target_date:%-d %b %Y}."
        )
    return (
        f"{objective.kpi} as the baseline plus the impact of scaled experiments (green), and "
        "plus what those in flight are expected to add (dotted), a step at each change of the daily roll-ups; the red "
        f"line is the target, {format_in_unit(objective.target, objective.unit)} by {objective.target_date:%-d %b %Y}."
    )
