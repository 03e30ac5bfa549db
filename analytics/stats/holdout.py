"""A programme holdout: what everything shipped into a segment did, measured against the users
kept away from it, and what the ledger expected it to do over the same days (docs/portfolio.md).

Pure numpy/scipy, like the rest of the engine. The holdout's sums are cumulative over the days
compared (every day's users and conversions, or users, Σvalue and Σvalue², added up per group).

- :func:`holdout_lift` — the exposed group against the holdout: the difference of the means
  and the relative lift, each with its normal interval (the lift by the delta method).
- :func:`expected_cumulative_lift` — the ledger's estimate for the same days: each day the
  compounded lift of the changes live that day, averaged with the day's users as weights.
- :func:`holdout_correction` — measured ÷ estimated, and the measured interval over the same
  estimate.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class HoldoutLift:
    mean_holdout: float
    mean_exposed: float
    diff: float  # mean_exposed − mean_holdout
    diff_ci_low: float
    diff_ci_high: float
    lift: float | None  # mean_exposed / mean_holdout − 1; None when the holdout's mean is 0
    lift_ci_low: float | None
    lift_ci_high: float | None
    p_value: float | None  # two-sided, of z = diff / se; None when se is 0
    alpha: float


def _arm(users: float, *, conversions=None, total=None, squares=None) -> tuple[float, float]:
    """(mean, per-user variance) of one group: p(1 − p) for conversions, the sample variance
    (Σx² − (Σx)²/n)/(n − 1) for a value per user."""
    if users <= 0:
        raise ValueError("each group needs at least one user")
    if conversions is not None:
        if not 0 <= conversions <= users:
            raise ValueError("conversions must be between 0 and the users")
        p = conversions / users
        return p, p * (1 - p)
    if total is None or squares is None:
        raise ValueError("give conversions, or the sum and the sum of squares")
    if users < 2:
        raise ValueError("a value per user needs at least two users per group")
    mean = total / users
    variance = max((squares - total * total / users) / (users - 1), 0.0)
    return mean, variance


def holdout_lift(
    *,
    users_holdout: float,
    users_exposed: float,
    conversions_holdout: float | None = None,
    conversions_exposed: float | None = None,
    sum_holdout: float | None = None,
    sum_exposed: float | None = None,
    sum_squares_holdout: float | None = None,
    sum_squares_exposed: float | None = None,
    alpha: float = 0.05,
) -> HoldoutLift:
    """The exposed group (h = holdout, e = exposed) against the holdout::

        d = m_e − m_h,      se_d = √(v_e/n_e + v_h/n_h),            d ± z(1−α/2)·se_d
        lift = m_e/m_h − 1, se_rel = √(v_e/(n_e·m_h²) + m_e²·v_h/(n_h·m_h⁴)),
                                                              lift ± z(1−α/2)·se_rel

    with the per-user variance v = p(1 − p) for conversions and the sample variance for a
    value per user — the engine's Wald difference and delta-method lift (docs/statistics.md).
    Give the conversions of both groups, or their sums and sums of squares.
    """
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    binomial = conversions_holdout is not None or conversions_exposed is not None
    if binomial and (conversions_holdout is None or conversions_exposed is None):
        raise ValueError("give the conversions of both groups")
    m_h, v_h = _arm(
        users_holdout,
        conversions=conversions_holdout,
        total=sum_holdout,
        squares=sum_squares_holdout,
    )
    m_e, v_e = _arm(
        users_exposed,
        conversions=conversions_exposed,
        total=sum_exposed,
        squares=sum_squares_exposed,
    )
    z = float(stats.norm.ppf(1 - alpha / 2))
    diff = m_e - m_h
    se = math.sqrt(v_e / users_exposed + v_h / users_holdout)
    p_value = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else None
    lift = lift_low = lift_high = None
    if m_h != 0:
        lift = m_e / m_h - 1
        se_rel = math.sqrt(v_e / (users_exposed * m_h**2) + m_e**2 * v_h / (users_holdout * m_h**4))
        lift_low, lift_high = lift - z * se_rel, lift + z * se_rel
    return HoldoutLift(
        mean_holdout=m_h,
        mean_exposed=m_e,
        diff=diff,
        diff_ci_low=diff - z * se,
        diff_ci_high=diff + z * se,
        lift=lift,
        lift_ci_low=lift_low,
        lift_ci_high=lift_high,
        p_value=p_value,
        alpha=alpha,
    )


def expected_cumulative_lift(*, ship_days, improvements, days, weights) -> float:
    """The ledger's lift for the days compared: on day d the changes shipped on or before d are
    live and compound, and the days are weighted by their users::

        L_d = ∏_{i: ship_i ≤ d} (1 + l_i) − 1,     estimate = Σ_d w_d·L_d / Σ_d w_d

    ``ship_days`` and ``days`` are comparable values (ordinal day numbers or dates turned into
    numbers), ``improvements`` the lift each change counts in the ledger (positive = better),
    ``weights`` each day's users. 0 when no day has users.
    """
    ship = np.asarray(ship_days, dtype=float).reshape(-1)
    gain = np.asarray(improvements, dtype=float).reshape(-1)
    day = np.asarray(days, dtype=float).reshape(-1)
    weight = np.asarray(weights, dtype=float).reshape(-1)
    if ship.shape != gain.shape or day.shape != weight.shape:
        raise ValueError("ship_days with improvements, and days with weights, must match")
    if np.any(gain <= -1):
        raise ValueError("an improvement cannot take away more than everything (≤ −100 %)")
    if np.any(weight < 0):
        raise ValueError("weights must not be negative")
    if weight.sum() == 0:
        return 0.0
    live = ship[np.newaxis, :] <= day[:, np.newaxis]  # day × change
    daily = np.prod(np.where(live, 1 + gain[np.newaxis, :], 1.0), axis=1) - 1
    return float(np.dot(weight, daily) / weight.sum())


@dataclass(frozen=True)
class HoldoutCorrection:
    ratio: float  # measured ÷ estimated
    ratio_low: float | None
    ratio_high: float | None


def holdout_correction(
    *, measured: float | None, measured_low=None, measured_high=None, estimated: float
) -> HoldoutCorrection | None:
    """measured ÷ estimated, the factor the ledger's realised impact is shown corrected by; the
    measured interval over the same estimate gives the factor's range (the estimate is taken as
    known). None when nothing was measured or the ledger expects no change (estimate 0)."""
    if measured is None or estimated == 0:
        return None
    bounds = [None if b is None else b / estimated for b in (measured_low, measured_high)]
    if None not in bounds:
        bounds = sorted(bounds)
    return HoldoutCorrection(ratio=measured / estimated, ratio_low=bounds[0], ratio_high=bounds[1])
