"""Programme holdout maths, checked against answers worked out by hand."""

import math

import pytest
from statsmodels.stats import proportion

from analytics.stats.holdout import expected_cumulative_lift, holdout_correction, holdout_lift

Z = 1.959963984540054  # z(0.975)


def test_conversions_by_hand():
    # Holdout 100 of 1,000 convert (10 %), exposed 990 of 9,000 (11 %).
    # d = 0.11 − 0.10 = 0.01; v_h = 0.1·0.9 = 0.09, v_e = 0.11·0.89 = 0.0979
    # se_d² = 0.0979/9000 + 0.09/1000 = 0.000010877… + 0.00009 = 0.000100877…
    # lift = 0.11/0.10 − 1 = 0.1
    # se_rel² = 0.0979/(9000·0.01) + 0.11²·0.09/(1000·0.1⁴) = 0.0010877… + 0.01089 = 0.0119777…
    result = holdout_lift(
        users_holdout=1000, conversions_holdout=100, users_exposed=9000, conversions_exposed=990
    )
    se_d = math.sqrt(0.0979 / 9000 + 0.09 / 1000)
    se_rel = math.sqrt(0.0979 / 90 + 0.01089)
    assert se_d == pytest.approx(0.0100438, abs=1e-7)
    assert se_rel == pytest.approx(0.1094430, abs=1e-7)
    assert result.mean_holdout == pytest.approx(0.10)
    assert result.mean_exposed == pytest.approx(0.11)
    assert result.diff == pytest.approx(0.01, abs=1e-12)
    assert result.diff_ci_low == pytest.approx(0.01 - Z * se_d, abs=1e-12)
    assert result.diff_ci_high == pytest.approx(0.01 + Z * se_d, abs=1e-12)
    assert result.lift == pytest.approx(0.1, abs=1e-12)
    assert result.lift_ci_low == pytest.approx(0.1 - Z * se_rel, abs=1e-12)
    assert result.lift_ci_high == pytest.approx(0.1 + Z * se_rel, abs=1e-12)
    assert result.lift_ci_low == pytest.approx(-0.1145044, abs=1e-6)
    assert result.lift_ci_high == pytest.approx(0.3145044, abs=1e-6)
    # The p-value is statsmodels' unpooled Wald test of the same two proportions.
    reference = proportion.test_proportions_2indep(
        990, 9000, 100, 1000, method="wald", compare="diff"
    )
    assert result.p_value == pytest.approx(reference.pvalue, abs=1e-9)


def test_value_per_user_by_hand():
    # Holdout values 1, 2, 3, 4: Σ = 10, Σ² = 30, mean 2.5, variance (30 − 100/4)/3 = 5/3.
    # Exposed values 2, 3, 4, 5: Σ = 14, Σ² = 54, mean 3.5, variance (54 − 196/4)/3 = 5/3.
    # d = 1, se_d = √(5/12 + 5/12) = √(5/6); lift = 3.5/2.5 − 1 = 0.4
    # se_rel² = (5/3)/(4·2.5²) + 3.5²·(5/3)/(4·2.5⁴) = 1/15 + 0.130666… = 0.197333…
    result = holdout_lift(
        users_holdout=4,
        sum_holdout=10,
        sum_squares_holdout=30,
        users_exposed=4,
        sum_exposed=14,
        sum_squares_exposed=54,
    )
    se_d = math.sqrt(5 / 6)
    se_rel = math.sqrt(0.1973333333333333)
    assert (result.mean_holdout, result.mean_exposed) == pytest.approx((2.5, 3.5))
    assert result.diff == pytest.approx(1.0)
    assert result.diff_ci_low == pytest.approx(1 - Z * se_d, abs=1e-12)
    assert result.lift == pytest.approx(0.4)
    assert result.lift_ci_low == pytest.approx(0.4 - Z * se_rel, abs=1e-12)
    assert result.lift_ci_high == pytest.approx(0.4 + Z * se_rel, abs=1e-12)


def test_a_holdout_that_never_converts_has_no_relative_lift():
    result = holdout_lift(
        users_holdout=50, conversions_holdout=0, users_exposed=50, conversions_exposed=5
    )
    assert result.lift is None and result.lift_ci_low is None
    assert result.diff == pytest.approx(0.1)


@pytest.mark.parametrize(
    "arguments",
    [
        {
            "users_holdout": 0,
            "conversions_holdout": 0,
            "users_exposed": 5,
            "conversions_exposed": 1,
        },
        {
            "users_holdout": 5,
            "conversions_holdout": 6,
            "users_exposed": 5,
            "conversions_exposed": 1,
        },
        {"users_holdout": 5, "conversions_holdout": 1, "users_exposed": 5},
        {"users_holdout": 5, "users_exposed": 5, "sum_holdout": 1, "sum_exposed": 1},
    ],
)
def test_it_refuses_inputs_no_data_can_give(arguments):
    with pytest.raises(ValueError):
        holdout_lift(**arguments)


def test_the_ledgers_estimate_for_the_same_days_by_hand():
    # Two changes: +10 % live from day 3, +20 % from day 5. Days 1–6, 100 users a day, 200 on
    # day 6. Daily lift: 0, 0, 0.1, 0.1, 1.1·1.2 − 1 = 0.32, 0.32.
    # Weighted: (0 + 0 + 10 + 10 + 32 + 64) / 700 = 116/700.
    estimate = expected_cumulative_lift(
        ship_days=[3, 5],
        improvements=[0.1, 0.2],
        days=[1, 2, 3, 4, 5, 6],
        weights=[100, 100, 100, 100, 100, 200],
    )
    assert estimate == pytest.approx(116 / 700, abs=1e-12)


def test_changes_shipped_before_or_after_the_days_compared():
    # Shipped before the first day: live every day; after the last: never.
    estimate = expected_cumulative_lift(
        ship_days=[0, 10], improvements=[0.05, 0.5], days=[1, 2], weights=[1, 3]
    )
    assert estimate == pytest.approx(0.05)
    assert expected_cumulative_lift(ship_days=[], improvements=[], days=[1], weights=[5]) == 0
    assert expected_cumulative_lift(ship_days=[1], improvements=[0.1], days=[], weights=[]) == 0


def test_the_correction_is_measured_over_estimated():
    # Measured 5 % (−1 % to 11 %) where the ledger expected 10 %: half of it, −0.1 to 1.1.
    correction = holdout_correction(
        measured=0.05, measured_low=-0.01, measured_high=0.11, estimated=0.1
    )
    assert correction.ratio == pytest.approx(0.5)
    assert (correction.ratio_low, correction.ratio_high) == pytest.approx((-0.1, 1.1))
    # An expected fall: the bounds swap so that low stays below high.
    falling = holdout_correction(
        measured=-0.05, measured_low=-0.08, measured_high=-0.02, estimated=-0.1
    )
    assert falling.ratio == pytest.approx(0.5)
    assert (falling.ratio_low, falling.ratio_high) == pytest.approx((0.2, 0.8))
    assert holdout_correction(measured=0.05, estimated=0) is None
    assert holdout_correction(measured=None, estimated=0.1) is None
