"""The verdict held to the programme's false-win level (analytics/stats/verdict.py,
``apply_false_win_level``), worked by hand; and the level itself (LORD++'s next α_t)."""

import pytest

from analytics.stats.decision_rule import DecisionRule, DecisionRuleError
from analytics.stats.programme import lord_next_level
from analytics.stats.verdict import INCONCLUSIVE, KEEP_RUNNING, SHIP, evaluate
from tests.stats.test_verdict import arm, bayes, look, signups

HELD = DecisionRule(apply_false_win_level=True)


def verdict(the_look, rule=HELD):
    found = evaluate(rule, the_look)
    return found.action, list(found.reasons)


def test_the_next_level_by_hand():
    # γ_1 = 0.0772084·ln 2 = 0.0535168; W0 = α/2 = 0.025: the first decision's level is
    # γ_1·W0 = 0.0013379. After a discovery at t = 1 and a miss at t = 2:
    # γ_2 = γ_1 / (2·e^√ln 2) = 0.0116382, γ_3 = 0.0772084·ln 3 / (3·e^√ln 3) = 0.0099125,
    # α_3 = γ_3·W0 + (α − W0)·γ_2 = 0.025·(0.0099125 + 0.0116382) = 0.00053877.
    assert lord_next_level([]) == pytest.approx(0.0013379, abs=1e-7)
    assert lord_next_level([0.001, 0.3]) == pytest.approx(0.00053877, abs=1e-8)


def test_a_win_within_the_level_ships_and_says_so():
    # p = 0.0004 < α 0.05, and ≤ the level 0.0013.
    the_look = look(primary=signups(arm(p=0.0004)), false_win_level=0.0013379)
    assert verdict(the_look) == (
        SHIP,
        [
            "B wins on Sign-ups: +12.0 % (+2.0 % to +22.0 %), p < 0.001 (α 0.05).",
            "There are no guardrails to check.",
            "A win must also pass the programme's false-win level: p ≤ 0.0013 (LORD++, the "
            "false-wins insight).",
        ],
    )


def test_a_win_at_alpha_above_the_level_is_no_win():
    # p = 0.015 would ship at α 0.05 (tests/stats/test_verdict.py); the level 0.0013 stops it,
    # and at the planned sample with the MDE still inside the interval it is inconclusive.
    the_look = look(false_win_level=0.0013379)
    assert verdict(the_look) == (
        INCONCLUSIVE,
        [
            "B: +12.0 % (+2.0 % to +22.0 %), p = 0.015 (α 0.05); below α but above the "
            "programme's false-win level (0.0013): not a win.",
            "The interval still includes the MDE (+10.0 %): a larger test could tell.",
            "A win must also pass the programme's false-win level: p ≤ 0.0013 (LORD++, the "
            "false-wins insight).",
        ],
    )
    # The same look under a rule that does not apply it ships.
    assert evaluate(DecisionRule(), the_look).action == SHIP


def test_a_sequential_test_is_held_to_it_before_its_sample():
    early = look(
        method="sequential", users=9_000, primary=signups(arm(p=0.004)), false_win_level=0.0013
    )
    action, reasons = verdict(early)
    assert action == KEEP_RUNNING
    assert reasons[1] == (
        "B: +12.0 % (+2.0 % to +22.0 %), always-valid p = 0.004 (α 0.05); below α but above "
        "the programme's false-win level (0.0013): not a win."
    )


def test_an_unknown_level_leaves_alpha_alone_and_says_so():
    action, reasons = verdict(look(false_win_level=None))
    assert action == SHIP
    assert reasons[-1] == (
        "The programme's false-win level is not computed yet (the false-wins insight has not "
        "run): a win is judged at α alone."
    )


def test_a_bayesian_test_keeps_its_own_threshold():
    the_look = look(
        method="bayesian", users=9_000, primary=bayes(0.97, 0.001), false_win_level=1e-5
    )
    action, reasons = verdict(the_look)
    assert action == SHIP
    assert reasons[-1] == (
        "The programme's false-win level reads p-values: a Bayesian test is held to its own "
        "threshold."
    )


def test_decisively_worse_stays_at_alpha():
    worse = signups(arm(lift=-0.12, low=-0.22, high=-0.02, p=0.015))
    action, _ = verdict(look(primary=worse, false_win_level=0.0013))
    assert action == "abandon"


def test_the_field_is_a_boolean():
    assert DecisionRule.from_dict({"apply_false_win_level": True}).apply_false_win_level is True
    with pytest.raises(DecisionRuleError) as refused:
        DecisionRule.from_dict({"apply_false_win_level": "yes"})
    assert refused.value.errors == {"apply_false_win_level": "must be true or false"}
