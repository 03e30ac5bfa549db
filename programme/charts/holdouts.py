"""A programme holdout's chart: the cumulative lift measured against the holdout, day by day,
beside the ledger's estimate for the same days."""

from analytics.charts.base import PALETTE, Chart, escape_markup

from ..models import Holdout
from .dashboard import quick_figure


def holdout_lift_chart(holdout: Holdout, report: dict, *, height=320) -> Chart:
    series = report["series"]
    days = [point["date"].isoformat() for point in series]
    lifts = [None if point["lift"] is None else point["lift"] * 100 for point in series]
    traces = [
        {
            "type": "scatter",
            "x": days,
            "y": lifts,
            "name": "Measured (exposed against holdout)",
            "mode": "lines+markers",
            "line": {"color": PALETTE["primary"], "width": 3},
        }
    ]
    estimate = report["estimated_lift"]
    if estimate is not None and days:
        traces.append(
            {
                "type": "scatter",
                "x": [days[0], days[-1]],
                "y": [estimate * 100, estimate * 100],
                "name": "The ledger's estimate for these days",
                "mode": "lines",
                "line": {"color": PALETTE["good"], "dash": "dash"},
                "hoverinfo": "skip",
            }
        )
    figure = quick_figure(
        title=escape_markup(f"{holdout.name}: cumulative lift"),
        x_title="Day",
        y_title="Lift (%)",
        height=height,
        traces=traces,
        xaxis={"type": "date", "nticks": 5, "tickangle": 0},
        legend={"orientation": "h", "y": -0.28, "yanchor": "top", "x": 0},
    )
    return Chart(dom_id=f"holdout-{holdout.pk}-lift", figure=figure, caption=_caption(report))


def _caption(report: dict) -> str:
    if not report["days"]:
        return "No data of both groups yet: upload the holdout's and the exposed users' days."
    text = (
        f"The exposed users' lift over those kept away, counted from {report['period_start']:%-d %b %Y} "
        f"to each day (blue)"
    )
    if report["estimated_lift"] is not None:
        text += (
            f", against the {report['estimated_lift']:.1%} the ledger expects from the "
            f"{len(report['shipped'])} change{'s' * (len(report['shipped']) != 1)} shipped into the "
            "segment over the same days (green)"
        )
    return text + "."
