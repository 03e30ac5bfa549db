"""Sample ratio mismatch: chi-square goodness of fit of users against planned weights.

For an experiment with arms i = 1..k, ``N = Σ users_i``, expected ``E_i = N·w_i/Σw``,
``χ² = Σ (users_i − E_i)²/E_i`` with ``k − 1`` degrees of freedom and
``p = P(χ²_{k−1} ≥ χ²) = Q((k − 1)/2, χ²/2)`` (regularised upper incomplete gamma) — the same
number as scipy ``chisquare(users, N·w)``. The split is flagged when ``p < SRM_THRESHOLD``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import special

from ._arrays import dense_groups, floats, require_finite, require_non_negative, require_positive

SRM_THRESHOLD = 0.001


class SRMResult(NamedTuple):
    p_value: np.ndarray  # one per group, in ascending group-id order
    detected: np.ndarray  # p_value < SRM_THRESHOLD (False where p is undefined)


def srm_test(users, weights, group_ids=None) -> SRMResult:
    """SRM p-value per experiment from flat per-arm arrays.

    ``users[j]`` and ``weights[j]`` belong to arm j of experiment ``group_ids[j]`` (None: all
    arms are one experiment). Weights are normalised within each group. A group with no
    users, or with a single arm, has an undefined (NaN) p-value and is not flagged.
    """
    n = floats("users", users).ravel()
    w = floats("weights", weights).ravel()
    if w.shape != n.shape:
        raise ValueError(f"weights: must have one weight per arm ({w.size} for {n.size} arms)")
    require_finite("users", n)
    require_non_negative("users", n)
    require_finite("weights", w)
    require_positive("weights", w)
    groups, count = dense_groups("group_ids", group_ids, n.size)
    total_users = np.bincount(groups, n, minlength=count)
    total_weight = np.bincount(groups, w, minlength=count)
    arms = np.bincount(groups, minlength=count)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = total_users[groups] * (w / total_weight[groups])
        statistic = np.bincount(groups, (n - expected) ** 2 / expected, minlength=count)
        p_value = special.gammaincc((arms - 1) / 2.0, statistic / 2.0)
    p_value = np.where((total_users > 0) & (arms > 1), p_value, np.nan)
    return SRMResult(p_value, p_value < SRM_THRESHOLD)
