"""Charts of the operational insights: segment capacity timelines, cycle-time bottlenecks and
post-ship re-checks. Each reads the stored report only."""

import plotly.graph_objects as go

from analytics.charts.base import PALETTE, SERIES_COLOURS, Chart, escape_markup, new_figure

MS_PER_DAY = 86_400_000
# Bars per segment timeline: the head of the queue is what a plan acts on.
TIMELINE_BARS = 25


def capacity_timelines(data: dict) -> list[Chart]:
    """One timeline per segment with work planned (a menu picks the segment): a bar per
    experiment from the day it can start to the day its sample is reached."""
    figure = new_figure(title="", x_title="", y_title="", height=420)
    colours = {"Running": PALETTE["good"], "Approved": PALETTE["primary"]}
    owners = []
    planned = [s for s in data["segments"] if s["queue"] or s["running"]]
    # The segment with the longest queue opens first.
    shown_first = max(planned, key=lambda s: (len(s["queue"]), -planned.index(s)), default=None)
    for segment in planned:
        rows = _timeline_rows(segment, today=data["today"])
        first_trace = len(figure.data)
        for group in ("Running", "Approved", "Backlog"):
            members = [row for row in rows if row[0] == group]
            if not members:
                continue
            figure.add_trace(
                go.Bar(
                    name=group,
                    legendgroup=group,
                    orientation="h",
                    y=[row[1] for row in members],
                    base=[row[3] for row in members],
                    x=[row[4] * MS_PER_DAY for row in members],
                    customdata=[[row[4], row[5], escape_markup(row[2])] for row in members],
                    marker_color=colours.get(group, PALETTE["neutral"]),
                    visible=segment is shown_first,
                    meta=segment["id"],
                    hovertemplate="%{y} %{customdata[2]}<br>%{customdata[0]} days at "
                    "%{customdata[1]:,.0f} a day<extra>%{fullData.name}</extra>",
                )
            )
        owners.append((segment, first_trace, len(figure.data)))
    if not owners:
        return []
    figure.update_xaxes(type="date")
    figure.update_yaxes(autorange="reversed", automargin=True)
    figure.update_xaxes(automargin=True)
    figure.update_layout(
        title={"text": _timeline_title(shown_first), "y": 0.98, "yanchor": "top"},
        barmode="overlay",
        hovermode="closest",
        margin={"t": 100},
        updatemenus=[
            {
                "buttons": _segment_buttons(owners, trace_count=len(figure.data)),
                "active": [segment for segment, *_ in owners].index(shown_first),
                "direction": "down",
                "x": 0,
                "xanchor": "left",
                "y": 1.03,
                "yanchor": "bottom",
                "showactive": True,
            }
        ],
    )
    return [
        Chart(
            dom_id="capacity-timeline",
            figure=figure,
            caption=(
                "Each bar runs from the day an experiment can start to the day its sample is "
                "reached on the segment's traffic; pick a segment in the menu. Green: running; "
                "blue: approved; grey: the designed backlog. Bars are numbered by their place "
                f"in the queue below (the first {TIMELINE_BARS} are drawn)."
            ),
        )
    ]


def _timeline_rows(segment: dict, *, today) -> list[tuple]:
    """(group, label, name, start, days, daily) per bar, running first, then the queue.

    Bars are labelled by their place (the queue's rank, as in the table below) so that the
    plot keeps its width on a phone; the name shows on hover."""
    rows = [
        ("Running", f"run {n}", r["name"], today, r["days_left"], r["daily"])
        for n, r in enumerate(segment["running"], start=1)
    ] + [
        ("Approved" if q["status"] == "approved" else "Backlog", f"#{q['rank']}", q["name"],
         q["start_on"], q["planned_days"], q["planned_daily"])
        for q in segment["queue"]
        if q["start_on"] is not None
    ]  # fmt: skip
    return rows[:TIMELINE_BARS]


def _segment_buttons(owners: list[tuple], *, trace_count: int) -> list[dict]:
    """The menu: each entry shows one segment's traces (``owners``: segment, first, last)."""
    return [
        {
            "label": f"{escape_markup(segment['name'])} ({len(segment['queue'])} queued)",
            "method": "update",
            "args": [
                {"visible": [first <= i < last for i in range(trace_count)]},
                {"title.text": _timeline_title(segment)},
            ],
        }
        for segment, first, last in owners
    ]


def _timeline_title(segment: dict) -> str:
    return (
        f"{escape_markup(segment['name'])}: {segment['daily_reach']:,.0f} people a day, "
        f"{segment['free_daily']:,.0f} free"
    )


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
            title="Median days per stage, by month",
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
                caption="Each point is the median of the passes through a stage that ended in "
                "that month; a rising line is a stage getting slower (months without one are "
                "bridged).",
            )
        )
    return charts


def recheck_chart(data: dict) -> list[Chart]:
    """Per re-checked winner: the lift it shipped on beside the lift measured since."""
    rows = [row for row in data["latest"] if row["lift"] is not None]
    if not rows:
        return []
    # Short labels keep the plot wide on a phone; numbered, so that two names alike stay apart.
    names = [
        f"{i}. {escape_markup(_short(row['name'], 18))}" for i, row in enumerate(rows, start=1)
    ]
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
            customdata=[[escape_markup(row["name"]), row["after_days"]] for row in rows],
            hovertemplate="%{customdata[0]}: shipped on %{x:+.1f} %<extra></extra>",
        )
    )
    for verdict, label, colour in [
        ("held", "Re-checked: held up", PALETTE["good"]),
        ("faded", "Re-checked: faded", PALETTE["bad"]),
    ]:
        members = [(name, row) for name, row in zip(names, rows, strict=True)]
        members = [(name, row) for name, row in members if row["verdict"] == verdict]
        if not members:
            continue
        figure.add_trace(
            go.Scatter(
                name=f"{label} (95 % interval)",
                y=[name for name, _ in members],
                x=[row["lift"] * 100 for _, row in members],
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [(row["lift_ci_high"] - row["lift"]) * 100 for _, row in members],
                    "arrayminus": [(row["lift"] - row["lift_ci_low"]) * 100 for _, row in members],
                },
                mode="markers",
                marker={"size": 11, "color": colour},
                customdata=[[escape_markup(row["name"]), row["after_days"]] for _, row in members],
                hovertemplate="%{customdata[0]}: %{x:+.1f} % after %{customdata[1]} days"
                "<extra></extra>",
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
