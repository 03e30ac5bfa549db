"""The decision rule's verdict (analytics/stats/verdict.py), worked by hand case by case.

Every look below is written out in numbers; each test says which branch of the rule applies
and the words the verdict gives for it.
"""

import pytest

from analytics.stats.decision_rule import DecisionRule, DecisionRuleError
from analytics.stats.verdict import (
    ABANDON,
    INCONCLUSIVE,
    ITERATE,
    KEEP_RUNNING,
    SHIP,
    ArmLook,
    Look,
    MetricLook,
    decision_agrees,
    evaluate,
)

RULE = DecisionRule()  # tolerance 2 %, ship at 95 % with a loss of at most 0.5 %


def arm(variant="B", lift=0.12, low=0.02, high=0.22, p=0.015, **others):
    return ArmLook(
        variant=variant, lift=lift, lift_ci_low=low, lift_ci_high=high, p_value=p, **others
    )


def signups(*arms, higher_is_better=True):
    return MetricLook("signups", "Sign-ups", higher_is_better, tuple(arms) or (arm(),))


def unsubscribes(lift, variant="B"):
    """A lower-is-better guardrail: a positive lift is a deterioration."""
    return MetricLook(
        "unsubscribes", "Unsubscribes", False, (arm(variant, lift, lift - 0.01, lift + 0.01),)
    )


def look(*, method="frequentist", users=25_740, days=14, primary=None, guardrails=(), **others):
    values = {
        "method": method,
        "alpha": 0.05,
        "mde": 0.10,
        "users": users,
        "planned_users": 25_740,
        "days_running": days,
        "min_days": 14,
        "primary": signups() if primary is None else primary,
        "guardrails": tuple(guardrails),
    }
    return Look(**{**values, **others})


def verdict(the_look, rule=RULE):
    found = evaluate(rule, the_look)
    return found.action, list(found.reasons)


# --- before the rule can decide --------------------------------------------------------------


def test_without_results_it_keeps_running():
    assert verdict(look(users=0, primary=MetricLook("signups", "Sign-ups", True, ()))) == (
        KEEP_RUNNING,
        ["No results on the primary metric yet."],
    )


def test_an_unacknowledged_sample_ratio_mismatch_withholds_the_verdict():
    # At the planned sample a significant win would ship; with the split broken it is not read.
    assert verdict(look())[0] == SHIP
    assert verdict(look(unresolved_srm_p=0.0004)) == (
        KEEP_RUNNING,
        [
            "The users per variant do not match the planned split (sample-ratio mismatch, "
            "p = 0.0004): the rule is not read until someone checks how users are assigned and "
            "counted and acknowledges it."
        ],
    )
    # A split so broken its p-value is 0.0 is a mismatch too, and reads as one.
    assert "(sample-ratio mismatch, p < 0.0001)" in verdict(look(unresolved_srm_p=0.0))[1][0]


def test_a_fixed_horizon_test_is_not_read_before_its_planned_sample():
    # 1,400 of 25,740 = 5.4 %, on day 1 of 14: even p = 0.015 is no verdict yet.
    assert verdict(look(users=1_400, days=1)) == (
        KEEP_RUNNING,
        [
            "1,400 of 25,740 planned users (5 %).",
            "Day 1 of the minimum 14.",
            "B: +12.0 % (+2.0 % to +22.0 %), p = 0.015 (α 0.05); a fixed-horizon test is read "
            "once, at its planned sample.",
        ],
    )


def test_a_fixed_horizon_test_also_waits_for_its_minimum_run_time():
    action, reasons = verdict(look(users=30_000, days=9))
    assert action == KEEP_RUNNING
    assert reasons[0] == "Day 9 of the minimum 14."


def test_no_conversions_in_either_arm_keeps_it_running_then_ends_inconclusive():
    nothing = signups(arm(lift=None, low=None, high=None, p=None, no_conversions=True))
    assert verdict(look(users=800, days=3, primary=nothing)) == (
        KEEP_RUNNING,
        ["No conversions yet in either arm.", "800 of 25,740 planned users (3 %).",
         "Day 3 of the minimum 14."],
    )  # fmt: skip
    assert verdict(look(primary=nothing)) == (
        INCONCLUSIVE,
        ["No conversions in either arm at the planned sample: nothing won."],
    )


# --- ship, iterate, abandon, inconclusive at the planned sample -------------------------------


def test_it_ships_a_significant_win_without_guardrails():
    assert verdict(look()) == (
        SHIP,
        [
            "B wins on Sign-ups: +12.0 % (+2.0 % to +22.0 %), p = 0.015 (α 0.05).",
            "There are no guardrails to check.",
        ],
    )


def test_it_ships_when_every_guardrail_stays_within_its_tolerance():
    # Unsubscribes up 1.5 %: worse, but within the 2 % tolerated.
    action, reasons = verdict(look(guardrails=[unsubscribes(0.015)]))
    assert (action, reasons[1]) == (SHIP, "No guardrail is worse than its tolerance.")


def test_a_win_with_a_guardrail_beyond_its_tolerance_is_iterated():
    # Unsubscribes (lower is better) up 3 %: a 3 % deterioration, more than 2 %.
    assert verdict(look(guardrails=[unsubscribes(0.03)])) == (
        ITERATE,
        [
            "B wins on Sign-ups: +12.0 % (+2.0 % to +22.0 %), p = 0.015 (α 0.05).",
            "Guardrail Unsubscribes is 3.0 % worse for B, more than the 2.0 % tolerated.",
        ],
    )


def test_a_guardrail_may_have_its_own_tolerance():
    lenient = DecisionRule(guardrail_tolerances={"unsubscribes": 0.05})
    assert verdict(look(guardrails=[unsubscribes(0.03)]), lenient)[0] == SHIP


def test_only_the_winning_variants_guardrails_count():
    primary = signups(arm("B", p=0.2, low=-0.04), arm("C", lift=0.15, low=0.05, high=0.25, p=0.003))
    # B breaks the guardrail, but C is the one that wins.
    assert verdict(look(primary=primary, guardrails=[unsubscribes(0.05, "B")])) == (
        SHIP,
        [
            "C wins on Sign-ups: +15.0 % (+5.0 % to +25.0 %), p = 0.003 (α 0.05).",
            "No guardrail is worse than its tolerance.",
        ],
    )


def test_a_lower_is_better_primary_wins_by_falling():
    cheaper = signups(arm(lift=-0.12, low=-0.22, high=-0.02, p=0.015), higher_is_better=False)
    assert verdict(look(primary=cheaper))[0] == SHIP
    dearer = signups(arm(lift=0.12, p=0.015), higher_is_better=False)
    assert verdict(look(primary=dearer))[0] == ABANDON  # significantly worse


def test_it_abandons_when_the_interval_rules_out_the_mde():
    # Not significant, and at best +4 %: the +10 % it was designed to find is ruled out.
    flat = signups(arm(lift=0.005, low=-0.03, high=0.04, p=0.74))
    assert verdict(look(primary=flat)) == (
        ABANDON,
        [
            "The interval rules out the MDE: at best +4.0 % on Sign-ups, below the +10.0 % the "
            "test was designed to find."
        ],
    )


def test_without_that_clause_the_same_look_is_inconclusive():
    flat = signups(arm(lift=0.005, low=-0.03, high=0.04, p=0.74))
    keep = DecisionRule(abandon_when_mde_ruled_out=False)
    assert verdict(look(primary=flat), keep)[0] == INCONCLUSIVE


def test_it_is_inconclusive_while_the_interval_still_includes_the_mde():
    wide = signups(arm(lift=0.04, low=-0.03, high=0.11, p=0.26))
    assert verdict(look(primary=wide)) == (
        INCONCLUSIVE,
        [
            "B: +4.0 % (−3.0 % to +11.0 %), p = 0.260 (α 0.05); not significant.",
            "The interval still includes the MDE (+10.0 %): a larger test could tell.",
        ],
    )


def test_it_abandons_when_every_variant_is_decisively_worse():
    worse = signups(arm(lift=-0.08, low=-0.14, high=-0.02, p=0.009))
    assert verdict(look(primary=worse)) == (
        ABANDON,
        ["B is decisively worse: −8.0 % (−14.0 % to −2.0 %), p = 0.009 (α 0.05)."],
    )


# --- sequential and Bayesian tests may stop early ---------------------------------------------


def test_a_sequential_test_ships_at_its_always_valid_boundary_before_the_sample():
    early = look(method="sequential", users=9_000, days=14, primary=signups(arm(p=0.004)))
    assert verdict(early) == (
        SHIP,
        [
            "B wins on Sign-ups: +12.0 % (+2.0 % to +22.0 %), always-valid p = 0.004 (α 0.05).",
            "There are no guardrails to check.",
        ],
    )


def test_a_sequential_test_still_waits_for_its_minimum_run_time():
    early = look(method="sequential", users=9_000, days=3, primary=signups(arm(p=0.004)))
    action, reasons = verdict(early)
    assert action == KEEP_RUNNING
    assert reasons[:2] == ["9,000 of 25,740 planned users (35 %).", "Day 3 of the minimum 14."]


def test_a_sequential_test_short_of_its_boundary_keeps_running():
    early = look(method="sequential", users=9_000, primary=signups(arm(p=0.2)))
    assert verdict(early) == (
        KEEP_RUNNING,
        [
            "9,000 of 25,740 planned users (35 %).",
            "B: +12.0 % (+2.0 % to +22.0 %), always-valid p = 0.200 (α 0.05); not across the "
            "always-valid boundary yet.",
        ],
    )


def bayes(chance, loss):
    return signups(arm(p=None, chance_to_beat=chance, expected_loss=loss))


def test_a_bayesian_test_ships_at_its_threshold_with_a_small_expected_loss():
    assert verdict(look(method="bayesian", users=9_000, primary=bayes(0.97, 0.001))) == (
        SHIP,
        [
            "B wins on Sign-ups: +12.0 % (+2.0 % to +22.0 %), 97 % chance to beat control, "
            "expected loss 0.1 % (ship at 95 %, loss at most 0.5 %).",
            "There are no guardrails to check.",
        ],
    )


def test_a_bayesian_test_with_too_large_an_expected_loss_keeps_running():
    assert verdict(look(method="bayesian", users=9_000, primary=bayes(0.97, 0.012))) == (
        KEEP_RUNNING,
        [
            "9,000 of 25,740 planned users (35 %).",
            "B: +12.0 % (+2.0 % to +22.0 %), 97 % chance to beat control, expected loss 1.2 %; "
            "ships at 95 % with a loss of at most 0.5 %.",
        ],
    )


def test_a_bayesian_test_abandons_when_control_is_almost_surely_better():
    action, reasons = verdict(look(method="bayesian", users=9_000, primary=bayes(0.03, 0.02)))
    assert action == ABANDON and reasons[0].startswith("B is decisively worse")


# --- the rule itself ---------------------------------------------------------------------------


def test_a_rule_from_json_takes_defaults_and_refuses_what_it_cannot_use():
    assert DecisionRule.from_dict({"guardrail_tolerance": 0.01}).as_dict() == {
        "guardrail_tolerance": 0.01,
        "guardrail_tolerances": {},
        "ship_chance": 0.95,
        "max_expected_loss": 0.005,
        "abandon_when_mde_ruled_out": True,
        "apply_false_win_level": False,
    }
    with pytest.raises(DecisionRuleError) as refused:
        DecisionRule.from_dict(
            {
                "ship_chance": 0.5,
                "guardrail_tolerance": "2 %",
                "guardrail_tolerances": {"aov": 1.5},
                "abandon_when_mde_ruled_out": "yes",
                "ship_when": "always",
            }
        )
    assert refused.value.errors == {
        "ship_chance": "must lie in (0.5, 0.9999]",
        "guardrail_tolerance": "must be a number",
        "guardrail_tolerances": "aov: must lie in [0, 0.99]",
        "abandon_when_mde_ruled_out": "must be true or false",
        "ship_when": "not a field of the decision rule",
    }
    with pytest.raises(DecisionRuleError, match="must be an object"):
        DecisionRule.from_dict(["ship"])


@pytest.mark.parametrize(
    ("action", "scale", "iterate", "abandon"),
    [
        (SHIP, True, False, False),
        (ITERATE, False, True, False),
        (ABANDON, False, False, True),
        (INCONCLUSIVE, False, True, True),
        (KEEP_RUNNING, False, True, True),
    ],
)
def test_which_decisions_follow_each_verdict(action, scale, iterate, abandon):
    assert [decision_agrees(action, d) for d in ("scale", "iterate", "abandon")] == [
        scale,
        iterate,
        abandon,
    ]
