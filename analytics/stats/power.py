"""Sample size per variant and duration (docs/statistics.md). Two-sided tests, equal allocation.

Binomial, baseline ``p1`` and relative MDE (``p2 = p1·(1 + MDE)``, ``p̄ = (p1 + p2)/2``):

    n = ⌈(z(1−α/2)·sqrt(2·p̄(1−p̄)) + z(power)·sqrt(p1(1−p1) + p2(1−p2)))² / (p2 − p1)²⌉

(statsmodels ``samplesize_proportions_2indep_onetail`` before rounding). Mean metric with
per-unit standard deviation σ and absolute MDE δ:

    n = ⌈2·(z(1−α/2) + z(power))²·σ²/δ²⌉

Duration = ⌈total sample / daily traffic⌉ days, where the total is what the smallest arm needs:
``n / min(weights)`` users (``n·k`` for k equal arms).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ._arrays import floats, require_finite, require_open_unit, require_positive


def _z(alpha, power):
    alpha = floats("alpha", alpha)
    power = floats("power", power)
    require_open_unit("alpha", alpha)
    require_open_unit("power", power)
    return -special.ndtri(alpha / 2.0), special.ndtri(power)


def _ceil(values) -> np.ndarray:
    # A hair below an integer from rounding (3841.0000000000005) must not cost a whole user.
    return np.ceil(values * (1.0 - 1e-12)).astype(np.int64)


def sample_size_proportions(baseline, mde, alpha=0.05, power=0.8) -> np.ndarray:
    """Users per variant to detect a relative change ``mde`` of a conversion rate."""
    p1 = floats("baseline", baseline)
    mde = floats("mde", mde)
    require_open_unit("baseline", p1)
    require_finite("mde", mde)
    if not (mde != 0).all():
        raise ValueError("mde: must not be 0")
    p2 = p1 * (1.0 + mde)
    if not ((p2 > 0) & (p2 < 1)).all():
        raise ValueError("mde: baseline·(1 + mde) must lie between 0 and 1")
    z_alpha, z_power = _z(alpha, power)
    p_bar = 0.5 * (p1 + p2)
    root = z_alpha * np.sqrt(2.0 * p_bar * (1.0 - p_bar)) + z_power * np.sqrt(
        p1 * (1.0 - p1) + p2 * (1.0 - p2)
    )
    return _ceil(root * root / ((p2 - p1) ** 2))


def sample_size_means(sd, mde, alpha=0.05, power=0.8) -> np.ndarray:
    """Users per variant to detect an absolute change ``mde`` of a mean with per-unit ``sd``."""
    sd = floats("sd", sd)
    delta = floats("mde", mde)
    require_finite("sd", sd)
    require_positive("sd", sd)
    require_finite("mde", delta)
    if not (delta != 0).all():
        raise ValueError("mde: must not be 0")
    z_alpha, z_power = _z(alpha, power)
    return _ceil(2.0 * (z_alpha + z_power) ** 2 * sd * sd / (delta * delta))


def duration_days(users_per_variant, daily_traffic, weights=(0.5, 0.5)) -> np.ndarray:
    """Whole days until every arm has ``users_per_variant`` at the planned weights."""
    n = floats("users_per_variant", users_per_variant)
    traffic = floats("daily_traffic", daily_traffic)
    w = floats("weights", weights)
    require_positive("users_per_variant", n)
    require_finite("daily_traffic", traffic)
    require_positive("daily_traffic", traffic)
    require_positive("weights", w)
    total = n / w.min()
    return _ceil(total / traffic)
