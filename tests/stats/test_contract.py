"""The JSON contract of analytics.stats.analyse: shape, numbers, nulls and every bad input."""

import copy
import json

import numpy as np
import pytest
from scipy import stats

from analytics.stats import AnalysisInputError, analyse, analyse_many, compare_proportions

BINOMIAL = {
    "metric_type": "binomial",
    "higher_is_better": True,
    "alpha": 0.05,
    "correction": "none",
    "weights": [0.5, 0.5],
    "sequential_tau": 0.01,
    "variants": [
        {"name": "control", "users": 1000, "conversions": 100},
        {"name": "B", "users": 1000, "conversions": 120},
    ],
}

MEAN = {
    "metric_type": "mean",
    "higher_is_better": True,
    "variants": [
        {"name": "control", "users": 500, "sum": 5000.0, "sum_squares": 250000.0},
        {"name": "B", "users": 480, "sum": 5100.0, "sum_squares": 260000.0},
        {"name": "C", "users": 510, "sum": 5000.0, "sum_squares": 240000.0},
    ],
}

TREATMENT_KEYS = [
    "name",
    "users",
    "mean",
    "diff",
    "diff_ci",
    "lift",
    "lift_ci",
    "p_value",
    "p_value_adjusted",
    "sequential_p_value",
    "chance_to_beat_control",
    "expected_loss",
    "significant",
]


def request(base=BINOMIAL, **changes):
    result = copy.deepcopy(base)
    result.update(changes)
    return result


def test_it_answers_the_example_request():
    response = analyse(BINOMIAL)
    assert list(response) == ["srm_p_value", "srm_detected", "variants"]
    control, treatment = response["variants"]
    assert control == {"name": "control", "users": 1000, "mean": 0.1}
    assert list(treatment) == TREATMENT_KEYS
    assert treatment["diff"] == pytest.approx(0.02)
    assert treatment["lift"] == pytest.approx(0.2)
    assert round(treatment["p_value"], 4) == 0.1527
    assert treatment["p_value_adjusted"] == treatment["p_value"]
    assert 0 < treatment["sequential_p_value"] <= 1
    assert treatment["chance_to_beat_control"] > 0.9
    assert treatment["significant"] is False
    assert response["srm_p_value"] == 1.0 and response["srm_detected"] is False
    json.dumps(response, allow_nan=False)


def test_mean_metrics_use_welch_and_the_chosen_correction():
    response = analyse(request(MEAN, correction="holm", alpha=0.1))
    b, c = response["variants"][1:]
    mean_c, sd_c = 10.0, np.sqrt((250000 - 5000**2 / 500) / 499)
    sd_b = np.sqrt((260000 - 5100**2 / 480) / 479)
    expected = stats.ttest_ind_from_stats(5100 / 480, sd_b, 480, mean_c, sd_c, 500, equal_var=False)
    assert b["p_value"] == pytest.approx(expected.pvalue, rel=1e-9)
    low, high = sorted([b["p_value"], c["p_value"]])
    assert sorted([b["p_value_adjusted"], c["p_value_adjusted"]]) == pytest.approx(
        [min(1, 2 * low), min(1, max(2 * low, high))]
    )
    assert b["sequential_p_value"] is None  # no sequential_tau
    assert b["significant"] == (b["p_value_adjusted"] < 0.1)


def test_lower_is_better_flips_the_chance_and_the_loss_but_not_the_test():
    higher = analyse(BINOMIAL)["variants"][1]
    lower = analyse(request(higher_is_better=False))["variants"][1]
    for key in ("diff", "diff_ci", "lift", "lift_ci", "p_value", "significant"):
        assert lower[key] == higher[key]
    assert lower["chance_to_beat_control"] == pytest.approx(1 - higher["chance_to_beat_control"])
    assert lower["expected_loss"] > higher["expected_loss"]


def test_cuped_reports_adjusted_numbers():
    rng = np.random.default_rng(2)
    variants = []
    for name, lift in (("control", 0.0), ("B", 0.4)):
        x = rng.gamma(2.0, 5.0, 2000)
        y = 1.0 + 0.9 * x + lift + rng.normal(0, 2, x.size)
        variants.append(
            {
                "name": name,
                "users": x.size,
                "sum": y.sum(),
                "sum_squares": (y * y).sum(),
                "covariate_sum": x.sum(),
                "covariate_sum_squares": (x * x).sum(),
                "cross_sum": (x * y).sum(),
            }
        )
    plain = copy.deepcopy(variants)
    for v in plain:
        for key in ("covariate_sum", "covariate_sum_squares", "cross_sum"):
            del v[key]
    adjusted = analyse(request(MEAN, variants=variants))["variants"][1]
    unadjusted = analyse(request(MEAN, variants=plain))["variants"][1]
    width = lambda v: v["diff_ci"][1] - v["diff_ci"][0]  # noqa: E731
    assert width(adjusted) < width(unadjusted) / 2
    assert adjusted["mean"] != unadjusted["mean"]


def test_cuped_binomial_uses_conversions_as_both_sums():
    variants = [
        {
            "name": "control",
            "users": 1000,
            "conversions": 100,
            "covariate_sum": 300.0,
            "covariate_sum_squares": 900.0,
            "cross_sum": 80.0,
        },
        {
            "name": "B",
            "users": 1000,
            "conversions": 130,
            "covariate_sum": 310.0,
            "covariate_sum_squares": 950.0,
            "cross_sum": 95.0,
        },
    ]
    response = analyse(request(variants=variants))
    assert response["variants"][1]["chance_to_beat_control"] is not None
    json.dumps(response, allow_nan=False)


def test_undefined_numbers_are_null_not_nan():
    response = analyse(
        request(
            variants=[
                {"name": "control", "users": 1000, "conversions": 0},
                {"name": "B", "users": 1000, "conversions": 0},
            ],
            correction="holm",
        )
    )
    treatment = response["variants"][1]
    assert treatment["lift"] is None and treatment["lift_ci"] is None  # control mean 0
    assert treatment["diff"] == 0 and treatment["diff_ci"] is None  # no conversions: no interval
    assert treatment["p_value"] is None and treatment["p_value_adjusted"] is None
    assert treatment["sequential_p_value"] is None
    assert treatment["significant"] is False
    assert treatment["chance_to_beat_control"] == pytest.approx(0.5)
    text = json.dumps(response, allow_nan=False)
    assert "NaN" not in text and "Infinity" not in text


def test_zero_control_mean_with_converting_treatment_has_null_lift_only():
    treatment = analyse(
        request(
            variants=[
                {"name": "control", "users": 1000, "conversions": 0},
                {"name": "B", "users": 1000, "conversions": 10},
            ]
        )
    )["variants"][1]
    assert treatment["lift"] is None and treatment["lift_ci"] is None
    assert treatment["p_value"] is not None and treatment["diff_ci"] is not None


def test_equal_weights_are_the_default_and_srm_is_detected():
    response = analyse(
        request(
            variants=[
                {"name": "control", "users": 10000, "conversions": 100},
                {"name": "B", "users": 9000, "conversions": 120},
            ],
            weights=None,
        )
        | {}
    )
    assert response["srm_detected"] is True


def test_it_matches_the_vectorised_core():
    core = compare_proportions(100, 1000, 120, 1000, 0.05)
    treatment = analyse(BINOMIAL)["variants"][1]
    assert treatment["diff_ci"] == [float(core.diff_ci_low), float(core.diff_ci_high)]
    assert treatment["p_value"] == float(core.p_value)


def test_analyse_many_answers_in_order_and_isolates_bad_requests():
    bad = request(alpha=2)
    results = analyse_many([BINOMIAL, bad, MEAN, request(correction="benjamini-hochberg")])
    # One batch sums its quadrature over differently shaped arrays than a single call, so the
    # last bit of a float may differ; every field and every other digit must agree.
    assert results[0] == _approx_tree(analyse(BINOMIAL))
    assert results[1] == {"errors": {"alpha": "must be between 0 and 1, exclusive (got 2)"}}
    assert results[2] == _approx_tree(analyse(MEAN))
    assert results[3]["variants"][1]["p_value_adjusted"] == results[0]["variants"][1]["p_value"]


def _approx_tree(value, rel=1e-12):
    """``value`` with every float compared to a relative tolerance, at any depth."""
    if isinstance(value, dict):
        return {key: _approx_tree(item, rel) for key, item in value.items()}
    if isinstance(value, list):
        return [_approx_tree(item, rel) for item in value]
    if isinstance(value, float):
        return pytest.approx(value, rel=rel, abs=0)
    return value


def _without(base, *path):
    result = copy.deepcopy(base)
    target = result
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return result


def _with_variant(base, index, **changes):
    result = copy.deepcopy(base)
    result["variants"][index].update(changes)
    return result


BAD_INPUTS = [
    ("not a dict", [1, 2], "request", "must be a JSON object"),
    ("missing metric_type", _without(BINOMIAL, "metric_type"), "metric_type", "is required"),
    ("missing variants", _without(BINOMIAL, "variants"), "variants", "is required"),
    (
        "missing users",
        _without(BINOMIAL, "variants", 1, "users"),
        "variants[1].users",
        "is required",
    ),
    (
        "missing conversions",
        _without(BINOMIAL, "variants", 0, "conversions"),
        "variants[0].conversions",
        "is required",
    ),
    ("missing name", _without(BINOMIAL, "variants", 1, "name"), "variants[1].name", "is required"),
    (
        "missing sum_squares",
        _without(MEAN, "variants", 2, "sum_squares"),
        "variants[2].sum_squares",
        "is required",
    ),
    (
        "negative users",
        _with_variant(BINOMIAL, 1, users=-5),
        "variants[1].users",
        "must not be negative",
    ),
    (
        "negative conversions",
        _with_variant(BINOMIAL, 1, conversions=-1),
        "variants[1].conversions",
        "must not be negative",
    ),
    (
        "conversions above users",
        _with_variant(BINOMIAL, 1, conversions=1001),
        "variants[1].conversions",
        "must not exceed users",
    ),
    (
        "fractional users",
        _with_variant(BINOMIAL, 0, users=10.5),
        "variants[0].users",
        "must be an integer",
    ),
    (
        "string users",
        _with_variant(BINOMIAL, 0, users="1000"),
        "variants[0].users",
        "must be an integer",
    ),
    (
        "boolean conversions",
        _with_variant(BINOMIAL, 0, conversions=True),
        "variants[0].conversions",
        "must be an integer",
    ),
    (
        "zero users",
        _with_variant(BINOMIAL, 0, users=0, conversions=0),
        "variants[0].users",
        "must be at least 1",
    ),
    (
        "one user in a mean metric",
        _with_variant(MEAN, 1, users=1),
        "variants[1].users",
        "must be at least 2 for a mean metric",
    ),
    (
        "negative variance",
        _with_variant(MEAN, 1, sum_squares=10.0),
        "variants[1].sum_squares",
        "must be at least sum²/users",
    ),
    (
        "NaN sum",
        _with_variant(MEAN, 1, sum=float("nan")),
        "variants[1].sum",
        "must be a number, not nan",
    ),
    (
        "one variant",
        request(variants=BINOMIAL["variants"][:1], weights=[1.0]),
        "variants",
        "must have at least 2 variants",
    ),
    ("variants not a list", request(variants={"a": 1}), "variants", "must be a list"),
    (
        "variant not an object",
        request(variants=[BINOMIAL["variants"][0], 5]),
        "variants[1]",
        "must be an object",
    ),
    (
        "duplicate names",
        _with_variant(BINOMIAL, 1, name="control"),
        "variants[1].name",
        "duplicates variants[0].name",
    ),
    (
        "weights of the wrong length",
        request(weights=[0.3, 0.3, 0.4]),
        "weights",
        "must have one weight per variant (got 3 for 2 variants)",
    ),
    ("weights not summing to 1", request(weights=[0.5, 0.4]), "weights", "must sum to 1 (got 0.9)"),
    ("a zero weight", request(weights=[1.0, 0.0]), "weights[1]", "must be positive"),
    ("weights not a list", request(weights=0.5), "weights", "must be a list"),
    (
        "unknown metric_type",
        request(metric_type="ratio"),
        "metric_type",
        "must be 'binomial' or 'mean'",
    ),
    (
        "unknown correction",
        request(correction="bonferroni"),
        "correction",
        "must be one of 'none', 'holm', 'benjamini-hochberg'",
    ),
    ("alpha of 0", request(alpha=0), "alpha", "must be between 0 and 1"),
    ("alpha of 1", request(alpha=1), "alpha", "must be between 0 and 1"),
    ("alpha as text", request(alpha="0.05"), "alpha", "must be a number"),
    ("negative tau", request(sequential_tau=-0.1), "sequential_tau", "must be positive"),
    (
        "string direction",
        request(higher_is_better="yes"),
        "higher_is_better",
        "must be true or false",
    ),
    ("unknown top-level field", request(corection="holm"), "corection", "unknown field"),
    (
        "mean field on a binomial metric",
        _with_variant(BINOMIAL, 1, sum=3.0),
        "variants[1].sum",
        "is not used by binomial metrics",
    ),
    (
        "partial CUPED",
        _with_variant(MEAN, 1, covariate_sum=3.0),
        "variants[1].covariate_sum_squares",
        "is required with the other CUPED sums",
    ),
    (
        "CUPED on some variants only",
        _with_variant(MEAN, 1, covariate_sum=3.0, covariate_sum_squares=30.0, cross_sum=40.0),
        "variants[0].covariate_sum",
        "CUPED needs covariate sums for every variant",
    ),
    (
        "impossible cross sum",
        request(
            MEAN,
            variants=[
                {
                    "name": n,
                    "users": 4,
                    "sum": 4.0,
                    "sum_squares": 6.0,
                    "covariate_sum": 4.0,
                    "covariate_sum_squares": 6.0,
                    "cross_sum": 50.0,
                }
                for n in ("a", "b")
            ],
        ),
        "variants[0].cross_sum",
        "inconsistent with the other sums",
    ),
]


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_it_names_the_bad_field(bad, field, message):
    with pytest.raises(ValueError) as caught:
        analyse(bad)
    assert isinstance(caught.value, AnalysisInputError)
    assert field in caught.value.errors
    assert message in caught.value.errors[field]
    assert f"{field}: {caught.value.errors[field]}" in str(caught.value)


def test_it_collects_every_error_at_once():
    bad = request(
        alpha=3,
        correction="x",
        variants=[
            {"name": "control", "users": 10, "conversions": 11},
            {"name": "B", "users": -1, "conversions": 1},
        ],
    )
    with pytest.raises(AnalysisInputError) as caught:
        analyse(bad)
    assert set(caught.value.errors) == {
        "alpha",
        "correction",
        "variants[0].conversions",
        "variants[1].users",
    }
    assert str(caught.value).count(";") == 3
    assert "variants[0].conversions: must not exceed users" in str(caught.value)


@pytest.mark.parametrize("omitted", ["missing", "null"])
def test_higher_is_better_defaults_to_true(omitted):
    body = _without(BINOMIAL, "higher_is_better")
    if omitted == "null":
        body["higher_is_better"] = None
    assert analyse(body) == analyse(request(higher_is_better=True))
    assert analyse(body) != analyse(request(higher_is_better=False))
