"""Charts of the dashboard and the objective pages: where each objective stands over time."""

import plotly.graph_objects as go

from experiments.models import Objective

from ..portfolio.selectors import kpi_level
from .base import PALETTE, Chart, new_figure


def objective_progress_chart(objective: Objective, history: list[tuple], *, height=300) -> Chart:
    """The KPI with realised impact, and with the forecast of what is in flight added, per
    stored roll-up day; the target as a line up to the target date.

    ``history`` is :func:`analytics.portfolio.selectors.objective_history`'s list for the
    objective: each point is exactly the stored impact added to the baseline (``kpi_level``).
    """
    figure = new_figure(
        title=f"{objective.kpi}: realised and forecast",
        x_title="Roll-up day",
        y_title=_axis_title(objective),
        height=height,
    )
    days = [day.isoformat() for day, _ in history]
    realised = [kpi_level(objective, data.get("realised_impact")) for _, data in history]
    with_forecast = [
        kpi_level(
            objective,
            None
            if data.get("realised_impact") is None
            else data["realised_impact"] + (data.get("forecast_impact") or 0),
        )
        for _, data in history
    ]
    figure.add_trace(
        go.Scatter(
            x=days,
            y=with_forecast,
            name="Realised + forecast in flight",
            mode="lines+markers",
            line={"color": PALETTE["primary"], "dash": "dot"},
        )
    )
    figure.add_trace(
        go.Scatter(
            x=days,
            y=realised,
            name="Realised",
            mode="lines+markers",
            line={"color": PALETTE["good"], "width": 3},
        )
    )
    start = days[0] if days else objective.created_at.date().isoformat()
    target = float(objective.target)
    figure.add_trace(
        go.Scatter(
            x=[start, objective.target_date.isoformat()],
            y=[target, target],
            name=f"Target by {objective.target_date:%-d %b %Y}",
            mode="lines",
            line={"color": PALETTE["bad"], "dash": "dash"},
            hoverinfo="skip",
        )
    )
    baseline = float(objective.baseline)
    figure.add_trace(
        go.Scatter(
            x=[start, objective.target_date.isoformat()],
            y=[baseline, baseline],
            name="Baseline",
            mode="lines",
            line={"color": PALETTE["neutral"], "width": 1},
            hoverinfo="skip",
        )
    )
    figure.update_xaxes(type="date", nticks=5, tickangle=0)
    # Below the axis title, whatever the number of rows the legend wraps into on a phone.
    figure.update_layout(legend={"orientation": "h", "y": -0.28, "yanchor": "top", "x": 0})
    return Chart(
        dom_id=f"objective-{objective.pk}-progress",
        figure=figure,
        caption=_caption(objective, history),
    )


def _axis_title(objective: Objective) -> str:
    unit = objective.get_unit_display().lower()
    return f"{objective.kpi} ({unit})"


def _caption(objective: Objective, history: list[tuple]) -> str:
    if not history:
        return (
            f"No roll-up stored yet: the nightly roll-up adds a point a day. "
            f"The red line is the target, {objective.target:,.0f} by {objective.target_date:%-d %b %Y}."
        )
    return (
        f"{objective.kpi} as the baseline plus the impact of scaled experiments (green), and "
        "plus the forecast of those in flight (dotted), one point per nightly roll-up; the red "
        f"line is the target, {objective.target:,.0f} by {objective.target_date:%-d %b %Y}."
    )
