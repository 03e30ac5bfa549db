"""Charts of the calibration, false-wins and partners insights, drawn from their stored data."""

import plotly.graph_objects as go

from analytics.charts.base import PALETTE, Chart, escape_markup, new_figure


def calibration_charts(data: dict) -> list[Chart]:
    return [_win_rate_by_band(data), _score_against_lift(data), _stated_against_corrected(data)]


def _win_rate_by_band(data: dict) -> Chart:
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
    return Chart(
        "calibration-bands",
        figure,
        "Share of concluded experiments that won, by the ICE score their idea had. If the "
        "scores rank ideas well, the bars rise from left to right.",
    )


def _score_against_lift(data: dict) -> Chart:
    points = data["points"]
    scatter = new_figure(
        title="ICE score against measured lift",
        x_title="ICE score at triage",
        y_title="Measured lift",
    )
    for won, label, colour in (
        (True, "Won", PALETTE["good"]),
        (False, "Did not win", PALETTE["neutral"]),
    ):
        chosen = [point for point in points if point["won"] == won]
        scatter.add_trace(
            go.Scatter(
                x=[point["ice"] for point in chosen],
                y=[point["lift"] for point in chosen],
                mode="markers",
                name=label,
                marker={"color": colour, "size": 8, "opacity": 0.8},
            )
        )
    scatter.update_yaxes(tickformat=".0%", zeroline=True)
    scatter.update_layout(hovermode="closest")
    rho = data["spearman_ice_lift"]
    return Chart(
        "calibration-scatter",
        scatter,
        "Each concluded experiment: the ICE score its idea had and the lift it measured"
        + (f" (rank correlation {rho:.2f})." if rho is not None else "."),
    )


def _stated_against_corrected(data: dict) -> Chart:
    bands = data["corrected_confidence"]["bands"]
    stated = _side_by_side(
        title="Stated against corrected confidence",
        x_title="Confidence given at triage",
        y_title="Confidence (1–10)",
        categories=[band["label"] for band in bands],
        bars=[
            (
                "Stated (band middle)",
                [(band["low"] + band["high"]) / 2 for band in bands],
                PALETTE["neutral"],
            ),
            (
                "Corrected (10 × win rate)",
                [band["corrected"] for band in bands],
                PALETTE["primary"],
            ),
        ],
    )
    stated.update_yaxes(range=[0, 10])
    return Chart(
        "calibration-confidence",
        stated,
        "What each confidence rating turned out to be worth: 10 × the band's win rate, "
        "shrunk toward the programme's rate when the band has few experiments.",
    )


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
            text=[escape_markup(row["name"]) for row in stream],
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
    totals = _side_by_side(
        title="Realised impact: as measured and shrunk",
        x_title="Objective",
        y_title="Impact per year",
        categories=[escape_markup(row["name"]) for row in objectives],
        bars=[
            ("As measured", [row["raw"] for row in objectives], PALETTE["neutral"]),
            ("Shrunk", [row["shrunk"] for row in objectives], PALETTE["primary"]),
        ],
    )
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
    figure = _side_by_side(
        title="Cost and value realised per partner",
        x_title="Partner or team",
        y_title="Amount (reporting currency)",
        categories=[escape_markup(row["partner"]) for row in partners],
        bars=[
            ("Cost (build + media)", [row["cost"] for row in partners], PALETTE["warning"]),
            ("Value per year (shrunk)", [row["value"] for row in partners], PALETTE["good"]),
        ],
    )
    return [
        Chart(
            "partners-value",
            figure,
            "What each agency partner and in-house team cost against the yearly value of the "
            "winners it shipped, valued through the segment's customer economics.",
        )
    ]


def _side_by_side(*, title, x_title, y_title, categories, bars) -> go.Figure:
    """Grouped bars: one trace per ``(name, values, colour)`` in ``bars`` over ``categories``."""
    figure = new_figure(title=title, x_title=x_title, y_title=y_title)
    for name, values, colour in bars:
        figure.add_trace(go.Bar(x=categories, y=values, name=name, marker_color=colour))
    figure.update_layout(barmode="group")
    return figure
