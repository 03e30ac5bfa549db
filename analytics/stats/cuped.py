"""CUPED variance reduction from per-arm sums (docs/statistics.md).

Each arm gives ``n`` and the sums ``Sy, Syy`` of the metric (binomial: ``Sy = Syy =
conversions``) and ``Sx, Sxx, Sxy`` of the pre-period covariate. Over all users of all arms
of one experiment (sample, n − 1 formulas from the summed sums)

    θ = cov(x, y)/var(x)          (θ = 0 when var(x) = 0)

and for each arm, with its own n − 1 formulas ``v_y, v_x, c_xy``,

    ȳ_adj = ȳ − θ(x̄ − x̄_all)
    v_adj = v_y + θ²·v_x − 2θ·c_xy       (clipped at 0 against rounding)

The z- or Welch test and the delta-method lift then run on ``ȳ_adj`` and ``v_adj``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._arrays import dense_groups, floats, require_at_least, require_finite


class CupedResult(NamedTuple):
    mean: np.ndarray  # adjusted mean per arm
    var: np.ndarray  # adjusted per-unit variance per arm
    theta: np.ndarray  # θ of each arm's experiment, repeated per arm


def _centred(total_xy, total_x, total_y, n):
    """``(Σxy − Σx·Σy/n)/(n − 1)``."""
    return (total_xy - total_x * total_y / n) / (n - 1.0)


def cuped_adjust(users, sum_y, sum_y2, sum_x, sum_x2, sum_xy, group_ids=None) -> CupedResult:
    """Adjusted means and variances for flat per-arm arrays; ``group_ids`` = experiment."""
    names = ("users", "sum_y", "sum_y2", "sum_x", "sum_x2", "sum_xy")
    n, sy, syy, sx, sxx, sxy = arrays = [
        floats(name, value).ravel()
        for name, value in zip(names, (users, sum_y, sum_y2, sum_x, sum_x2, sum_xy), strict=True)
    ]
    for name, array in zip(names, arrays, strict=True):
        if array.shape != n.shape:
            raise ValueError(f"{name}: must have one value per arm")
        require_finite(name, array)
    require_at_least("users", n, 2)
    groups, count = dense_groups("group_ids", group_ids, n.size)

    def pooled(values):
        return np.bincount(groups, values, minlength=count)

    n_all, sx_all, sy_all = pooled(n), pooled(sx), pooled(sy)
    var_x_all = _centred(pooled(sxx), sx_all, sx_all, n_all)
    cov_all = _centred(pooled(sxy), sx_all, sy_all, n_all)
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = np.where(var_x_all > 0, cov_all / var_x_all, 0.0)[groups]
    mean_x_all = (sx_all / n_all)[groups]

    v_y = _centred(syy, sy, sy, n)
    v_x = _centred(sxx, sx, sx, n)
    c_xy = _centred(sxy, sx, sy, n)
    mean = sy / n - theta * (sx / n - mean_x_all)
    var = np.maximum(v_y + theta * theta * v_x - 2.0 * theta * c_xy, 0.0)
    return CupedResult(mean, var, theta)
