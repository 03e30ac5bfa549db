"""Always-valid (sequential) p-values: mSPRT with a normal mixture (docs/statistics.md).

With ``V = se²`` of the estimate ``d`` and a N(0, τ²) mixture over the true difference,

    Λ = sqrt(V/(V + τ²)) · exp(d²τ² / (2V(V + τ²)))
    p = min(1, 1/Λ)

(Johari, Pekelis & Walsh, "Always valid inference", 2017). ``ln Λ`` is computed in log space
so large evidence cannot overflow. Over a series of looks the reported p-value is the running
minimum, which is what makes peeking safe: see :func:`running_min`.
"""

from __future__ import annotations

import numpy as np

from ._arrays import floats, require_finite, require_non_negative, require_positive


def msprt_p_value(diff, se, tau) -> np.ndarray:
    """Always-valid p-value of one look; NaN where ``se == 0`` (no evidence to weigh)."""
    d = floats("diff", diff)
    s = floats("se", se)
    tau = floats("tau", tau)
    require_finite("diff", d)
    require_finite("se", s)
    require_non_negative("se", s)
    require_finite("tau", tau)
    require_positive("tau", tau)
    v = s * s
    tau2 = tau * tau
    with np.errstate(divide="ignore", invalid="ignore"):
        log_lambda = 0.5 * np.log(v / (v + tau2)) + d * d * tau2 / (2.0 * v * (v + tau2))
        p_value = np.exp(np.minimum(0.0, -log_lambda))
    return np.where(v > 0, p_value, np.nan)


def running_min(p_values, axis: int = -1) -> np.ndarray:
    """Make a series of looks non-increasing: ``p'_k = min(p_1, …, p_k)`` along ``axis``.

    NaN looks (undefined) are skipped: they neither lower nor reset the running minimum.
    Stack looks on the last axis, e.g. shape ``(comparisons, looks)``. To extend a stored
    series by one look, ``np.fmin(previous, current)`` is the same thing.
    """
    p = floats("p_values", p_values)
    return np.fmin.accumulate(p, axis=axis)
