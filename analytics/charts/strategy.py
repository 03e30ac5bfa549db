"""Charts of the strategy pages: a segment's acquisition economics per period."""

import plotly.graph_objects as go

from experiments.models import Segment

from ..portfolio.impact import as_float
from .base import PALETTE, Chart, new_figure


def segment_economics_chart(segment: Segment, periods: list) -> Chart:
    """Acquisition cost and the value of the customers acquired per period (bars, left axis),
    and value-to-cost (line, right axis); ``periods`` are ``SegmentEconomics`` rows, oldest
    first. Each number drawn is the stored one (value-to-cost is the model's property)."""
    figure = new_figure(
        title=f"{segment.name}: acquisition economics",
        x_title="Period",
        y_title="Amount (reporting currency)",
    )
    starts = [p.period_start.isoformat() for p in periods]
    figure.add_trace(
        go.Bar(
            x=starts,
            y=[as_float(p.acquisition_cost) for p in periods],
            name="Acquisition cost",
            marker_color=PALETTE["neutral"],
        )
    )
    figure.add_trace(
        go.Bar(
            x=starts,
            y=[as_float(p.customer_value) for p in periods],
            name="Value of customers acquired",
            marker_color=PALETTE["primary"],
        )
    )
    figure.add_trace(
        go.Scatter(
            x=starts,
            y=[as_float(p.value_to_cost) for p in periods],
            name="Value-to-cost",
            mode="lines+markers",
            yaxis="y2",
            line={"color": PALETTE["good"], "width": 3},
        )
    )
    figure.update_layout(
        barmode="group",
        yaxis2={
            "title": {"text": "Value-to-cost (×)"},
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "showgrid": False,
        },
        margin={"r": 56},
    )
    # One tick per period, at its start, whatever the width.
    figure.update_xaxes(type="date", tickformat="%b %Y", tickvals=starts, tickangle=0)
    figure.update_layout(legend={"orientation": "h", "y": -0.28, "yanchor": "top", "x": 0})
    return Chart(
        dom_id=f"segment-{segment.pk}-economics",
        figure=figure,
        caption=(
            "Per period: what acquiring customers in this segment cost (grey) and what those "
            "customers are worth (blue); the green line is value per unit of cost — above 1 the "
            "segment pays back."
            if periods
            else "No economics recorded for this segment yet."
        ),
    )
