"""GrowthOps statistics engine — pure numpy/scipy, no Django (docs/statistics.md).

One front door for one experiment, the JSON contract (see :mod:`.contract`; its request's
fields and their checks are :mod:`.request`)::

    analyse(request: dict) -> dict              # raises AnalysisInputError (a ValueError)
    analyse_many(requests: list) -> list[dict]  # one vectorised pass; bad ones -> {"errors"}

Batched API
-----------
Everything below works on flat numpy arrays so that one call analyses thousands of
independent comparisons from different experiments. A *comparison* is one treatment arm
against its control; an *arm* is one variant; a *group id* (any integers, fastest when
sorted) says which experiment × metric an element belongs to. Scalars broadcast.

Per comparison (element i = comparison i; returns arrays of the same length)::

    z_test(mean_c, var_c, n_c, mean_t, var_t, n_t, alpha=0.05) -> Comparison
    welch_test(mean_c, var_c, n_c, mean_t, var_t, n_t, alpha=0.05) -> Comparison
    compare_proportions(conversions_c, users_c, conversions_t, users_t, alpha=0.05)
    compare_means(users_c, sum_c, sum_squares_c, users_t, sum_t, sum_squares_t, alpha=0.05)
        Comparison fields: diff, diff_ci_low, diff_ci_high, lift, lift_ci_low,
        lift_ci_high, se, statistic, df, p_value
    binomial_chance_to_beat(conversions_c, users_c, conversions_t, users_t,
                            higher_is_better=True) -> BayesResult
    beta_posteriors(a_c, b_c, a_t, b_t, higher_is_better=True) -> BayesResult
    normal_chance_to_beat(diff, se, higher_is_better=True) -> BayesResult
        BayesResult fields: chance_to_beat_control, expected_loss
    msprt_p_value(diff, se, tau) -> p            # always-valid p of one look
    running_min(p_values, axis=-1) -> p          # non-increasing over looks

Per arm, grouped by experiment::

    srm_test(users, weights, group_ids=None) -> SRMResult(p_value, detected)
        one p-value per group, in ascending group-id order
    cuped_adjust(users, sum_y, sum_y2, sum_x, sum_x2, sum_xy, group_ids=None)
        -> CupedResult(mean, var, theta), per arm; θ pooled within each group

Per comparison, grouped by family (experiment × metric)::

    adjust_p_values(p_values, method="none"|"holm"|"benjamini-hochberg", group_ids=None)
    holm(p_values, group_ids=None), benjamini_hochberg(p_values, group_ids=None)
    chance_of_a_false_positive(alpha, comparisons) -> 1 − (1 − α)^m

Design (scalars or arrays)::

    sample_size_proportions(baseline, mde, alpha=0.05, power=0.8)  # relative MDE
    sample_size_means(sd, mde, alpha=0.05, power=0.8)               # absolute MDE
    duration_days(users_per_variant, daily_traffic, weights=(0.5, 0.5))

Undefined results are NaN in arrays and ``None`` in the JSON. Bad arrays raise
``ValueError`` naming the argument.
"""

from .bayesian import BayesResult, beta_posteriors, binomial_chance_to_beat, normal_chance_to_beat
from .contract import analyse, analyse_many, compute
from .corrections import adjust_p_values, benjamini_hochberg, chance_of_a_false_positive, holm
from .cuped import CupedResult, cuped_adjust
from .frequentist import (
    Comparison,
    compare_means,
    compare_proportions,
    mean_var_from_sums,
    welch_test,
    z_test,
)
from .power import duration_days, sample_size_means, sample_size_proportions
from .request import AnalysisInputError, Request, parse_request
from .sequential import msprt_p_value, running_min
from .significance import ANALYSIS_METHODS, BAYESIAN, FREQUENTIST, SEQUENTIAL, is_significant
from .srm import SRM_THRESHOLD, SRMResult, srm_test

__all__ = [
    "ANALYSIS_METHODS",
    "AnalysisInputError",
    "BAYESIAN",
    "FREQUENTIST",
    "SEQUENTIAL",
    "BayesResult",
    "Comparison",
    "CupedResult",
    "Request",
    "SRMResult",
    "SRM_THRESHOLD",
    "adjust_p_values",
    "analyse",
    "analyse_many",
    "benjamini_hochberg",
    "chance_of_a_false_positive",
    "beta_posteriors",
    "binomial_chance_to_beat",
    "compare_means",
    "compare_proportions",
    "compute",
    "cuped_adjust",
    "duration_days",
    "holm",
    "is_significant",
    "mean_var_from_sums",
    "msprt_p_value",
    "normal_chance_to_beat",
    "parse_request",
    "running_min",
    "sample_size_means",
    "sample_size_proportions",
    "srm_test",
    "welch_test",
    "z_test",
]
