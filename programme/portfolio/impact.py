"""What an experiment is worth to its objective: the impact formulas (docs/portfolio.md).

The two formulas live in :func:`forecast_impact` and :func:`realised_impact`, on top of one
:class:`ImpactModel` per experiment, so every page values a lift the same way.
"""

from dataclasses import dataclass

from experiments.models import Experiment, Metric

# A team's forecasts use its own win rate once it has concluded this many (docs/portfolio.md).
PRIOR_WIN_RATE = 0.3
OWN_RATE_AFTER_CONCLUDED = 10


@dataclass(frozen=True)
class ImpactModel:
    """What a relative lift of one experiment's primary metric is worth per year.

    ``value_per_conversion`` is expressed in the unit of the experiment's objective (EUR
    for a revenue objective, 1 for an objective that counts conversions).
    """

    reach_per_year: int | None
    baseline: float | None
    value_per_conversion: float | None
    metric_kind: str
    higher_is_better: bool = True

    @classmethod
    def for_experiment(cls, experiment: Experiment) -> "ImpactModel":
        metric = experiment.deciding_metric
        return cls(
            reach_per_year=experiment.reach_per_year,
            baseline=experiment.baseline,
            value_per_conversion=as_float(experiment.value_per_conversion),
            metric_kind=metric.kind,
            higher_is_better=metric.higher_is_better,
        )

    def annual_value(self, improvement: float) -> float | None:
        """Yearly value of a relative improvement, or None when the model is incomplete.

        binomial: reach_per_year × baseline rate × improvement × value_per_conversion
                  (extra conversions a year, each worth value_per_conversion);
        mean:     reach_per_year × baseline mean × improvement
                  (extra value per user, in the metric's unit, times users a year).
        """
        if self.reach_per_year is None or self.baseline is None:
            return None
        if self.metric_kind == Metric.Kind.BINOMIAL:
            if self.value_per_conversion is None:
                return None
            return self.reach_per_year * self.baseline * improvement * self.value_per_conversion
        return self.reach_per_year * self.baseline * improvement


def win_probability(*, won: int, concluded: int) -> float:
    """P(win) of a team: its own win rate once it has concluded ten experiments, else 0.3."""
    if concluded < OWN_RATE_AFTER_CONCLUDED:
        return PRIOR_WIN_RATE
    return won / concluded


def forecast_impact(model: ImpactModel, *, p_win: float, expected_lift: float | None):
    """Forecast = P(win) × annual value of the expected lift (the MDE); None if incomplete.

    The MDE is the size of the improvement the experiment was designed to detect, so it
    counts as an improvement whichever direction the metric should move.
    """
    if expected_lift is None:
        return None
    value = model.annual_value(expected_lift)
    return None if value is None else p_win * value


def realised_impact(
    model: ImpactModel, *, lift: float, lift_ci_low: float | None, lift_ci_high: float | None
) -> tuple[float, float, float] | None:
    """(impact, low, high): annual value of the measured lift and of its CI bounds.

    For lower-is-better metrics a fall is the improvement, so the lift's sign flips and the
    CI bounds swap. A missing bound falls back to the lift itself. None if incomplete.
    """
    low = lift if lift_ci_low is None else lift_ci_low
    high = lift if lift_ci_high is None else lift_ci_high
    if not model.higher_is_better:
        lift, low, high = -lift, -high, -low
    values = [model.annual_value(x) for x in (lift, low, high)]
    if values[0] is None:
        return None
    return values[0], min(values[1:]), max(values[1:])


def as_float(value) -> float | None:
    return None if value is None else float(value)
