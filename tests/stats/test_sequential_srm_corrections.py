"""mSPRT, SRM and multiple-comparison adjustments against hand formulas, scipy, statsmodels."""

import gc
import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from analytics.stats import (
    adjust_p_values,
    benjamini_hochberg,
    holm,
    msprt_p_value,
    running_min,
    srm_test,
)


def test_msprt_matches_the_formula_written_out():
    d, se, tau = 0.02, 0.013985706989637671, 0.01
    v = se * se
    lam = math.sqrt(v / (v + tau**2)) * math.exp(d * d * tau**2 / (2 * v * (v + tau**2)))
    assert msprt_p_value(d, se, tau) == pytest.approx(min(1.0, 1.0 / lam), rel=1e-12)


def test_msprt_survives_overwhelming_evidence_and_is_undefined_without_variance():
    p = msprt_p_value([5.0, 0.0, 0.1], [1e-4, 0.1, 0.0], 0.5)
    assert p[0] == 0.0  # Λ overflows a float; the log-space form does not
    assert p[1] == 1.0  # no difference: Λ < 1, p capped at 1
    assert np.isnan(p[2])


def test_running_min_keeps_a_series_of_looks_non_increasing():
    looks = np.array([[0.8, 0.3, 0.5, np.nan, 0.2, 0.4], [1.0, 1.0, 0.9, 0.95, 0.99, 0.1]])
    np.testing.assert_array_equal(
        running_min(looks), [[0.8, 0.3, 0.3, 0.3, 0.2, 0.2], [1.0, 1.0, 0.9, 0.9, 0.9, 0.1]]
    )


def test_msprt_refuses_a_non_positive_tau():
    with pytest.raises(ValueError, match="tau: must be positive"):
        msprt_p_value(0.1, 0.1, 0.0)


def test_srm_matches_scipy_chisquare_per_group():
    rng = np.random.default_rng(7)
    users, weights, groups, expected = [], [], [], []
    for group in range(200):
        arms = int(rng.integers(2, 6))
        w = rng.dirichlet(np.ones(arms) * 5)
        n = rng.multinomial(
            int(rng.integers(100, 500_000)),
            w * rng.uniform(0.97, 1.03, arms) / (w * rng.uniform(0.97, 1.03, arms)).sum(),
        )
        users += list(n)
        weights += list(w)
        groups += [group * 3] * arms  # sparse ids
        expected.append(stats.chisquare(n, n.sum() * w).pvalue)
    result = srm_test(users, weights, groups)
    np.testing.assert_allclose(result.p_value, expected, rtol=1e-9, atol=1e-300)
    np.testing.assert_array_equal(result.detected, np.array(expected) < 0.001)


def test_srm_orders_groups_by_id_even_when_arms_are_shuffled():
    users = [500, 520, 1000, 1300, 480]
    weights = [0.5, 0.5, 0.5, 0.5, 0.5]
    groups = [7, 7, 2, 2, 7]  # group 7 has three arms; weights normalised within group
    result = srm_test(users, weights, groups)
    assert result.p_value[0] == pytest.approx(stats.chisquare([1000, 1300]).pvalue, rel=1e-12)
    assert result.p_value[1] == pytest.approx(stats.chisquare([500, 520, 480]).pvalue, rel=1e-12)
    assert result.detected.tolist() == [True, False]


def test_srm_flags_a_hand_worked_example():
    # 50/50 plan, 10,000 vs 9,600 users: χ² = 400²/(2·9,800)·2 = 8.163..., p = 0.00427
    result = srm_test([10_000, 9_600], [0.5, 0.5])
    assert round(float(result.p_value[0]), 5) == 0.00427
    assert not result.detected[0]
    assert srm_test([10_000, 9_300], [0.5, 0.5]).detected[0]


def test_srm_is_undefined_for_an_empty_experiment():
    result = srm_test([0, 0], [0.5, 0.5])
    assert np.isnan(result.p_value[0]) and not result.detected[0]


@pytest.mark.parametrize(("ours", "theirs"), [("holm", "holm"), ("benjamini-hochberg", "fdr_bh")])
def test_corrections_match_statsmodels_multipletests_within_each_group(ours, theirs, monkeypatch):
    # statsmodels' Holm runs a full gc.collect() on every call (about 60 ms here, 300 calls);
    # collection has no bearing on the numbers it returns.
    monkeypatch.setattr(gc, "collect", lambda *args: 0)
    rng = np.random.default_rng(8)
    sizes = rng.integers(1, 12, 300)
    groups = np.repeat(np.arange(300) * 5, sizes)
    p = rng.uniform(0, 1, groups.size) ** rng.uniform(1, 6, groups.size)
    p[rng.random(p.size) < 0.05] = 0.04  # ties
    shuffle = rng.permutation(p.size)  # groups need not be contiguous
    result = adjust_p_values(p[shuffle], ours, groups[shuffle])
    for group in np.unique(groups):
        members = groups[shuffle] == group
        expected = multipletests(p[shuffle][members], method=theirs)[1]
        np.testing.assert_allclose(result[members], expected, rtol=1e-12, atol=0)


def test_corrections_reproduce_a_hand_worked_family():
    p = [0.01, 0.04, 0.03, 0.005]
    # Holm: sorted 0.005·4, 0.01·3, 0.03·2, 0.04·1 = .02, .03, .06, .04 → running max
    np.testing.assert_allclose(holm(p), [0.03, 0.06, 0.06, 0.02], rtol=1e-12)
    # BH: 0.005·4/1, 0.01·4/2, 0.03·4/3, 0.04·4/4 = .02, .02, .04, .04 → running min from top
    np.testing.assert_allclose(benjamini_hochberg(p), [0.02, 0.04, 0.04, 0.02], rtol=1e-12)


def test_undefined_p_values_stay_undefined_and_do_not_count():
    result = holm([0.01, np.nan, 0.02], [1, 1, 1])
    assert np.isnan(result[1])
    np.testing.assert_allclose(result[[0, 2]], multipletests([0.01, 0.02], method="holm")[1])


def test_corrections_refuse_unknown_methods_and_bad_p_values():
    with pytest.raises(ValueError, match="method: must be one of"):
        adjust_p_values([0.1], "bonferroni")
    with pytest.raises(ValueError, match=r"p_values: must lie in \[0, 1\]"):
        adjust_p_values([1.2], "holm")


def test_chi_square_tail_closed_forms_match_scipy():
    from analytics.stats.srm import chi2_sf

    for df in range(1, 46):  # 41+ go through scipy's general routine
        statistic = np.concatenate([np.linspace(0, 6 * df + 60, 300), [1e3, 1e5, 1e20]])
        ours = chi2_sf(statistic, np.full(statistic.size, df))
        np.testing.assert_allclose(ours, stats.chi2.sf(statistic, df), rtol=1e-11, atol=1e-300)
    mixed = chi2_sf(np.array([3.0, 3.0, 3.0, 3.0]), np.array([1, 2, 0, 50]))
    np.testing.assert_allclose(mixed[[0, 1, 3]], stats.chi2.sf(3.0, [1, 2, 50]), rtol=1e-11)
    assert np.isnan(mixed[2])


def test_the_chance_of_a_false_positive_among_m_tests():
    from analytics.stats import chance_of_a_false_positive

    assert chance_of_a_false_positive(0.05, 1) == pytest.approx(0.05)
    assert chance_of_a_false_positive(0.05, 10) == pytest.approx(1 - 0.95**10)  # ≈ 0.401
    assert chance_of_a_false_positive(0.05, 0) == 0.0
    with pytest.raises(ValueError, match="alpha"):
        chance_of_a_false_positive(1.5, 3)
    with pytest.raises(ValueError, match="comparisons"):
        chance_of_a_false_positive(0.05, -1)
