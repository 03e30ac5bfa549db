"""The experiment design: what must be set before review, and the sample size it implies."""

from dataclasses import dataclass

# The pure statistics engine (numpy and scipy only), not the analytics app: allowed from here.
from analytics.stats import duration_days, sample_size_means, sample_size_proportions

from .models import AnalysisMethod, Experiment, Metric, Segment

# The design: what the owner sets until approval freezes it. The design service accepts
# exactly these, the admin makes them read-only once frozen, and the API shows them.
DESIGN_MANY_TO_MANY_FIELDS = ("secondary_metrics", "guardrail_metrics")
DESIGN_FIELDS = (
    "name",
    "objective",
    "segment",
    "executed_by",
    "partner",
    "primary_metric",
    *DESIGN_MANY_TO_MANY_FIELDS,
    "alpha",
    "power",
    "mde",
    "baseline",
    "baseline_sd",
    "daily_traffic",
    "method",
    "correction",
    "sequential_tau",
    "min_run_weeks",
    "decision_rule",
    "reach_per_year",
    "value_per_conversion",
)


@dataclass(frozen=True)
class Design:
    sample_size_per_variant: int
    total_sample_size: int
    duration_days: int


# A test longer than this is rarely worth running: seasons change under it and the team waits
# a quarter for an answer. Designs beyond it are flagged (not refused) before review.
MAX_DURATION_DAYS = 90
# A segment's reach is counted per month; a day of it is a thirtieth.
DAYS_PER_MONTH = 30


def experiment_design(experiment: Experiment) -> Design | None:
    """Sample size per variant (docs/statistics.md, power) and days at the expected traffic.

    None while an input is missing; the variants' count comes from the saved variants.
    """
    metric = experiment.primary_metric
    if metric is None:
        return None
    return design_for(
        metric_kind=metric.kind,
        baseline=experiment.baseline,
        mde=experiment.mde,
        baseline_sd=experiment.baseline_sd,
        alpha=experiment.alpha,
        power=experiment.power,
        daily_traffic=experiment.daily_traffic,
        weights=[v.weight for v in experiment.variants.all()],
    )


def design_for(
    *,
    metric_kind: str,
    baseline: float | None,
    mde: float | None,
    baseline_sd: float | None,
    alpha: float,
    power: float,
    daily_traffic: int | None,
    weights: list[float],
) -> Design | None:
    """The design of inputs not saved yet (the design page's live preview) or saved.

    Binomial metrics: relative MDE on a conversion rate; mean metrics: the absolute effect is
    ``baseline × MDE`` against the per-user SD. None while an input is missing or out of range.
    """
    needed = [baseline, mde, daily_traffic, alpha, power]
    if metric_kind == Metric.Kind.MEAN:
        needed.append(baseline_sd)
    if any(value is None for value in needed) or daily_traffic <= 0:
        return None
    weights = list(weights) or [0.5, 0.5]
    try:
        if metric_kind == Metric.Kind.BINOMIAL:
            per_variant = sample_size_proportions(baseline, mde, alpha=alpha, power=power)
        else:
            per_variant = sample_size_means(baseline_sd, baseline * mde, alpha=alpha, power=power)
        days = duration_days(per_variant, daily_traffic, weights=weights)
    except ValueError:  # inputs out of range: design_problems names them
        return None
    per_variant = int(per_variant)
    return Design(per_variant, per_variant * max(len(weights), 2), int(days))


def design_flags(
    design: Design | None, *, daily_traffic: int | None, segment: Segment | None
) -> dict[str, str]:
    """Warnings about a design that can be submitted but probably should not be, by field.

    ``duration``: it needs more than :data:`MAX_DURATION_DAYS`; ``daily_traffic``: more people a
    day than the segment reaches (its monthly reach ÷ 30). Shown before submit; not refusals.
    """
    flags: dict[str, str] = {}
    if design is not None and design.duration_days > MAX_DURATION_DAYS:
        flags["duration"] = (
            f"Needs {design.duration_days} days, more than {MAX_DURATION_DAYS}: raise the MDE "
            "or the daily traffic, or use fewer variants."
        )
    if segment is not None and daily_traffic:
        per_day = segment_daily_reach(segment)
        if daily_traffic > per_day:
            flags["daily_traffic"] = (
                f"More than the segment has: “{segment.name}” reaches about {per_day:,.0f} "
                f"people a day ({segment.monthly_reach:,} a month)."
            )
    return flags


def segment_daily_reach(segment: Segment) -> float:
    """People a segment reaches a day: its monthly reach ÷ 30."""
    return segment.monthly_reach / DAYS_PER_MONTH


def segment_traffic_share(daily_traffic: int | None, segment: Segment) -> float | None:
    """The share of a segment's daily reach that ``daily_traffic`` takes; None when either is
    unknown or zero."""
    per_day = segment_daily_reach(segment)
    if not daily_traffic or not per_day:
        return None
    return daily_traffic / per_day


def experiment_design_flags(experiment: Experiment, design: Design | None) -> dict[str, str]:
    """:func:`design_flags` of a saved experiment."""
    return design_flags(design, daily_traffic=experiment.daily_traffic, segment=experiment.segment)


def segment_problems(experiment: Experiment) -> dict[str, str]:
    """A sunset segment takes no new experiments: refused at submit, approval and start."""
    problem = experiment.segment.sunset_problem() if experiment.segment is not None else None
    return {"segment": problem} if problem else {}


def design_problems(experiment: Experiment) -> dict[str, str]:
    """Every reason the design is not ready for review, keyed by field (docs/architecture.md, "Lifecycle": submit)."""
    from .validation import variant_problems

    problems: dict[str, str] = {}
    if experiment.hypothesis_id is None:
        problems["hypothesis"] = "Link the hypothesis this experiment tests."
    if experiment.objective_id is None:
        problems["objective"] = "Choose the objective it serves."
    if experiment.segment_id is None:
        problems["segment"] = "Choose the audience segment."
    else:
        problems.update(segment_problems(experiment))
    metric = experiment.primary_metric
    if metric is None:
        problems["primary_metric"] = "Choose the primary metric."
    variants = list(experiment.variants.all())
    problems.update(variant_problems([(v.key, v.is_control, v.weight) for v in variants]))
    if experiment.baseline is None:
        problems["baseline"] = "Give the control's baseline."
    elif (
        metric is not None
        and metric.kind == Metric.Kind.BINOMIAL
        and not 0 < experiment.baseline < 1
    ):
        problems["baseline"] = "A conversion baseline must lie strictly between 0 and 1."
    if experiment.mde is None:
        problems["mde"] = "Give the minimum detectable effect."
    elif (
        metric is not None
        and metric.kind == Metric.Kind.BINOMIAL
        and experiment.baseline
        and 0 < experiment.baseline < 1
        and experiment.baseline * (1 + experiment.mde) >= 1
    ):
        problems["mde"] = "Baseline × (1 + MDE) must stay below 100 %."
    if metric is not None and metric.kind == Metric.Kind.MEAN and experiment.baseline_sd is None:
        problems["baseline_sd"] = "Give the per-user standard deviation of the mean metric."
    if not experiment.daily_traffic:
        problems["daily_traffic"] = "Give the expected daily traffic."
    if experiment.method == AnalysisMethod.SEQUENTIAL and experiment.sequential_tau is None:
        problems["sequential_tau"] = "Sequential analysis needs τ."
    if not problems and experiment_design(experiment) is None:
        problems["design"] = "The sample size could not be computed from these inputs."
    return problems
