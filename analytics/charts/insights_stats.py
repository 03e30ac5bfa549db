"""Charts of the calibration, false-wins and partners insights, drawn from their stored data."""

import plotly.graph_objects as go

from .base import PALETTE, Chart, new_figure


def calibration_charts(data: dict) -> list[Chart]:
    bands = [band for band in data["bands"] if band["experiments"]]
    figure = new_figure(title="Win rate by ICE score band", x_title="ICE score", y_title="Win rate")
    figure.add_trace(
        go.Bar(
            x=[band["label"] for band in bands],
            y=[band["win_rate"] for band in bands],
            text=[f"{band['wins']} of {band['experiments']}" for band in bands],
            textposition="outside",
            cliponaxis=False,
            marker_color=PALETTE["primary"],
            name="Win rate",
        )
    )
    figure.update_yaxes(tickformat=".0%", range=[0, 1.1])
    charts = [
        Chart(
            "calibration-bands",
            figure,
            "Share of concluded experiments that won, by the ICE score their idea had. If the "
            "scores rank ideas well, the bars rise from left to right.",
        )
    ]
    bands = data["corrected_confidence"]["bands"]
    stated = new_figure(
        title="Stated against corrected confidence",
        x_title="Confidence given at triage",
        y_title="Confidence (1–10)",
    )
    stated.add_trace(
        go.Bar(
            x=[band["label"] for band in bands],
            y=[(band["low"] + band["high"]) / 2 for band in bands],
            name="Stated (band middle)",
            marker_color=PALETTE["neutral"],
        )
    )
    stated.add_trace(
        go.Bar(
            x=[band["label"] for band in bands],
            y=[band["corrected"] for band in bands],
            name="Corrected (10 × win rate)",
            marker_color=PALETTE["primary"],
        )
    )
    stated.update_layout(barmode="group")
    stated.update_yaxes(range=[0, 10])
    charts.append(
        Chart(
            "calibration-confidence",
            stated,
            "What each confidence rating turned out to be worth: 10 × the band's win rate, "
            "shrunk toward the programme's rate when the band has few experiments.",
        )
    )
    return charts


def false_wins_charts(data: dict) -> list[Chart]:
    stream = data["stream"]
    figure = new_figure(
        title="p-values against their LORD++ levels",
        x_title="Decision (in the order taken)",
        y_title="p-value (log scale)",
    )
    figure.add_trace(
        go.Scatter(
            x=[row["t"] for row in stream],
            y=[row["level"] for row in stream],
            mode="lines",
            name="LORD++ level",
            line={"color": PALETTE["neutral"], "shape": "hv"},
        )
    )
    figure.add_trace(
        go.Scatter(
            x=[row["t"] for row in stream],
            y=[row["p_value"] for row in stream],
            mode="markers",
            name="p-value",
            text=[row["name"] for row in stream],
            marker={
                "color": [
                    PALETTE["good"]
                    if row["discovery"]
                    else PALETTE["bad"]
                    if row["won"]
                    else PALETTE["neutral"]
                    for row in stream
                ],
                "size": 8,
            },
        )
    )
    figure.update_yaxes(type="log")
    charts = [
        Chart(
            "false-wins-stream",
            figure,
            "Green: a discovery at the programme's level. Red: called a win although its "
            "p-value is above the level it would have needed. Grey: neither.",
        )
    ]
    objectives = data["by_objective"]
    totals = new_figure(
        title="Realised impact: as measured and shrunk",
        x_title="Objective",
        y_title="Impact per year",
    )
    totals.add_trace(
        go.Bar(
            x=[row["name"] for row in objectives],
            y=[row["raw"] for row in objectives],
            name="As measured",
            marker_color=PALETTE["neutral"],
        )
    )
    totals.add_trace(
        go.Bar(
            x=[row["name"] for row in objectives],
            y=[row["shrunk"] for row in objectives],
            name="Shrunk",
            marker_color=PALETTE["primary"],
        )
    )
    totals.update_layout(barmode="group")
    charts.append(
        Chart(
            "false-wins-totals",
            totals,
            "Scaled experiments' impact summed per objective, from the lifts as measured and "
            "from the same lifts shrunk toward the programme's typical lift.",
        )
    )
    return charts


def partners_charts(data: dict) -> list[Chart]:
    partners = data["partners"]
    figure = new_figure(
        title="Cost and value realised per partner",
        x_title="Partner or team",
        y_title="Amount (reporting currency)",
    )
    figure.add_trace(
        go.Bar(
            x=[row["partner"] for row in partners],
            y=[row["cost"] for row in partners],
            name="Cost (build + media)",
            marker_color=PALETTE["warning"],
        )
    )
    figure.add_trace(
        go.Bar(
            x=[row["partner"] for row in partners],
            y=[row["value"] for row in partners],
            name="Value per year (shrunk)",
            marker_color=PALETTE["good"],
        )
    )
    figure.update_layout(barmode="group")
    return [
        Chart(
            "partners-value",
            figure,
            "What each agency partner and in-house team cost against the yearly value of the "
            "winners it shipped, valued through the segment's customer economics.",
        )
    ]
