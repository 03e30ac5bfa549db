import pytest

from analytics.stats import ANALYSIS_METHODS, is_significant
from experiments.models import AnalysisMethod

CASES = [
    # method, p adjusted, sequential p, chance to beat control, significant at α = 0.05
    ("frequentist", 0.01, 0.40, 0.60, True),
    ("frequentist", 0.20, 0.01, 0.999, False),
    ("sequential", 0.01, 0.40, 0.999, False),  # peeking at a fixed-horizon p is not allowed
    ("sequential", 0.30, 0.04, 0.60, True),
    ("bayesian", 0.01, None, 0.96, False),
    ("bayesian", 0.30, None, 0.98, True),
    ("bayesian", 0.30, None, 0.02, True),  # significantly worse counts too
    ("sequential", 0.01, None, 0.99, False),
    ("frequentist", None, None, None, False),
]


@pytest.mark.parametrize(("method", "p_adj", "p_seq", "chance", "expected"), CASES)
def test_each_method_decides_with_its_own_number(method, p_adj, p_seq, chance, expected):
    assert (
        is_significant(
            method=method,
            alpha=0.05,
            p_value_adjusted=p_adj,
            sequential_p_value=p_seq,
            chance_to_beat_control=chance,
        )
        is expected
    )


def test_the_experiment_methods_are_the_ones_the_rule_knows():
    assert set(AnalysisMethod.values) == set(ANALYSIS_METHODS)
