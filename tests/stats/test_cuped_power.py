"""CUPED against per-user arithmetic; power against statsmodels and a hand example."""

import numpy as np
import pytest
from statsmodels.stats import power as smpower
from statsmodels.stats.proportion import samplesize_proportions_2indep_onetail

from analytics.stats import cuped_adjust, duration_days, sample_size_means, sample_size_proportions


def test_cuped_matches_adjusting_every_user():
    rng = np.random.default_rng(9)
    arms = []
    for lift in (0.0, 0.3, 0.5):
        x = rng.gamma(2.0, 5.0, 3000)
        y = 2.0 + 0.8 * x + lift + rng.normal(0, 3, x.size)
        arms.append((x, y))
    x_all = np.concatenate([x for x, _ in arms])
    y_all = np.concatenate([y for _, y in arms])
    theta = np.cov(x_all, y_all, ddof=1)[0, 1] / np.var(x_all, ddof=1)
    sums = np.array(
        [[x.size, y.sum(), (y * y).sum(), x.sum(), (x * x).sum(), (x * y).sum()] for x, y in arms]
    )
    result = cuped_adjust(*sums.T)
    for i, (x, y) in enumerate(arms):
        adjusted = y - theta * (x - x_all.mean())
        assert result.theta[i] == pytest.approx(theta, rel=1e-9)
        assert result.mean[i] == pytest.approx(adjusted.mean(), rel=1e-9)
        assert result.var[i] == pytest.approx(np.var(adjusted, ddof=1), rel=1e-8)
        assert result.var[i] < np.var(y, ddof=1) / 2  # the point of CUPED


def test_cuped_keeps_experiments_apart_and_ignores_a_constant_covariate():
    one = [[100, 50.0, 50.0, 100.0, 100.0, 50.0], [100, 60.0, 60.0, 100.0, 100.0, 60.0]]
    result = cuped_adjust(*np.array(one).T)
    np.testing.assert_array_equal(result.theta, [0.0, 0.0])  # var(x) = 0 → θ = 0
    np.testing.assert_allclose(result.mean, [0.5, 0.6])
    both = np.array(one + one)
    grouped = cuped_adjust(*both.T, group_ids=[0, 0, 1, 1])
    np.testing.assert_allclose(grouped.mean, [0.5, 0.6, 0.5, 0.6])


def test_sample_size_for_proportions_matches_statsmodels():
    for baseline, mde, alpha, power in [
        (0.1, 0.2, 0.05, 0.8),
        (0.02, 0.05, 0.01, 0.9),
        (0.5, -0.1, 0.1, 0.8),
        (0.3, 0.01, 0.05, 0.95),
    ]:
        p2 = baseline * (1 + mde)
        expected = samplesize_proportions_2indep_onetail(
            p2 - baseline, baseline, power, alpha=alpha, alternative="two-sided"
        )
        assert sample_size_proportions(baseline, mde, alpha, power) == np.ceil(expected)


def test_sample_size_reproduces_the_hand_worked_example():
    # p1 = 0.10, p2 = 0.12, α = 0.05, power 0.8: p̄ = 0.11,
    # (1.95996·sqrt(0.1958) + 0.84162·sqrt(0.1956))² / 0.02² = 3840.8 → 3841 per variant.
    assert sample_size_proportions(0.10, 0.20) == 3841
    # 3841 per variant, two arms, 500 users a day → 7682/500 = 15.4 → 16 days
    assert duration_days(3841, 500) == 16
    assert duration_days(3841, 500, weights=[0.25, 0.75]) == 31  # the small arm governs


def test_sample_size_for_means_matches_statsmodels():
    for sd, delta in [(10.0, 1.0), (3.5, 0.2), (1.0, -0.05)]:
        expected = smpower.normal_sample_size_one_tail(
            abs(delta), 0.8, 0.05 / 2, std_null=sd * np.sqrt(2)
        )
        assert sample_size_means(sd, delta) == np.ceil(expected)
    assert sample_size_means(10.0, 1.0) == 1570  # 2·(1.95996 + 0.84162)²·100 = 1569.8


def test_power_refuses_impossible_designs():
    with pytest.raises(ValueError, match="mde: baseline"):
        sample_size_proportions(0.6, 1.0)
    with pytest.raises(ValueError, match="power: must be between 0 and 1"):
        sample_size_proportions(0.1, 0.1, power=1.0)
    with pytest.raises(ValueError, match="daily_traffic: must be positive"):
        duration_days(100, 0)
