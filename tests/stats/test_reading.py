"""The one-sentence reading of a comparison (analytics/stats/reading.py)."""

from analytics.stats.reading import result_reading


def reading(**overrides):
    values = {
        "variant": "B",
        "metric": "Sign-up conversion",
        "lift": 0.086,
        "lift_ci_low": 0.058,
        "lift_ci_high": 0.114,
        "significant": True,
        "higher_is_better": True,
        "method": "frequentist",
    }
    return result_reading(**{**values, **overrides})


def test_it_says_a_significant_rise_is_an_improvement():
    assert reading() == (
        "B raises sign-up conversion by 8.6 % (+5.8 % to +11.4 %); significant, an improvement."
    )


def test_a_fall_of_a_lower_is_better_metric_is_an_improvement():
    text = reading(
        metric="Unsubscribe rate",
        lift=-0.2,
        lift_ci_low=-0.3,
        lift_ci_high=-0.1,
        higher_is_better=False,
    )
    assert text == (
        "B lowers unsubscribe rate by 20.0 % (−30.0 % to −10.0 %); significant, an improvement."
    )


def test_a_significant_rise_of_a_lower_is_better_metric_is_a_deterioration():
    assert reading(higher_is_better=False).endswith("significant, a deterioration.")


def test_it_says_when_nothing_is_significant_per_method():
    flat = {"significant": False, "lift_ci_low": -0.02, "lift_ci_high": 0.19}
    assert reading(**flat).endswith("; not significant.")
    assert reading(**flat, method="sequential").endswith(
        "; not significant yet (always-valid test, safe to keep watching)."
    )


def test_it_says_which_decides_when_the_test_and_the_lifts_interval_disagree():
    # The difference's test significant, the lift's interval (delta method) reaching past zero.
    assert reading(
        metric="Revenue per user", lift=0.066, lift_ci_low=-0.002, lift_ci_high=0.134
    ) == (
        "B raises revenue per user by 6.6 % (−0.2 % to +13.4 %); significant on the difference, "
        "an improvement (the lift's interval also counts the control's own uncertainty, so it "
        "reaches past zero)."
    )
    # A sequential test short of its always-valid level, its fixed-horizon interval clear of zero.
    clear = {"significant": False, "lift_ci_low": 0.046, "lift_ci_high": 0.24}
    assert reading(**clear, method="sequential").endswith(
        "; not significant yet: the interval is a fixed-horizon one, and the always-valid test, "
        "safe to keep watching, decides."
    )
    assert reading(**clear).endswith(
        "; not significant: the test is of the difference, and the lift's interval does not decide."
    )


def test_bayesian_readings_give_the_chance_to_beat_control():
    assert reading(method="bayesian", chance_to_beat_control=0.991).endswith(
        "; 99 % chance to beat control, an improvement."
    )
    assert reading(method="bayesian", chance_to_beat_control=0.7, significant=False).endswith(
        "; 70 % chance to beat control, not decisive yet."
    )


def test_an_undefined_lift_is_said_plainly():
    assert reading(lift=None) == (
        "B: no lift on sign-up conversion can be computed (the control's value is zero)."
    )


def test_a_zero_lift_is_unchanged_and_never_significant():
    assert reading(lift=0.0, lift_ci_low=-0.01, lift_ci_high=0.01).startswith(
        "B leaves sign-up conversion unchanged (−1.0 % to +1.0 %); not significant."
    )


def test_with_no_conversions_in_either_arm_it_claims_nothing():
    text = reading(
        lift=None,
        lift_ci_low=None,
        lift_ci_high=None,
        significant=False,
        control_mean=0.0,
        treatment_mean=0.0,
    )
    assert text == "B: no conversions yet on sign-up conversion, in either arm; nothing to compare."
    # One arm converting is a comparison again (here: no lift, the control being at zero).
    assert reading(lift=None, significant=False, control_mean=0.0, treatment_mean=0.01) == (
        "B: no lift on sign-up conversion can be computed (the control's value is zero)."
    )
