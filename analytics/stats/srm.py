"""Sample ratio mismatch: chi-square goodness of fit of users against planned weights.

For an experiment with arms i = 1..k, ``N = Σ users_i``, expected ``E_i = N·w_i/Σw``,
``χ² = Σ (users_i − E_i)²/E_i`` with ``k − 1`` degrees of freedom and
``p = P(χ²_{k−1} ≥ χ²) = Q((k − 1)/2, χ²/2)`` (regularised upper incomplete gamma) — the same
number as scipy ``chisquare(users, N·w)``. The split is flagged when ``p < SRM_THRESHOLD``.

For the usual few arms Q has closed forms (y = χ²/2), sums of positive terms, which are ~50×
faster than scipy's general ``gammaincc`` at half-integer orders:

    even df = 2a:      Q(a, y)     = e^{−y} · Σ_{j<a} y^j/j!
    odd df = 2a + 1:   Q(a + ½, y) = erfc(√y) + e^{−y} · Σ_{j<a} y^{j+½}/Γ(j + 3/2)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import special

from ._arrays import dense_groups, floats, require_finite, require_non_negative, require_positive

SRM_THRESHOLD = 0.001
_CLOSED_FORM_MAX_DF = 40


def _chi2_sf_closed(y: np.ndarray, df: int) -> np.ndarray:
    """Q(df/2, y) by the closed forms in the module docstring, for one integer df ≥ 1."""
    terms, odd = divmod(df, 2)
    root = np.sqrt(y)
    value = special.erfc(root) if odd else np.zeros_like(y)
    if terms:
        with np.errstate(over="ignore", invalid="ignore"):
            term = root * (2.0 / np.sqrt(np.pi)) if odd else np.ones_like(y)
            series = np.zeros_like(y)
            for j in range(terms):
                series += term
                term = term * y / (j + 1.5 if odd else j + 1.0)
            # e^{-y}·series is 0·inf = NaN only where y is so large that the tail is 0.
            value += np.nan_to_num(np.exp(-y) * series, nan=0.0)
    return np.minimum(value, 1.0, out=value)


def chi2_sf(statistic: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Upper tail of the chi-square distribution; closed forms for integer df ≤ 40."""
    statistic = np.asarray(statistic, dtype=np.float64)
    df = np.asarray(df)
    present = np.flatnonzero(np.bincount(np.clip(df, 0, _CLOSED_FORM_MAX_DF + 1)))
    if present.size == 1 and 1 <= present[0] <= _CLOSED_FORM_MAX_DF:
        return _chi2_sf_closed(0.5 * statistic, int(present[0]))  # the usual case: one df
    result = np.full(statistic.shape, np.nan)
    for value in present:
        where = np.flatnonzero(df == value) if value <= _CLOSED_FORM_MAX_DF else None
        if value == 0:
            continue  # one arm: no test
        if where is None:
            where = np.flatnonzero(df > _CLOSED_FORM_MAX_DF)
            result[where] = special.chdtrc(df[where], statistic[where])
        else:
            result[where] = _chi2_sf_closed(0.5 * statistic[where], int(value))
    return result


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
        # In place: at 100,000 experiments each fresh temporary costs more than the arithmetic.
        expected = np.take(total_users / total_weight, groups)
        expected *= w
        terms = n - expected
        np.square(terms, out=terms)
        terms /= expected
        statistic = np.bincount(groups, terms, minlength=count)
        p_value = chi2_sf(statistic, arms - 1)
    p_value[(total_users <= 0) | (arms < 2)] = np.nan
    return SRMResult(p_value, p_value < SRM_THRESHOLD)
