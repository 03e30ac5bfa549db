"""Charts of the strategy pages: a segment's acquisition economics per period."""

from analytics.charts.base import PALETTE, Chart, escape_markup
from experiments.models import Segment

from ..portfolio.impact import as_float
from .dashboard import quick_figure


def segment_economics_chart(segment: Segment, periods: list) -> Chart:
    """Acquisition cost and the value of the customers acquired per period (bars, left axis),
    and value-to-cost (line, right axis); ``periods`` are ``SegmentEconomics`` rows, oldest
    first. Each number drawn is the stored one (value-to-cost is the model's property)."""
    starts = [p.period_start.isoformat() for p in periods]
    figure = quick_figure(
        title=f"{escape_markup(segment.name)}: acquisition economics",
        x_title="Period",
        y_title="Amount",
        traces=[
            {
                "type": "bar",
                "x": starts,
                "name": "Acquisition cost",
                "y": [as_float(p.acquisition_cost) for p in periods],
                "marker": {"color": PALETTE["neutral"]},
            },
            {
                "type": "bar",
                "x": starts,
                "name": "Value of customers acquired",
                "y": [as_float(p.customer_value) for p in periods],
                "marker": {"color": PALETTE["primary"]},
            },
            {
                "type": "scatter",
                "x": starts,
                "name": "Value-to-cost",
                "yaxis": "y2",
                "y": [as_float(p.value_to_cost) for p in periods],
                "mode": "lines+markers",
                "line": {"color": PALETTE["good"], "width": 3},
            },
        ],  # fmt: skip
        barmode="group",
        yaxis2={
            "title": {"text": "Value-to-cost (×)"},
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "showgrid": False,
        },  # fmt: skip
        margin={"r": 56},
        # One tick per period, at its start, whatever the width.
        xaxis={"type": "date", "tickformat": "%b %Y", "tickvals": starts, "tickangle": 0},
        legend={"orientation": "h", "y": -0.28, "yanchor": "top", "x": 0},
    )
    return Chart(
        dom_id=f"segment-{segment.pk}-economics",
        figure=figure,
        caption=(
            "Per period, in the reporting currency: what acquiring customers in this segment cost "
            "(grey) and what those "
            "customers are worth (blue); the green line is value per unit of cost — above 1 the "
            "segment pays back."
            if periods
            else "No economics recorded for this segment yet."
        ),
    )
