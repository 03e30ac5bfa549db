"""The sum checks that uploads and the JSON contract share (analytics.stats.sums)."""

import math

import pytest

from analytics.stats.sums import ROUNDING, cross_sum_problem, squares_problem

VARIANCE = "must be at least sum²/users (a variance cannot be negative)"
CORRELATION = "is inconsistent with the other sums (a correlation beyond ±1)"


@pytest.mark.parametrize(
    ("squares", "problem"),
    [
        (1_200.0, None),  # a spread
        (1_000.0, None),  # every value the same: a variance of 0
        (1_000.0 * (1 - ROUNDING / 2), None),  # short by rounding only
        (1_000.0 * (1 - 2 * ROUNDING), VARIANCE),
        (999.0, VARIANCE),
    ],
)
def test_it_asks_a_sum_of_squares_for_a_variance_of_at_least_zero(squares, problem):
    assert squares_problem(100.0, squares, 10, total_field="sum") == problem


def test_it_names_the_sum_the_squares_go_with():
    assert squares_problem(20.0, 39.0, 10, total_field="covariate_sum") == (
        "must be at least covariate_sum²/users (a variance cannot be negative)"
    )


# Over 10 users, y: Σy = 100, Σy² = 1200 and x: Σx = 20, Σx² = 50 leave a covariance of at
# most √((50 − 40)(1200 − 1000)) = √2000 either way around ΣxΣy/n = 200.
LIMIT = math.sqrt(2_000)


@pytest.mark.parametrize(
    ("cross_sum", "problem"),
    [
        (200.0, None),  # uncorrelated
        (240.0, None),
        (200.0 + LIMIT, None),  # a correlation of exactly 1
        (200.0 - LIMIT, None),  # and of −1
        (200.0 + LIMIT * (1 + 1e-12), None),  # beyond by rounding only
        (250.0, CORRELATION),
        (150.0, CORRELATION),
    ],
)
def test_it_keeps_the_correlation_within_one(cross_sum, problem):
    assert cross_sum_problem(20.0, 50.0, cross_sum, 100.0, 1_200.0, 10) == problem
