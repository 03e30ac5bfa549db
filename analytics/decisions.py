"""The latest look of experiments as their decision rules read it (docs/decisions.md).

Handed to ``experiments.decisions`` (which may not import this app) from ``AnalyticsConfig``:
the experiment page, the API, the review queue and the lifecycle's guards all read the verdict
through it.
"""

from analytics.stats.reading import rate_floor
from analytics.stats.significance import SEQUENTIAL
from analytics.stats.verdict import ArmLook, MetricLook
from experiments.decisions import LatestLook
from experiments.models import Experiment, Metric

from .models import Result
from .selectors import newest_looks
from .srm import unacknowledged_mismatches


def experiment_latest_looks(experiments: list[Experiment]) -> dict[int, LatestLook]:
    """Each experiment's metrics at their newest look, as the rule reads them, with a
    sample-ratio mismatch nobody has acknowledged (one query for the lot, a second only when
    a look is mismatched); an experiment without results is left out."""
    results = newest_looks(
        Result.objects.filter(experiment_id__in=[e.pk for e in experiments])
    ).select_related("metric", "variant")
    grouped: dict[int, dict[int, list[Result]]] = {}
    by_experiment: dict[int, list[Result]] = {}
    for result in results:
        grouped.setdefault(result.experiment_id, {}).setdefault(result.metric_id, []).append(result)
        by_experiment.setdefault(result.experiment_id, []).append(result)
    mismatches = unacknowledged_mismatches(by_experiment)
    looks = {}
    for experiment in experiments:
        by_metric = grouped.get(experiment.pk)
        if by_metric:
            primary = by_metric.get(experiment.deciding_metric_id, [])
            looks[experiment.pk] = LatestLook(
                users=sum(r.users for r in primary),
                metrics={pk: _metric_look(rows) for pk, rows in by_metric.items()},
                unresolved_srm_p=mismatches.get(experiment.pk),
            )
    return looks


def _metric_look(rows: list[Result]) -> MetricLook:
    metric: Metric = rows[0].metric
    control = next((r for r in rows if r.is_control), None)
    return MetricLook(
        key=metric.key,
        name=metric.name,
        higher_is_better=metric.higher_is_better,
        arms=tuple(
            _arm(r, control, rate=metric.kind == Metric.Kind.BINOMIAL)
            for r in rows
            if not r.is_control
        ),
    )


def _arm(result: Result, control: Result | None, *, rate: bool) -> ArmLook:
    control_mean = control.mean if control is not None else None
    loss = result.expected_loss
    return ArmLook(
        variant=result.variant.name or result.variant.key,
        lift=result.lift,
        lift_ci_low=rate_floor(result.lift_ci_low, rate=rate),
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
