"""Exact chance to beat control and expected loss against high-precision references."""

from decimal import Decimal, getcontext

import numpy as np
import pytest
from scipy import integrate, stats

from analytics.stats import beta_posteriors, binomial_chance_to_beat, normal_chance_to_beat


def decimal_p_greater(a_x, b_x, a_y, b_y):
    """P(Y > X), X ~ Beta(a_x, b_x), Y ~ Beta(a_y, b_y), with 40 significant digits.

    Evan Miller's sum over i < a_y of h(i), h(0) = B(a_x, b_x + b_y)/B(a_x, b_x) =
    Π_{j<b_y} (b_x + j)/(a_x + b_x + j), h(i+1)/h(i) = (a_x+i)(b_y+i)/((a_x+b_x+b_y+i)(1+i)).
    """
    getcontext().prec = 40
    h = Decimal(1)
    for j in range(b_y):
        h = h * (b_x + j) / (a_x + b_x + j)
    total = Decimal(0)
    for i in range(a_y):
        total += h
        h = h * (a_x + i) * (b_y + i) / ((a_x + b_x + b_y + i) * (1 + i))
    return float(total)


def quad_p_greater(a_x, b_x, a_y, b_y):
    """P(Y > X) = ∫ f_X·(1 − F_Y), integrated over ±40 sd of X at tight tolerance."""
    a_x, b_x, a_y, b_y = map(float, (a_x, b_x, a_y, b_y))  # scipy's beta.std overflows ints
    x, y = stats.beta(a_x, b_x), stats.beta(a_y, b_y)
    lo, hi = max(0.0, x.mean() - 40 * x.std()), min(1.0, x.mean() + 40 * x.std())
    points = [x.mean() + k * x.std() for k in (-4, -1, 0, 1, 4)]
    points = [p for p in points if lo < p < hi]
    return integrate.quad(
        lambda t: x.pdf(t) * y.sf(t), lo, hi, epsabs=1e-13, epsrel=1e-12, limit=500, points=points
    )[0]


def quad_expected_loss(a_x, b_x, a_y, b_y):
    """E[max(X − Y, 0)] = ∫ f_X(x)·(x·F_Y(x) − E[Y]·F_{Y+}(x)) dx, Y+ ~ Beta(a_y + 1, b_y)."""
    a_x, b_x, a_y, b_y = map(float, (a_x, b_x, a_y, b_y))
    x, y, y_plus = stats.beta(a_x, b_x), stats.beta(a_y, b_y), stats.beta(a_y + 1, b_y)
    lo, hi = max(0.0, x.mean() - 40 * x.std()), min(1.0, x.mean() + 40 * x.std())
    return integrate.quad(
        lambda t: x.pdf(t) * (t * y.cdf(t) - y.mean() * y_plus.cdf(t)),
        lo,
        hi,
        epsabs=1e-15,
        epsrel=1e-12,
        limit=500,
    )[0]


# (a_c, b_c, a_t, b_t): the closed-form route (a small parameter) and the quadrature route
# (every parameter above 40), including lopsided and very unequal posteriors.
MODERATE = [
    (1, 1, 1, 1),
    (1, 1, 2, 1),
    (3, 98, 7, 94),
    (11, 990, 25, 1976),
    (1, 1001, 40, 3000),
    (35, 400, 2, 5),
    (101, 901, 121, 881),
    (400, 1601, 431, 1570),
    (45, 46, 47, 44),
    (200, 9801, 60, 1941),
    (1501, 3500, 41, 101),
    (900, 1100, 1100, 900),
    (42, 3000, 900, 60000),
]


@pytest.mark.parametrize("params", MODERATE)
def test_it_matches_the_40_digit_reference(params):
    expected = decimal_p_greater(*params)
    result = beta_posteriors(*params)
    assert result.chance_to_beat_control == pytest.approx(expected, abs=1e-10)


LARGE = [
    (10_001, 90_001, 10_301, 89_701),
    (1_001, 999_001, 1_101, 998_901),
    (451, 2_548_253, 30, 300_000),  # closed form with huge companions
    (50_001, 950_001, 60, 900),  # tight control, loose treatment
    (120, 880, 200_001, 800_001),  # loose control, tight treatment
    (2_000_001, 8_000_001, 2_001_001, 7_999_001),
]


@pytest.mark.parametrize("params", LARGE)
def test_it_matches_quadrature_at_a_million_users(params):
    expected = quad_p_greater(*params)
    result = beta_posteriors(*params)
    assert result.chance_to_beat_control == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("params", MODERATE[1:] + LARGE[:3])
def test_expected_loss_matches_quadrature(params):
    expected = quad_expected_loss(*params)
    result = beta_posteriors(*params)
    assert result.expected_loss == pytest.approx(expected, abs=1e-11, rel=1e-7)


def test_it_reproduces_analytic_examples():
    # Two uniform posteriors: P = 1/2, E[max(X − Y, 0)] = 1/6.
    both_uniform = beta_posteriors(1, 1, 1, 1)
    assert both_uniform.chance_to_beat_control == pytest.approx(0.5, abs=1e-15)
    assert both_uniform.expected_loss == pytest.approx(1 / 6, abs=1e-15)
    # Control 0/0 (uniform), treatment 1/1 (density 2y): P(Y > X) = ∫ 2y·y dy = 2/3,
    # E[max(X − Y, 0)] = ∫∫_{x>y} (x − y)·2y = 1/12.
    one_success = beta_posteriors(1, 1, 2, 1)
    assert one_success.chance_to_beat_control == pytest.approx(2 / 3, abs=1e-15)
    assert one_success.expected_loss == pytest.approx(1 / 12, abs=1e-15)


def test_twenty_thousand_random_comparisons_agree_with_the_reference_on_a_sample():
    rng = np.random.default_rng(11)
    size = 20_000
    n_c = rng.integers(1, 2_000_000, size)
    n_t = np.where(rng.random(size) < 0.5, n_c, rng.integers(1, 2_000_000, size))
    rate = 10 ** rng.uniform(-5, -0.05, size)
    x_c = rng.binomial(n_c, rate)
    x_t = rng.binomial(n_t, np.minimum(rate * rng.uniform(0.8, 1.25, size), 1))
    result = binomial_chance_to_beat(x_c, n_c, x_t, n_t)
    assert ((result.chance_to_beat_control >= 0) & (result.chance_to_beat_control <= 1)).all()
    assert (result.expected_loss >= 0).all()
    for i in rng.choice(size, 25, replace=False):
        params = (1 + x_c[i], 1 + n_c[i] - x_c[i], 1 + x_t[i], 1 + n_t[i] - x_t[i])
        assert result.chance_to_beat_control[i] == pytest.approx(quad_p_greater(*params), abs=1e-8)


def test_lower_is_better_flips_the_chance_and_the_loss():
    higher = binomial_chance_to_beat(100, 1000, 120, 1000, higher_is_better=True)
    lower = binomial_chance_to_beat(100, 1000, 120, 1000, higher_is_better=False)
    assert lower.chance_to_beat_control == pytest.approx(1 - higher.chance_to_beat_control)
    # E[max(Y − X, 0)] = E[max(X − Y, 0)] + E[Y] − E[X]; with Beta(1+x, 1+n−x) means
    mean_gap = 121 / 1002 - 101 / 1002
    assert lower.expected_loss == pytest.approx(higher.expected_loss + mean_gap, rel=1e-12)
    # lower-is-better: the arm with fewer conversions wins
    assert lower.chance_to_beat_control < 0.5 < higher.chance_to_beat_control


def test_the_normal_approximation_matches_its_formula():
    d, se = 0.3, 0.2
    result = normal_chance_to_beat(d, se)
    assert result.chance_to_beat_control == pytest.approx(stats.norm.cdf(d / se), rel=1e-12)
    loss = integrate.quad(lambda x: max(-x, 0) * stats.norm.pdf(x, d, se), -3, 0)[0]
    assert result.expected_loss == pytest.approx(loss, rel=1e-9)
    flipped = normal_chance_to_beat(d, se, higher_is_better=False)
    assert flipped.chance_to_beat_control == pytest.approx(stats.norm.cdf(-d / se), rel=1e-12)
    assert flipped.expected_loss == pytest.approx(result.expected_loss + d, rel=1e-12)


def test_the_normal_approximation_has_limits_at_zero_se():
    result = normal_chance_to_beat([0.1, 0.0, -0.1], [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(result.chance_to_beat_control, [1.0, 0.5, 0.0])
    np.testing.assert_array_equal(result.expected_loss, [0.0, 0.0, 0.1])


def test_it_refuses_impossible_posteriors():
    with pytest.raises(ValueError, match="a_c: must be at least 1"):
        beta_posteriors(0, 1, 1, 1)
    with pytest.raises(ValueError, match="b_t: must be whole numbers"):
        beta_posteriors(1, 1, 1, 1.5)
    with pytest.raises(ValueError, match="conversions: must not exceed users"):
        binomial_chance_to_beat(5, 4, 1, 10)
