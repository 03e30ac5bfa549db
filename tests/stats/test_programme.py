"""Programme statistics, checked against answers worked out by hand."""

import math

import numpy as np
import pytest
from scipy import stats

from analytics.stats.programme import (
    band_of,
    calibrated_confidence,
    lord_gamma,
    lord_plus_plus,
    shrink_lifts,
    shrunk_rate,
    spearman,
    standard_error_from_interval,
    win_rates_by_band,
)


def test_lord_plus_plus_levels_for_three_decisions_by_hand():
    # α = 0.05, W0 = 0.025, γ = (0.5, 0.3, 0.2):
    # t=1: α1 = γ1·W0 = 0.0125; p = 0.001 ≤ α1 → discovery, τ1 = 1
    # t=2: α2 = γ2·W0 + (α − W0)·γ1 = 0.0075 + 0.0125 = 0.02; p = 0.2 → none
    # t=3: α3 = γ3·W0 + (α − W0)·γ2 = 0.005 + 0.0075 = 0.0125; p = 0.01 → discovery
    result = lord_plus_plus([0.001, 0.2, 0.01], alpha=0.05, w0=0.025, gamma=[0.5, 0.3, 0.2])
    assert result.levels == pytest.approx([0.0125, 0.02, 0.0125], abs=1e-12)
    assert result.discoveries.tolist() == [True, False, True]


def test_lord_plus_plus_second_discovery_earns_the_full_alpha():
    # γ = (0.4, 0.3, 0.2, 0.1), α = 0.1, W0 = 0.05; discoveries at t=1 and t=2:
    # α1 = 0.4·0.05 = 0.02 (p 0.01 → yes)
    # α2 = 0.3·0.05 + 0.05·0.4 = 0.035 (p 0.03 → yes)
    # α3 = 0.2·0.05 + 0.05·γ2 + 0.1·γ1 = 0.01 + 0.015 + 0.04 = 0.065 (p 0.5 → no)
    # α4 = 0.1·0.05 + 0.05·γ3 + 0.1·γ2 = 0.005 + 0.01 + 0.03 = 0.045 (p 0.045 → yes, ≤)
    result = lord_plus_plus(
        [0.01, 0.03, 0.5, 0.045], alpha=0.1, w0=0.05, gamma=[0.4, 0.3, 0.2, 0.1]
    )
    assert result.levels == pytest.approx([0.02, 0.035, 0.065, 0.045], abs=1e-12)
    assert result.discoveries.tolist() == [True, True, False, True]


def test_lord_default_gamma_follows_the_published_formula():
    g = lord_gamma(3)
    # γ1 = γ2 use log 2 (j ∨ 2); γ_j = 0.07720838·log(max(j,2)) / (j·exp(√log j))
    assert g[0] == pytest.approx(0.07720838 * math.log(2), rel=1e-9)
    assert g[1] == pytest.approx(0.07720838 * math.log(2) / (2 * math.exp(math.sqrt(math.log(2)))))
    assert g[2] == pytest.approx(0.07720838 * math.log(3) / (3 * math.exp(math.sqrt(math.log(3)))))
    # Default W0 = α/2: the first level is γ1·α/2.
    assert lord_plus_plus([0.5], alpha=0.05).levels[0] == pytest.approx(g[0] * 0.025)


def test_lord_missing_p_value_is_no_discovery_and_bad_input_is_refused():
    result = lord_plus_plus([float("nan"), 0.0], alpha=0.05, w0=0.025, gamma=[0.5, 0.5])
    assert result.discoveries.tolist() == [False, True]
    with pytest.raises(ValueError, match="alpha"):
        lord_plus_plus([0.1], alpha=1.5)
    with pytest.raises(ValueError, match="W0"):
        lord_plus_plus([0.1], alpha=0.05, w0=0.06)
    with pytest.raises(ValueError, match="gamma"):
        lord_plus_plus([0.1, 0.2], gamma=[0.9, 0.9])


def test_shrinkage_of_three_experiments_by_hand():
    # y = (0.10, 0.00, −0.04), s = 0.05 each.
    # μ̂ = 0.02; var(y) = (0.0064 + 0.0004 + 0.0036)/2 = 0.0052; mean s² = 0.0025
    # τ̂² = 0.0027; B = 0.0027/0.0052 = 0.519231
    # θ̂ = 0.02 + B·(0.08, −0.02, −0.06) = (0.061538, 0.009615, −0.011154)
    result = shrink_lifts([0.10, 0.00, -0.04], [0.05, 0.05, 0.05])
    assert result.prior_mean == pytest.approx(0.02)
    assert result.prior_sd == pytest.approx(math.sqrt(0.0027))
    assert result.weight == pytest.approx([0.0027 / 0.0052] * 3)
    assert result.shrunk == pytest.approx([0.0615385, 0.0096154, -0.0111538], abs=1e-6)
    sd = math.sqrt(0.0027 / 0.0052) * 0.05
    assert result.posterior_sd == pytest.approx([sd] * 3)
    assert result.prob_no_gain[0] == pytest.approx(stats.norm.cdf(-0.0615385 / sd), abs=1e-6)


def test_shrinkage_pools_everything_when_the_spread_is_only_noise():
    # var(y) = 0.0001 < mean s² = 0.01 → τ̂² = 0: every lift becomes the mean.
    result = shrink_lifts([0.01, 0.02, 0.03], [0.1, 0.1, 0.1])
    assert result.prior_sd == 0
    assert result.shrunk == pytest.approx([0.02, 0.02, 0.02])


def test_shrinkage_leaves_fewer_than_three_lifts_alone_and_refuses_bad_errors():
    result = shrink_lifts([0.05, -0.01], [0.02, 0.02])
    assert result.shrunk.tolist() == [0.05, -0.01]
    with pytest.raises(ValueError, match="standard error"):
        shrink_lifts([0.1, 0.2, 0.3], [0.1, 0.0, 0.1])


def test_standard_error_from_a_95_percent_interval():
    # (0.02, 0.10) at α = 0.05: se = 0.08 / (2·1.959964) = 0.020408
    assert standard_error_from_interval(0.02, 0.10, 0.05) == pytest.approx(0.0204082, abs=1e-6)


def test_win_rates_by_band_and_band_edges():
    edges = [1, 4, 7, 10]
    assert band_of([1, 3.9, 4, 6.99, 7, 10], edges).tolist() == [0, 0, 1, 1, 2, 2]
    bands = win_rates_by_band([2, 3, 5, 8, 9, 9.5], [False, True, False, True, True, False], edges)
    assert bands["experiments"].tolist() == [2, 1, 3]
    assert bands["wins"].tolist() == [1, 0, 2]
    assert bands["win_rate"] == pytest.approx([0.5, 0.0, 2 / 3])
    empty = win_rates_by_band([2], [True], edges)
    assert np.isnan(empty["win_rate"][1])


def test_spearman_by_hand():
    # ranks x (1,2,3,4), y (2,1,3,4): Σd² = 2 → ρ = 1 − 6·2/(4·15) = 0.8
    assert spearman([3, 5, 7, 9], [0.01, -0.02, 0.05, 0.08]) == pytest.approx(0.8)
    assert spearman([1, 2], [1, 2]) is None
    assert spearman([5, 5, 5], [1, 2, 3]) is None


def test_shrunk_rate_and_calibrated_confidence():
    # 1 win of 2, prior 0.3 with k = 5: (1 + 1.5)/(2 + 5) = 0.357143
    assert shrunk_rate(1, 2, 0.3, 5) == pytest.approx(2.5 / 7)
    assert calibrated_confidence([0.357143, 0.05, 1.2]).tolist() == pytest.approx(
        [3.57143, 1, 10], abs=1e-5
    )
