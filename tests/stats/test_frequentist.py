"""Frequentist comparisons against statsmodels and scipy, computed here in the test."""

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats import proportion as smp

from analytics.stats import compare_means, compare_proportions, mean_var_from_sums, z_test

RTOL = 1e-9


@pytest.fixture
def binomial_arrays():
    rng = np.random.default_rng(3)
    n_c = rng.integers(50, 200_000, 300)
    n_t = rng.integers(50, 200_000, 300)
    rate = rng.uniform(0.005, 0.6, 300)
    x_c = rng.binomial(n_c, rate)
    x_t = rng.binomial(n_t, rate * rng.uniform(0.8, 1.25, 300))
    alpha = rng.choice([0.01, 0.05, 0.1], 300)
    return x_c, n_c, x_t, n_t, alpha


def test_it_matches_statsmodels_wald_test_and_interval(binomial_arrays):
    x_c, n_c, x_t, n_t, alpha = binomial_arrays
    result = compare_proportions(x_c, n_c, x_t, n_t, alpha)
    for i in range(len(x_c)):
        test = smp.test_proportions_2indep(
            x_t[i], n_t[i], x_c[i], n_c[i], method="wald", compare="diff"
        )
        low, high = smp.confint_proportions_2indep(
            x_t[i], n_t[i], x_c[i], n_c[i], method="wald", compare="diff", alpha=alpha[i]
        )
        assert result.statistic[i] == pytest.approx(test.statistic, rel=RTOL)
        assert result.p_value[i] == pytest.approx(test.pvalue, rel=RTOL)
        assert result.diff[i] == pytest.approx(test.diff, rel=RTOL)
        assert result.diff_ci_low[i] == pytest.approx(low, rel=RTOL, abs=1e-15)
        assert result.diff_ci_high[i] == pytest.approx(high, rel=RTOL, abs=1e-15)


def test_it_matches_scipy_welch():
    rng = np.random.default_rng(4)
    size = 300
    n_c = rng.integers(2, 50_000, size)
    n_t = rng.integers(2, 50_000, size)
    mean_c = rng.normal(10, 3, size)
    mean_t = mean_c + rng.normal(0, 0.5, size)
    sd_c = rng.uniform(0.1, 20, size)
    sd_t = sd_c * rng.uniform(0.5, 2, size)
    alpha = rng.choice([0.01, 0.05, 0.1], size)
    # per-arm sums that give exactly these means and sample variances
    sum_c, sum_t = mean_c * n_c, mean_t * n_t
    ss_c = sd_c**2 * (n_c - 1) + sum_c * mean_c
    ss_t = sd_t**2 * (n_t - 1) + sum_t * mean_t
    result = compare_means(n_c, sum_c, ss_c, n_t, sum_t, ss_t, alpha)
    for i in range(size):
        t, p = stats.ttest_ind_from_stats(
            mean_t[i], sd_t[i], n_t[i], mean_c[i], sd_c[i], n_c[i], equal_var=False
        )
        assert result.statistic[i] == pytest.approx(t, rel=1e-8)
        assert result.p_value[i] == pytest.approx(p, rel=1e-8)
    # the CI uses the Welch df and scipy's t quantile; compare with scipy's own interval
    for i in range(0, size, 10):
        v = sd_t[i] ** 2 / n_t[i] + sd_c[i] ** 2 / n_c[i]
        df = v**2 / (
            (sd_t[i] ** 2 / n_t[i]) ** 2 / (n_t[i] - 1)
            + (sd_c[i] ** 2 / n_c[i]) ** 2 / (n_c[i] - 1)
        )
        low, high = stats.t.interval(1 - alpha[i], df, loc=mean_t[i] - mean_c[i], scale=np.sqrt(v))
        assert result.df[i] == pytest.approx(df, rel=RTOL)
        assert result.diff_ci_low[i] == pytest.approx(low, rel=1e-8)
        assert result.diff_ci_high[i] == pytest.approx(high, rel=1e-8)


def test_it_matches_scipy_welch_on_raw_data():
    rng = np.random.default_rng(5)
    control = rng.exponential(3.0, 400)
    treatment = rng.exponential(3.4, 350)
    result = compare_means(
        control.size,
        control.sum(),
        (control**2).sum(),
        treatment.size,
        treatment.sum(),
        (treatment**2).sum(),
    )
    expected = stats.ttest_ind(treatment, control, equal_var=False)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-9)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    low, high = expected.confidence_interval(0.95)
    assert result.diff_ci_low == pytest.approx(low, rel=1e-9)
    assert result.diff_ci_high == pytest.approx(high, rel=1e-9)


def test_it_computes_the_delta_method_lift_by_hand():
    # 100/1000 vs 120/1000: lift 0.2; se_rel = sqrt(v_t/(n_t m_c²) + m_t² v_c/(n_c m_c⁴))
    result = compare_proportions(100, 1000, 120, 1000, 0.05)
    se_rel = np.sqrt(0.12 * 0.88 / (1000 * 0.01) + 0.0144 * 0.09 / (1000 * 0.0001))
    assert result.lift == pytest.approx(0.2, rel=1e-12)
    assert result.lift_ci_low == pytest.approx(0.2 - stats.norm.ppf(0.975) * se_rel, rel=1e-12)
    assert result.lift_ci_high == pytest.approx(0.2 + stats.norm.ppf(0.975) * se_rel, rel=1e-12)


def test_it_reproduces_the_wald_example_worked_by_hand():
    # 100/1000 vs 120/1000: d = 0.02, se = sqrt(.09/1000 + .1056/1000) = 0.0139857,
    # z = 0.02/0.0139857 = 1.4300, two-sided p = 2·(1 − Φ(1.4300)) = 0.1527.
    result = compare_proportions(100, 1000, 120, 1000)
    assert round(float(result.se), 4) == 0.0140
    assert round(float(result.statistic), 4) == 1.4300
    assert round(float(result.p_value), 4) == 0.1527


def test_zero_variance_leaves_the_p_value_and_the_interval_undefined():
    # No conversions (or all converted) in both arms: no variance, so no interval — [0, 0]
    # would claim certainty from no data.
    result = compare_proportions([0, 1000], [1000, 1000], [0, 1000], [1000, 1000])
    assert np.isnan(result.p_value).all()
    assert (result.diff == 0).all()
    assert np.isnan(result.diff_ci_low).all() and np.isnan(result.diff_ci_high).all()
    assert np.isnan(result.lift[0])  # control mean 0
    welch = compare_means(10, 50.0, 250.0, 10, 60.0, 360.0)  # both arms constant
    assert np.isnan(welch.p_value)
    assert np.isnan(welch.diff_ci_low)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([-1], [10], [1], [10]), "conversions_c: must not be negative"),
        (([11], [10], [1], [10]), "conversions: must not exceed users"),
        (([1], [0], [1], [10]), "users_c: must be positive"),
        (([1], [10], [1], [10], 1.5), "alpha: must be between 0 and 1"),
        ((["a"], [10], [1], [10]), "conversions_c: must be numeric"),
    ],
)
def test_it_refuses_bad_arrays_naming_the_argument(args, message):
    with pytest.raises(ValueError, match=message):
        compare_proportions(*args)


def test_it_refuses_bad_mean_inputs():
    with pytest.raises(ValueError, match="users: must be at least 2"):
        mean_var_from_sums([1], [1.0], [1.0])
    with pytest.raises(ValueError, match="var_c: must not be negative"):
        z_test(0.1, -1.0, 10, 0.1, 0.1, 10)
    with pytest.raises(ValueError, match="mean_t: must be finite"):
        z_test(0.1, 0.1, 10, np.nan, 0.1, 10)
