"""The lift that counts of every concluded experiment, and the same lifts shrunk for the
winner's curse (docs/insights.md, "False wins").

One query, :func:`lifts_that_count`, chooses the lift: the objective ledger values it
(``realised_impact``), and shrunk it feeds the ledger's ``realised_impact_shrunk`` and the
false-wins insight, so all three read the same lifts and shrink them toward the same prior.
"""

from dataclasses import dataclass

import numpy as np
from django.db.models import OuterRef, Subquery

from analytics.models import Result
from analytics.stats.programme import shrink_lifts, standard_error_from_interval
from experiments.models import Experiment, ExperimentStatus, Metric

RESULT_FIELDS = [
    "experiment_id",
    "lift",
    "lift_ci_low",
    "lift_ci_high",
    "alpha",
    "method",
    "p_value",
    "p_value_adjusted",
    "sequential_p_value",
    "direction",
]


def lifts_that_count(experiment_ids=None) -> list[dict]:
    """Per concluded experiment with a result (of ``experiment_ids`` only, when given): its best
    treatment at the newest look of the deciding metric (``Experiment.deciding_metric``), in
    one query.

    "Best" is the highest lift, the lowest for a lower-is-better metric. ``improvement`` is the
    lift signed so that positive is better, and its interval likewise.
    """
    latest_look = (
        Result.objects.filter(experiment=OuterRef("experiment"), metric=OuterRef("metric"))
        .order_by("-look")
        .values("look")[:1]
    )
    scope = Result.objects.all()
    if experiment_ids is not None:
        scope = scope.filter(experiment_id__in=experiment_ids)
    rows = (
        scope.filter(
            experiment__status=ExperimentStatus.CONCLUDED,
            is_control=False,
            lift__isnull=False,
            look=Subquery(latest_look),
        )
        .filter(metric_id=Experiment.deciding_metric_column("id", via="experiment__"))
        .annotate(direction=Experiment.deciding_metric_column("direction", via="experiment__"))
        .order_by("experiment_id", "variant_id")
        .values(*RESULT_FIELDS)
    )
    best: dict[int, dict] = {}
    for row in rows:
        sign = -1 if row["direction"] == Metric.Direction.LOWER else 1
        row["improvement"] = sign * row["lift"]
        if row["lift_ci_low"] is not None and row["lift_ci_high"] is not None:
            low, high = sign * row["lift_ci_low"], sign * row["lift_ci_high"]
            row["improvement_low"], row["improvement_high"] = min(low, high), max(low, high)
        else:
            row["improvement_low"] = row["improvement_high"] = None
        current = best.get(row["experiment_id"])
        if current is None or row["improvement"] > current["improvement"]:
            best[row["experiment_id"]] = row
    return list(best.values())


@dataclass(frozen=True)
class ShrunkLift:
    improvement: float  # as measured, positive = better
    standard_error: float | None
    shrunk: float  # posterior mean; the measured one when it could not be shrunk
    prob_no_gain: float | None  # P(true improvement ≤ 0), under the fitted prior


@dataclass(frozen=True)
class ProgrammeShrinkage:
    lifts: dict[int, ShrunkLift]  # by experiment id
    prior_mean: float | None
    prior_sd: float | None
    fitted_on: int  # experiments whose interval gave a standard error


def programme_shrinkage(rows: list[dict] | None = None) -> ProgrammeShrinkage:
    """Shrink every concluded experiment's improvement toward the programme's prior; ``rows``
    are :func:`lifts_that_count` of every concluded experiment (read when not given).

    The prior is fitted on the experiments whose result has an interval (a standard error);
    one without keeps its measured lift (nothing to weigh it by).
    """
    rows = lifts_that_count() if rows is None else rows
    with_se = [
        r
        for r in rows
        if r["improvement_low"] is not None and r["improvement_high"] > r["improvement_low"]
    ]
    lifts = {
        r["experiment_id"]: ShrunkLift(r["improvement"], None, r["improvement"], None) for r in rows
    }
    if not with_se:
        return ProgrammeShrinkage(lifts, None, None, 0)
    y = np.array([r["improvement"] for r in with_se])
    se = standard_error_from_interval(
        [r["improvement_low"] for r in with_se],
        [r["improvement_high"] for r in with_se],
        [r["alpha"] for r in with_se],
    )
    fit = shrink_lifts(y, se)
    for i, r in enumerate(with_se):
        lifts[r["experiment_id"]] = ShrunkLift(
            improvement=float(y[i]),
            standard_error=float(se[i]),
            shrunk=float(fit.shrunk[i]),
            prob_no_gain=float(fit.prob_no_gain[i]),
        )
    prior_sd = None if not np.isfinite(fit.prior_sd) else fit.prior_sd
    return ProgrammeShrinkage(lifts, fit.prior_mean, prior_sd, len(with_se))
