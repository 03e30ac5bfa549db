"""Statistics over the whole programme rather than one experiment (docs/insights.md).

Pure numpy/scipy, like the rest of the engine: the insights in ``programme/insights`` turn the
programme's history into arrays and call these.

- :func:`lord_plus_plus` — online false-discovery-rate control over the stream of decisions:
  each decision gets its significance level from the ones before it.
- :func:`shrink_lifts` — empirical-Bayes (normal–normal) shrinkage of measured lifts, so that
  summed impact is not inflated by the winner's curse.
- :func:`win_rates_by_band`, :func:`spearman`, :func:`calibrated_confidence` — how far the
  team's ICE scores predicted what its experiments then did.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

# --- online false-discovery control -----------------------------------------------------

# Normalising constant of the default γ sequence below (Javanmard & Montanari 2018, §3.1):
# Σ_{j≥1} γ_j = 1 with this value.
GAMMA_CONSTANT = 0.07720838


def lord_gamma(count: int) -> np.ndarray:
    """The default LORD spending sequence γ_1 … γ_count.

        γ_j = C · log(max(j, 2)) / (j · exp(√log j)),   C = 0.0772

    (Javanmard & Montanari, "Online rules for control of false discovery rate and false
    discovery exceedance", Ann. Statist. 46(2), 2018; used by Ramdas et al. 2017). Non-negative,
    non-increasing from j = 2, and summing to 1 over all j.
    """
    j = np.arange(1, count + 1, dtype=float)
    return GAMMA_CONSTANT * np.log(np.maximum(j, 2)) / (j * np.exp(np.sqrt(np.log(j))))


@dataclass(frozen=True)
class LordResult:
    levels: np.ndarray  # α_t, the level decision t was tested at
    discoveries: np.ndarray  # bool: p_t ≤ α_t


def lord_plus_plus(
    p_values, *, alpha: float = 0.05, w0: float | None = None, gamma=None
) -> LordResult:
    """LORD++ over a stream of p-values in the order the decisions were taken.

        α_t = γ_t·W0 + (α − W0)·γ_{t−τ_1} + α·Σ_{j≥2, τ_j<t} γ_{t−τ_j}

    where τ_j is the time of the j-th discovery (p_τ ≤ α_τ) and W0 ≤ α the initial wealth
    (default α/2). Controls the false discovery rate at ``alpha`` for independent p-values at
    every time t (Ramdas, Yang, Wainwright & Jordan, "Online control of the false discovery
    rate with decaying memory", NeurIPS 2017, eq. (3); Javanmard & Montanari 2018). Each level
    depends only on earlier decisions, so it can be set when the decision is taken.

    ``gamma`` (default :func:`lord_gamma`) must be non-negative and sum to at most 1; a missing
    p-value (NaN) is never a discovery but still uses up its time step.
    """
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise ValueError("p_values must be one-dimensional, in decision order.")
    if not 0 < alpha < 1:
        raise ValueError("alpha must lie strictly between 0 and 1.")
    w0 = alpha / 2 if w0 is None else w0
    if not 0 <= w0 <= alpha:
        raise ValueError("The initial wealth W0 must lie between 0 and alpha.")
    g = lord_gamma(len(p)) if gamma is None else np.asarray(gamma, dtype=float)
    if len(g) < len(p) or (g < 0).any() or g.sum() > 1 + 1e-9:
        raise ValueError("gamma needs one non-negative term per decision, summing to at most 1.")

    levels = np.zeros(len(p))
    discoveries = np.zeros(len(p), dtype=bool)
    times: list[int] = []  # 1-based times of the discoveries so far
    for t in range(1, len(p) + 1):
        level = g[t - 1] * w0
        if times:
            level += (alpha - w0) * g[t - times[0] - 1]
            level += alpha * sum(g[t - tau - 1] for tau in times[1:])
        levels[t - 1] = level
        if not math.isnan(p[t - 1]) and p[t - 1] <= level:
            discoveries[t - 1] = True
            times.append(t)
    return LordResult(levels=levels, discoveries=discoveries)


def lord_next_level(p_values, *, alpha: float = 0.05, w0: float | None = None) -> float:
    """α_{T+1}: the LORD++ level the next decision is tested at, after the T decisions whose
    p-values are ``p_values`` (in decision order). It depends only on the times of the
    discoveries so far, so it is known before the next decision is taken."""
    p = np.append(np.asarray(p_values, dtype=float).ravel(), np.nan)
    return float(lord_plus_plus(p, alpha=alpha, w0=w0).levels[-1])


# --- empirical-Bayes shrinkage ---------------------------------------------------------


@dataclass(frozen=True)
class Shrinkage:
    prior_mean: float  # μ̂
    prior_sd: float  # τ̂
    shrunk: np.ndarray  # posterior mean of each true lift
    posterior_sd: np.ndarray
    weight: np.ndarray  # B_i, the share of the measured deviation from μ̂ that is kept
    prob_no_gain: np.ndarray  # P(true lift ≤ 0 | measured), under the fitted prior


def shrink_lifts(lifts, standard_errors) -> Shrinkage:
    """Normal–normal empirical Bayes with the prior fitted by the method of moments.

    Each measured lift y_i ~ N(θ_i, s_i²) around its true lift θ_i ~ N(μ, τ²):

        μ̂  = mean(y)
        τ̂² = max(0, var(y) − mean(s²))          (var with n − 1)
        B_i = τ̂² / (τ̂² + s_i²)
        θ̂_i = μ̂ + B_i·(y_i − μ̂),   sd_i = √(B_i)·s_i
        P(θ_i ≤ 0) = Φ(−θ̂_i / sd_i)

    (Efron & Morris 1975; the method-of-moments τ̂² as in DerSimonian & Laird 1986 with equal
    weights). With fewer than three lifts there is no spread to estimate: nothing is shrunk.
    Lifts are improvements (positive = better), so a lower-is-better metric's sign is flipped
    before calling this.
    """
    y = np.asarray(lifts, dtype=float)
    s = np.asarray(standard_errors, dtype=float)
    if y.shape != s.shape or y.ndim != 1:
        raise ValueError("lifts and standard_errors must be 1-D arrays of the same length.")
    if not (np.isfinite(y).all() and np.isfinite(s).all() and (s > 0).all()):
        raise ValueError("Every lift must be finite and every standard error positive.")
    if len(y) < 3:
        weight = np.ones(len(y))
        mean = float(y.mean()) if len(y) else 0.0
        tau2 = math.inf
        posterior_sd = s.copy()
        shrunk = y.copy()
    else:
        mean = float(y.mean())
        tau2 = max(0.0, float(y.var(ddof=1)) - float((s**2).mean()))
        weight = tau2 / (tau2 + s**2)
        shrunk = mean + weight * (y - mean)
        posterior_sd = np.sqrt(weight) * s
    with np.errstate(divide="ignore", invalid="ignore"):
        prob = np.where(
            posterior_sd > 0,
            stats.norm.cdf(-shrunk / np.where(posterior_sd > 0, posterior_sd, 1)),
            (shrunk <= 0).astype(float),
        )
    return Shrinkage(
        prior_mean=mean,
        prior_sd=math.sqrt(tau2),
        shrunk=shrunk,
        posterior_sd=posterior_sd,
        weight=weight,
        prob_no_gain=prob,
    )


def standard_error_from_interval(low, high, alpha) -> np.ndarray:
    """se = (high − low) / (2·z(1 − α/2)): the standard error behind a normal interval."""
    low, high, alpha = (np.asarray(x, dtype=float) for x in (low, high, alpha))
    return (high - low) / (2 * stats.norm.ppf(1 - alpha / 2))


# --- score calibration -----------------------------------------------------------------


def band_of(scores, edges) -> np.ndarray:
    """The band index of each score: band k holds edges[k] ≤ score < edges[k+1]; the last band
    also holds its upper edge."""
    scores = np.asarray(scores, dtype=float)
    edges = np.asarray(edges, dtype=float)
    return np.clip(np.searchsorted(edges, scores, side="right") - 1, 0, len(edges) - 2)


def win_rates_by_band(scores, won, edges) -> dict[str, np.ndarray]:
    """Per band: experiments, wins and win rate (NaN for an empty band)."""
    won = np.asarray(won, dtype=bool)
    bands = band_of(scores, edges)
    count = np.bincount(bands, minlength=len(edges) - 1)
    wins = np.bincount(bands, weights=won, minlength=len(edges) - 1).astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(count > 0, wins / np.maximum(count, 1), np.nan)
    return {"experiments": count, "wins": wins, "win_rate": rate}


def spearman(x, y) -> float | None:
    """Spearman's rank correlation (ties get average ranks); None below three pairs or when
    one side does not vary."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(stats.spearmanr(x, y).statistic)


def shrunk_rate(wins, count, prior_rate, prior_strength: float) -> np.ndarray:
    """Beta–binomial estimate of a win rate: (wins + k·p₀) / (n + k), with k pseudo-experiments
    at the prior rate p₀. A band with little history stays near p₀."""
    wins, count = np.asarray(wins, dtype=float), np.asarray(count, dtype=float)
    return (wins + prior_strength * np.asarray(prior_rate, dtype=float)) / (count + prior_strength)


def calibrated_confidence(rate) -> np.ndarray:
    """The ICE confidence (1–10) a win probability deserves: 10 × rate, kept within 1–10
    (RICE reads confidence / 10 as a probability; this puts the observed one back)."""
    return np.clip(10 * np.asarray(rate, dtype=float), 1, 10)
