"""The traffic planner's placement rule and the re-check verdict, on numbers worked by hand."""

import math

import numpy as np
import pytest

from analytics.stats.capacity import plan_segment
from analytics.stats.rechecks import recheck_verdicts


def test_each_queued_experiment_starts_where_the_traffic_left_over_covers_it():
    # 1,000 people a day; one running test holds 600 a day for 10 more days.
    plan = plan_segment(
        reach=1000,
        running_daily=[600],
        running_days_left=[10],
        queue_daily=[500, 300, 2500],
        queue_days=[5, 20, 4],
    )
    # A (500/day, 5 days): 600 + 500 > 1,000 until the running test ends on day 10 → days 10–15.
    # B (300/day, 20 days): 600 + 300 ≤ 1,000 now, and 500 + 300 beside A → days 0–20.
    # C wants 2,500 a day, more than the reach: all 1,000 for ⌈2,500·4/1,000⌉ = 10 days, from the
    # first day nothing else runs: day 15 still has B (300), so day 20 → day 30.
    assert plan.start_day.tolist() == [10, 0, 20]
    assert plan.end_day.tolist() == [15, 20, 30]
    assert plan.daily.tolist() == [500, 300, 1000]
    assert plan.days.tolist() == [5, 20, 10]


def test_a_lower_experiment_fills_a_gap_without_delaying_those_above_it():
    # The first needs the whole reach from day 3 (after the running one); a small one fits before.
    plan = plan_segment(
        reach=100,
        running_daily=[50],
        running_days_left=[3],
        queue_daily=[100, 50],
        queue_days=[4, 3],
    )
    assert plan.start_day.tolist() == [3, 0]
    assert plan.end_day.tolist() == [7, 3]


def test_an_empty_queue_plans_nothing():
    plan = plan_segment(
        reach=10, running_daily=[], running_days_left=[], queue_daily=[], queue_days=[]
    )
    assert plan.start_day.size == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reach": 0}, "reach: must be positive"),
        ({"queue_daily": [-5]}, "queue_daily: must not be negative"),
        ({"queue_days": [0]}, "queue_days: must be positive"),
        ({"running_days_left": [1, 2]}, "same length"),
    ],
)
def test_bad_inputs_are_refused_by_name(kwargs, message):
    inputs = {
        "reach": 100,
        "running_daily": [10],
        "running_days_left": [1],
        "queue_daily": [5],
        "queue_days": [2],
    }
    with pytest.raises(ValueError, match=message):
        plan_segment(**{**inputs, **kwargs})


def test_a_winner_that_keeps_less_than_half_its_lift_has_faded():
    verdicts = recheck_verdicts(
        [0.10, 0.10, 0.10, 0.10, -0.10, -0.10],
        [0.06, 0.05, 0.04, -0.02, -0.03, -0.08],
        [True, True, True, True, False, False],
    )
    # 0.06 ≥ 0.05 and 0.05 = half: held; 0.04 and a reversal: faded. For a lower-is-better
    # metric the fall is the improvement: 0.03 of 0.10 faded, 0.08 held.
    assert verdicts.tolist() == ["held", "held", "faded", "faded", "faded", "held"]


def test_no_data_since_the_ship_gives_no_verdict():
    assert recheck_verdicts([0.1], [math.nan]).tolist() == ["no_data"]
    assert recheck_verdicts(np.array([0.2, 0.2]), [0.3, math.nan]).tolist() == ["held", "no_data"]


def test_what_cannot_finish_within_the_horizon_is_left_unplanned():
    # 100 a day over 30 days: the first takes days 0–20; the second (15 days) would end on day
    # 35, past the horizon, so it is not planned and the third (10 days) still fits at 20–30.
    plan = plan_segment(
        reach=100,
        running_daily=[],
        running_days_left=[],
        queue_daily=[100, 100, 100],
        queue_days=[20, 15, 10],
        horizon_days=30,
    )
    assert plan.start_day.tolist() == [0, -1, 20]
    assert plan.end_day.tolist() == [20, -1, 30]
