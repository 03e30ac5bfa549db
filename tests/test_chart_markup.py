"""Names people write reach the charts as text, never as Plotly markup (links, bold, breaks).

Plotly draws ``<a href>``, ``<b>``, ``<br>`` and ``<span style>`` in titles, labels, legend
names, hover text and menus; every chart builds its figure with such a name in each place a
person's words can reach, and its JSON must carry the name escaped, not as a tag.
"""

import datetime as dt
import json
from decimal import Decimal

import plotly.io as pio
import pytest

from analytics.charts import escape_markup
from analytics.charts.results import cumulative_value_chart, lift_per_look_chart
from experiments.models import Objective, Segment, SegmentEconomics
from programme.charts.dashboard import objective_progress_chart
from programme.charts.insights_ops import capacity_timelines, recheck_chart
from programme.charts.insights_stats import false_wins_charts, partners_charts
from programme.charts.strategy import segment_economics_chart

EVIL = '<a href="https://evil.example">x</a><b>y</b>'
ESCAPED = '&lt;a href="https://evil.example"&gt;x&lt;/a&gt;&lt;b&gt;y&lt;/b&gt;'
TAGS = ("<a", "</a", "<b>", "</b>")


def test_escape_markup_writes_the_markup_characters_as_entities():
    assert escape_markup(EVIL) == ESCAPED
    # "&" first: a name that reads "&lt;" is shown as those four characters.
    assert escape_markup("R&D &lt; ops") == "R&amp;D &amp;lt; ops"
    assert escape_markup("Plain name – ünïcode") == "Plain name – ünïcode"


def _objective_chart():
    objective = Objective(
        pk=1,
        name=EVIL,
        kpi=EVIL,
        baseline=Decimal(100),
        target=Decimal(150),
        target_date=dt.date(2027, 12, 31),
    )
    history = [(dt.date(2026, 11, 1), {"realised_impact": 5.0, "forecast_impact": 2.0})]
    return [objective_progress_chart(objective, history)]


def _segment_chart():
    segment = Segment(pk=1, name=EVIL)
    period = SegmentEconomics(
        segment=segment,
        period_start=dt.date(2026, 10, 1),
        acquisition_cost=Decimal(100),
        customer_value=Decimal(250),
    )
    return [segment_economics_chart(segment, [period])]


def _capacity_charts():
    item = {"rank": 1, "name": EVIL, "status": "approved", "start_on": "2026-12-01"}
    segment = {
        "id": 1,
        "name": EVIL,
        "daily_reach": 1000,
        "free_daily": 400,
        "running": [{"name": EVIL, "days_left": 10, "daily": 300}],
        "queue": [{**item, "planned_days": 30, "planned_daily": 300}],
    }
    return capacity_timelines({"today": "2026-11-30", "segments": [segment]})


def _recheck_charts():
    row = {
        "name": EVIL,
        "lift": 0.02,
        "lift_ci_low": 0.0,
        "lift_ci_high": 0.04,
        "estimated_lift": 0.05,
        "after_days": 30,
    }
    latest = [{**row, "verdict": "held"}, {**row, "verdict": "faded"}]
    return recheck_chart({"latest": latest, "fade_share": 0.5})


def _false_wins_charts():
    stream = [{"t": 1, "level": 0.01, "p_value": 0.02, "name": EVIL, "discovery": False}]
    return false_wins_charts(
        {
            "stream": [{**stream[0], "won": True}],
            "by_objective": [{"name": EVIL, "raw": 1000.0, "shrunk": 800.0}],
        }
    )


def _partners_charts():
    return partners_charts({"partners": [{"partner": EVIL, "cost": 100.0, "value": 300.0}]})


def _results_charts():
    at = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)
    common = {"look": 1, "computed_at": at, "lift_ci_low": 0.0, "lift_ci_high": 0.1}
    history = [
        {**common, "variant_key": "control", "is_control": True, "mean": 0.1, "lift": None},
        {**common, "variant_key": EVIL, "is_control": False, "mean": 0.12, "lift": 0.05},
    ]
    return [
        cumulative_value_chart(
            history, metric_name=EVIL, metric_kind="binomial", unit="", dom_id="value"
        ),
        lift_per_look_chart(history, metric_name=EVIL, higher_is_better=True, dom_id="lift"),
    ]


CHARTS = {
    "objective progress": _objective_chart,
    "segment economics": _segment_chart,
    "capacity timeline": _capacity_charts,
    "post-ship re-checks": _recheck_charts,
    "false wins": _false_wins_charts,
    "partners": _partners_charts,
    "experiment results": _results_charts,
}


@pytest.mark.parametrize("build", CHARTS.values(), ids=CHARTS.keys())
def test_a_name_written_as_markup_reaches_the_figure_as_text(build):
    charts = build()
    assert charts
    for chart in charts:
        texts = list(_strings(json.loads(pio.to_json(chart.figure, validate=False))))
        assert not [text for text in texts if any(tag in text for tag in TAGS)], chart.dom_id
        assert [text for text in texts if ESCAPED in text], chart.dom_id  # still shown


def _strings(node):
    """Every string in a figure's JSON spec, keys aside."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
