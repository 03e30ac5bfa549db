"""Property tests (hypothesis) over the vectorised core."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.stats import (
    adjust_p_values,
    beta_posteriors,
    compare_means,
    compare_proportions,
    msprt_p_value,
    running_min,
)

USERS = st.integers(min_value=1, max_value=5_000_000)


@st.composite
def binomial_arm(draw):
    users = draw(USERS)
    return draw(st.integers(min_value=0, max_value=users)), users


@st.composite
def mean_arm(draw):
    users = draw(st.integers(min_value=2, max_value=1_000_000))
    mean = draw(st.floats(min_value=-1e4, max_value=1e4))
    sd = draw(st.floats(min_value=1e-3, max_value=1e4))
    total = mean * users
    return users, total, sd * sd * (users - 1) + total * mean


ALPHA = st.floats(min_value=0.001, max_value=0.5)
ARMS = st.lists(st.tuples(binomial_arm(), binomial_arm()), min_size=1, max_size=20)


@given(ARMS, ALPHA)
def test_swapping_the_arms_flips_the_difference(pairs, alpha):
    c = np.array([p[0] for p in pairs])
    t = np.array([p[1] for p in pairs])
    forward = compare_proportions(c[:, 0], c[:, 1], t[:, 0], t[:, 1], alpha)
    backward = compare_proportions(t[:, 0], t[:, 1], c[:, 0], c[:, 1], alpha)
    np.testing.assert_array_equal(forward.diff, -backward.diff)
    np.testing.assert_allclose(forward.p_value, backward.p_value, rtol=1e-12)
    np.testing.assert_allclose(forward.diff_ci_low, -backward.diff_ci_high, rtol=1e-12, atol=1e-15)


@given(ARMS, ALPHA)
def test_intervals_contain_the_estimate_and_p_values_are_probabilities(pairs, alpha):
    c = np.array([p[0] for p in pairs])
    t = np.array([p[1] for p in pairs])
    r = compare_proportions(c[:, 0], c[:, 1], t[:, 0], t[:, 1], alpha)
    # Undefined exactly where there is no variance to build it from (no conversions, say).
    defined = r.se > 0
    np.testing.assert_array_equal(np.isfinite(r.diff_ci_low), defined)
    np.testing.assert_array_equal(np.isfinite(r.diff_ci_high), defined)
    assert (r.diff_ci_low[defined] <= r.diff[defined]).all()
    assert (r.diff[defined] <= r.diff_ci_high[defined]).all()
    lift_defined = np.isfinite(r.lift_ci_low) & np.isfinite(r.lift_ci_high)
    assert (r.lift_ci_low[lift_defined] <= r.lift[lift_defined]).all()
    assert (r.lift[lift_defined] <= r.lift_ci_high[lift_defined]).all()
    p = r.p_value[~np.isnan(r.p_value)]
    assert ((p >= 0) & (p <= 1)).all()


@given(st.lists(st.tuples(mean_arm(), mean_arm()), min_size=1, max_size=10), ALPHA)
def test_welch_is_antisymmetric_with_valid_intervals_and_p_values(pairs, alpha):
    c = np.array([p[0] for p in pairs])
    t = np.array([p[1] for p in pairs])
    forward = compare_means(*c.T, *t.T, alpha)
    backward = compare_means(*t.T, *c.T, alpha)
    np.testing.assert_array_equal(forward.diff, -backward.diff)
    assert (forward.diff_ci_low <= forward.diff).all()
    assert (forward.diff <= forward.diff_ci_high).all()
    assert ((forward.p_value >= 0) & (forward.p_value <= 1)).all()


@given(st.lists(binomial_arm(), min_size=1, max_size=30))
@settings(deadline=None)
def test_identical_arms_have_an_even_chance(arms):
    x = np.array([a[0] for a in arms], dtype=float)
    n = np.array([a[1] for a in arms], dtype=float)
    result = beta_posteriors(1 + x, 1 + n - x, 1 + x, 1 + n - x)
    np.testing.assert_allclose(result.chance_to_beat_control, 0.5, atol=1e-10)


@given(
    st.lists(st.integers(min_value=50, max_value=5000), min_size=2, max_size=15),
    st.floats(min_value=0.01, max_value=0.5),
    st.floats(min_value=-0.3, max_value=0.3),
    st.floats(min_value=1e-3, max_value=0.2),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_the_reported_sequential_p_value_never_rises(daily, rate, lift, tau, seed):
    rng = np.random.default_rng(seed)
    users = np.cumsum(daily)
    conv_c = np.cumsum(rng.binomial(daily, rate))
    conv_t = np.cumsum(rng.binomial(daily, min(max(rate * (1 + lift), 0.0), 1.0)))
    looks = compare_proportions(conv_c, users, conv_t, users)
    defined = looks.se > 0
    raw = msprt_p_value(looks.diff[defined], looks.se[defined], tau)
    assert ((raw >= 0) & (raw <= 1)).all()
    reported = running_min(raw)
    assert (np.diff(reported) <= 0).all()
    assert (reported <= raw).all()


@given(
    st.lists(
        st.tuples(st.floats(min_value=0, max_value=1), st.integers(min_value=0, max_value=6)),
        min_size=1,
        max_size=60,
    ),
    st.sampled_from(["holm", "benjamini-hochberg"]),
)
def test_adjusted_p_values_are_never_below_raw_ones(items, method):
    p = np.array([i[0] for i in items])
    groups = np.array([i[1] for i in items])
    adjusted = adjust_p_values(p, method, groups)
    assert (adjusted >= p).all()
    assert (adjusted <= 1).all()
