"""The latest look of an experiment as its decision rule reads it (docs/decisions.md).

Handed to ``experiments.decisions`` (which may not import this app) from ``AnalyticsConfig``:
the experiment page, the API, the review queue and the lifecycle's guards all read the verdict
through it.
"""

from analytics.stats.significance import SEQUENTIAL
from analytics.stats.verdict import ArmLook, MetricLook
from experiments.decisions import LatestLook
from experiments.models import Experiment, Metric

from .models import Result
from .selectors import latest_results


def experiment_latest_look(experiment: Experiment) -> LatestLook | None:
    """Each metric's newest snapshot as the rule reads it (one query); None without results."""
    results = latest_results(experiment)
    if not results:
        return None
    by_metric: dict[int, list[Result]] = {}
    for result in results:
        by_metric.setdefault(result.metric_id, []).append(result)
    metrics = {pk: _metric_look(rows) for pk, rows in by_metric.items()}
    primary = by_metric.get(experiment.primary_metric_id, [])
    return LatestLook(users=sum(r.users for r in primary), metrics=metrics)


def _metric_look(rows: list[Result]) -> MetricLook:
    metric: Metric = rows[0].metric
    control = next((r for r in rows if r.is_control), None)
    return MetricLook(
        key=metric.key,
        name=metric.name,
        higher_is_better=metric.higher_is_better,
        arms=tuple(_arm(r, control) for r in rows if not r.is_control),
    )


def _arm(result: Result, control: Result | None) -> ArmLook:
    control_mean = control.mean if control is not None else None
    loss = result.expected_loss
    return ArmLook(
        variant=result.variant.name or result.variant.key,
        lift=result.lift,
        lift_ci_low=result.lift_ci_low,
        lift_ci_high=result.lift_ci_high,
        # The method's own p-value: always-valid for a sequential test, else corrected.
        p_value=result.sequential_p_value if result.method == SEQUENTIAL else _corrected(result),
        chance_to_beat=result.chance_to_beat_control,
        # Relative to the control's mean, as the rule's tolerance is.
        expected_loss=loss / control_mean if loss is not None and control_mean else None,
        no_conversions=control_mean == 0 and result.mean == 0,
    )


def _corrected(result: Result) -> float | None:
    return result.p_value_adjusted if result.p_value_adjusted is not None else result.p_value
