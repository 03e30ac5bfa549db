"""The charts of an experiment's results, built from its stored result history.

Each look (one analysis after new data) stored one snapshot per variant; the charts draw
exactly those numbers: the cumulative value of each variant, and each treatment's lift with
its interval, look by look.
"""

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import lru_cache

from analytics.stats.significance import BAYESIAN, FREQUENTIST, SEQUENTIAL

from .base import PALETTE, SERIES_COLOURS, Chart, escape_markup, new_figure

# A row of the history: look, computed_at, variant_key, is_control, mean, lift,
# lift_ci_low, lift_ci_high (as ``analytics.results.result_history`` reads them).
HistoryRow = Mapping[str, object]


def _by_variant(history: Iterable[HistoryRow]) -> dict[str, list[HistoryRow]]:
    """Rows per variant, control first, each in look order."""
    series: dict[str, list[HistoryRow]] = defaultdict(list)
    for row in sorted(history, key=lambda r: (not r["is_control"], r["variant_key"], r["look"])):
        series[row["variant_key"]].append(row)
    return series


def _value_axis(metric_kind: str, unit: str) -> tuple[str, str]:
    """Axis title and tick format: conversion rates as percentages, means in their unit."""
    if metric_kind == "binomial":
        return "Conversion rate", ".1%"
    return (f"Mean per user ({unit})" if unit else "Mean per user"), ""


@lru_cache(maxsize=64)
def _house_layout_json(title: str, x_title: str, y_title: str) -> str:
    return json.dumps(
        new_figure(title=title, x_title=x_title, y_title=y_title).to_plotly_json()["layout"]
    )


def _figure(*, title: str, x_title: str, y_title: str) -> dict:
    """An empty figure in the house style, as its JSON spec.

    Built once per set of titles from ``new_figure`` and copied: these charts carry a point
    per look, and ``go.Figure`` validates every property of every trace (tens of ms a chart).
    """
    return {"data": [], "layout": json.loads(_house_layout_json(title, x_title, y_title))}


def cumulative_value_chart(
    history: Iterable[HistoryRow], *, metric_name: str, metric_kind: str, unit: str, dom_id: str
) -> Chart:
    """Each variant's cumulative value (all data up to that look), one line per variant."""
    y_title, tick_format = _value_axis(metric_kind, unit)
    figure = _figure(title="Cumulative value per variant", x_title="Look", y_title=y_title)
    for index, (key, rows) in enumerate(_by_variant(history).items()):
        key = escape_markup(key)
        figure["data"].append(
            {
                "type": "scatter",
                "x": [r["look"] for r in rows],
                "y": [r["mean"] for r in rows],
                "name": key,
                "mode": "lines+markers",
                "line": {"color": SERIES_COLOURS[index % len(SERIES_COLOURS)]},
                "customdata": [r["computed_at"].strftime("%-d %b %Y %H:%M") for r in rows],
                "hovertemplate": "%{y}<br>computed %{customdata}<extra>" + key + "</extra>",
            }
        )
    _axes(figure, history, y_tick_format=tick_format)
    return Chart(
        dom_id=dom_id,
        figure=figure,
        caption=(
            f"{metric_name} of each variant over all data up to each look; lines that stay "
            "apart as data accumulates point to a real difference."
        ),
    )


# What an interval at one look may be read as, by the test's method: each look's interval is
# a fixed-horizon one, which looking again and again makes too narrow.
READING_AN_INTERVAL = {
    FREQUENTIST: "Once the planned sample is in, the test of the difference decides, and an "
    "interval clear of zero mostly agrees with it (before, each look's interval is too narrow "
    "to call it).",
    SEQUENTIAL: "Each look's interval is a fixed-horizon one, too narrow for a test read at "
    "every look: the always-valid p-value decides, not whether the interval crosses zero.",
    BAYESIAN: "The chance to beat control and the expected loss decide, not whether the "
    "interval crosses zero.",
}


def lift_per_look_chart(
    history: Iterable[HistoryRow],
    *,
    metric_name: str,
    higher_is_better: bool,
    dom_id: str,
    method: str = FREQUENTIST,
) -> Chart:
    """Each treatment's relative lift over control with its interval, look by look; the
    caption says what the intervals may be read as under the test's ``method``."""
    figure = _figure(title="Lift over control, per look", x_title="Look", y_title="Lift")
    series = _by_variant(history)
    treatments = [(key, rows) for key, rows in series.items() if not rows[0]["is_control"]]
    for index, (key, rows) in enumerate(treatments, start=1):
        rows = [r for r in rows if r["lift"] is not None]
        key = escape_markup(key)
        figure["data"].append(
            {
                "type": "scatter",
                "x": [r["look"] for r in rows],
                "y": [r["lift"] for r in rows],
                "name": f"{key} vs control",
                "mode": "lines+markers",
                "line": {"color": SERIES_COLOURS[index % len(SERIES_COLOURS)]},
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": [_gap(r["lift_ci_high"], r["lift"]) for r in rows],
                    "arrayminus": [_gap(r["lift"], r["lift_ci_low"]) for r in rows],
                    "thickness": 1.2,
                },
            }
        )
    # Zero across the plot: where "no difference" lies.
    figure["layout"]["shapes"] = [
        {
            "type": "line",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "yref": "y",
            "y0": 0,
            "y1": 0,
            "line": {"color": PALETTE["neutral"], "width": 1, "dash": "dot"},
        }
    ]
    _axes(figure, history, y_tick_format=".1%")
    better = "above" if higher_is_better else "below"
    return Chart(
        dom_id=dom_id,
        figure=figure,
        caption=(
            f"Relative lift of {metric_name} with its interval at each look; better is {better} "
            f"the dotted zero line. {READING_AN_INTERVAL[method]}"
        ),
    )


def _axes(figure: dict, history, *, y_tick_format: str) -> None:
    layout = figure["layout"]
    layout["yaxis"]["tickformat"] = y_tick_format
    step = _look_step(history)
    if step is not None:
        layout["xaxis"]["dtick"] = step


def _gap(high: float | None, low: float | None) -> float:
    return 0.0 if high is None or low is None else high - low


def _look_step(history: Iterable[HistoryRow]) -> int | None:
    """Whole looks on the axis: step 1 for a few looks, Plotly's choice beyond."""
    looks = {r["look"] for r in history}
    return 1 if len(looks) <= 12 else None
