"""Charts of the operational insights: segment capacity timelines, cycle-time bottlenecks and
post-ship re-checks. Each reads the stored report only."""

import plotly.graph_objects as go

from .base import PALETTE, SERIES_COLOURS, Chart, new_figure

MS_PER_DAY = 86_400_000
# Bars per segment timeline: the head of the queue is what a plan acts on.
TIMELINE_BARS = 25


def capacity_timelines(data: dict) -> list[Chart]:
    """Per segment with work planned: a bar per experiment from its start to its decision."""
    charts = []
    for segment in data["segments"]:
        rows = [
            ("Running", r["name"], data["today"], r["days_left"], r["daily"])
            for r in segment["running"]
        ] + [
            ("Approved" if q["status"] == "approved" else "Backlog", q["name"], q["start_on"],
             q["planned_days"], q["planned_daily"])
            for q in segment["queue"]
        ]  # fmt: skip
        rows = rows[:TIMELINE_BARS]
        if not rows:
            continue
        figure = new_figure(
            title=f"{segment['name']}: {segment['daily_reach']:,.0f} people a day",
            x_title="Date",
            y_title="",
            height=max(220, 90 + 26 * len(rows)),
        )
        colours = {"Running": PALETTE["good"], "Approved": PALETTE["primary"]}
        for group in ("Running", "Approved", "Backlog"):
            members = [row for row in rows if row[0] == group]
            if not members:
                continue
            figure.add_trace(
                go.Bar(
                    name=group,
                    orientation="h",
                    y=[_short(row[1]) for row in members],
                    base=[row[2] for row in members],
                    x=[row[3] * MS_PER_DAY for row in members],
                    customdata=[[row[3], row[4]] for row in members],
                    marker_color=colours.get(group, PALETTE["neutral"]),
                    hovertemplate="%{y}<br>%{customdata[0]} days at %{customdata[1]:,.0f} a day"
                    "<extra>%{fullData.name}</extra>",
                )
            )
        figure.update_xaxes(type="date")
        figure.update_yaxes(autorange="reversed", automargin=True)
        figure.update_layout(barmode="overlay", hovermode="closest")
        shown = (
            ""
            if len(rows) == len(segment["running"]) + len(segment["queue"])
            else (f" The first {len(rows)} are drawn.")
        )
        charts.append(
            Chart(
                dom_id=f"capacity-{segment['id']}",
                figure=figure,
                caption=(
                    f"Each bar runs from the day an experiment can start to the day its sample "
                    f"is reached, on {segment['free_daily']:,.0f} free people a day after what "
                    f"is running.{shown}"
                ),
            )
        )
    return charts


def _short(name: str, limit: int = 38) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def bottleneck_charts(data: dict) -> list[Chart]:
    labels = {stage["key"]: stage["label"] for stage in data["stages"]}
    order = [stage["key"] for stage in data["stages"] if stage["key"] in data["overall"]]
    charts = []
    if order:
        stages = new_figure(
            title="Median days in each stage", x_title="Stage", y_title="Median days"
        )
        stages.add_trace(
            go.Bar(
                x=[labels[key] for key in order],
                y=[data["overall"][key]["median_days"] for key in order],
                customdata=[data["overall"][key]["count"] for key in order],
                marker_color=[
                    PALETTE["bad"] if key == data["slowest"] else PALETTE["primary"]
                    for key in order
                ],
                hovertemplate="%{x}: %{y} days (median of %{customdata})<extra></extra>",
            )
        )
        stages.update_layout(hovermode="closest", showlegend=False)
        charts.append(
            Chart(
                dom_id="bottleneck-stages",
                figure=stages,
                caption=f"Half of the passes through a stage took less than its bar; the "
                f"slowest, in red, is “{labels[data['slowest']]}”.",
            )
        )
    trend = data["trend"]
    if trend["months"]:
        figure = new_figure(
            title="Median days per stage, by month the stage ended",
            x_title="Month",
            y_title="Median days",
        )
        for i, key in enumerate(k for k in labels if k in trend["stages"]):
            figure.add_trace(
                go.Scatter(
                    name=labels[key],
                    x=trend["months"],
                    y=trend["stages"][key],
                    mode="lines+markers",
                    connectgaps=True,
                    line={"color": SERIES_COLOURS[(i + 1) % len(SERIES_COLOURS)]},
                )
            )
        charts.append(
            Chart(
                dom_id="bottleneck-trend",
                figure=figure,
                caption="A rising line is a stage getting slower; months without a finished "
                "pass are bridged.",
            )
        )
    return charts


def recheck_chart(data: dict) -> list[Chart]:
    """Per re-checked winner: the lift it shipped on beside the lift measured since."""
    rows = [row for row in data["latest"] if row["lift"] is not None]
    if not rows:
        return []
    names = [f"{_short(row['name'], 32)} (+{row['after_days']} d)" for row in rows]
    figure = new_figure(
        title="Lift at the decision and since the ship",
        x_title="Relative lift (%)",
        y_title="",
        height=max(240, 110 + 40 * len(rows)),
    )
    figure.add_trace(
        go.Scatter(
            name="Estimate at the decision",
            y=names,
            x=[row["estimated_lift"] * 100 for row in rows],
            mode="markers",
            marker={"color": PALETTE["neutral"], "size": 11, "symbol": "diamond"},
        )
    )
    figure.add_trace(
        go.Scatter(
            name="Re-checked (95 % interval)",
            y=names,
            x=[row["lift"] * 100 for row in rows],
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [(row["lift_ci_high"] - row["lift"]) * 100 for row in rows],
                "arrayminus": [(row["lift"] - row["lift_ci_low"]) * 100 for row in rows],
            },
            mode="markers",
            marker={
                "size": 11,
                "color": [
                    PALETTE["bad"] if row["verdict"] == "faded" else PALETTE["good"] for row in rows
                ],
            },
        )
    )
    figure.update_yaxes(autorange="reversed", automargin=True)
    figure.update_xaxes(zeroline=True, zerolinecolor="#adb5bd")
    figure.update_layout(hovermode="closest")
    return [
        Chart(
            dom_id="recheck-lifts",
            figure=figure,
            caption=(
                f"Grey: the lift each winner was shipped on. Coloured: what it measures on the "
                f"holdout since, red when less than {data['fade_share']:.0%} of the estimate is "
                "left."
            ),
        )
    ]
