"""Each insight's charts, drawn from the data its computation returned and stored (a page never
recomputes an insight, and an insight never imports a chart)."""

from collections.abc import Callable

from analytics.charts import Chart

from .insights_ops import bottleneck_charts, capacity_timelines, recheck_chart
from .insights_stats import (
    calibration_charts,
    false_wins_charts,
    partners_charts,
    process_faults_charts,
)

INSIGHT_CHARTS: dict[str, Callable[[dict], list[Chart]]] = {
    "calibration": calibration_charts,
    "capacity": capacity_timelines,
    "bottlenecks": bottleneck_charts,
    "rechecks": recheck_chart,
    "false-wins": false_wins_charts,
    "partners": partners_charts,
    "process-faults": process_faults_charts,
}


def insight_charts(name: str, data: dict) -> list[Chart]:
    """The charts of insight ``name`` for its stored ``data`` (none for an insight that draws none)."""
    draw = INSIGHT_CHARTS.get(name)
    return draw(data) if draw else []
