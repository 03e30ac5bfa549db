"""An experiment's decision rule, and its verdict on one look's results (docs/decisions.md).

The rule is written before launch and frozen at approval; the verdict is what the rule says
about the latest look, in the words of the test's own method:

- **ship** — the primary metric wins at the test's own level and no guardrail is worse than
  its tolerance. "Wins" is, per method: fixed horizon, the (corrected) p-value below α with the
  lift in the good direction; sequential, the always-valid p-value below α likewise;
  Bayesian, a chance to beat control of at least ``ship_chance`` with an expected loss of at
  most ``max_expected_loss`` (relative to the control's mean).
- **iterate** — the primary metric wins, but a guardrail is worse than its tolerance: fix the
  side effect and test again.
- **abandon** — every treatment is decisively worse, or (``abandon_when_mde_ruled_out``) at the
  planned sample every treatment's interval lies below the MDE: the effect the test was
  designed to find is ruled out.
- **inconclusive** — the planned sample is in and none of the above.
- **keep_running** — none of the above yet. A fixed-horizon test is read once, at its planned
  sample and minimum run time (its p-value is not valid before); a sequential or Bayesian test
  may be decided at any look once its minimum run time is over.

**A sample-ratio mismatch comes first.** While the latest look's users per variant do not
match the planned split and nobody has acknowledged it (``Look.unresolved_srm_p``), the rule is
not read at all: assignment or counting is probably broken, so any lift could be an artefact.
The verdict is keep_running with that reason and no figures, as the results panel hides them.

**The programme's false-win level.** A rule with ``apply_false_win_level`` holds a win of a
fixed-horizon or sequential test to the programme's false-win level as well: the LORD++ level
α_t of the false-wins insight (``analytics.stats.programme.lord_plus_plus``), the level the
programme's online false-discovery control gives this decision. The primary metric then wins
only when ``p < α`` and ``p ≤ α_t``. The caller passes the level in (``Look.false_win_level``,
None when the programme has not computed it: then α alone decides and the reasons say so); a
Bayesian test has no p-value and keeps its own threshold. "Decisively worse" stays at α: the
level guards against false wins, not against stopping a loser.

Pure: dataclasses in, a dataclass out (no Django).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .decision_rule import DecisionRule
from .reading import interval_text
from .significance import BAYESIAN, FREQUENTIST, SEQUENTIAL

KEEP_RUNNING = "keep_running"
SHIP = "ship"
ITERATE = "iterate"
ABANDON = "abandon"
INCONCLUSIVE = "inconclusive"
ACTIONS = (KEEP_RUNNING, SHIP, ITERATE, ABANDON, INCONCLUSIVE)
ACTION_LABELS = {
    KEEP_RUNNING: "Keep running",
    SHIP: "Ship",
    ITERATE: "Iterate",
    ABANDON: "Abandon",
    INCONCLUSIVE: "Inconclusive",
}
# The verdicts a sequential or Bayesian test may stop at before its planned sample.
DECISIVE = (SHIP, ITERATE, ABANDON)

# The final decisions (scale / iterate / abandon) that follow each verdict. Without a win
# nothing is scaled; a test stopped before the rule could decide may still be iterated or
# abandoned.
AGREEING_DECISIONS = {
    SHIP: frozenset({"scale"}),
    ITERATE: frozenset({"iterate"}),
    ABANDON: frozenset({"abandon"}),
    INCONCLUSIVE: frozenset({"iterate", "abandon"}),
    KEEP_RUNNING: frozenset({"iterate", "abandon"}),
}


def decision_agrees(action: str, decision: str) -> bool:
    """Whether deciding ``decision`` follows the verdict ``action``."""
    return decision in AGREEING_DECISIONS[action]


@dataclass(frozen=True)
class ArmLook:
    """One treatment against control on one metric, at one look.

    ``p_value`` is the method's own: the corrected fixed-horizon p-value, or the always-valid
    one of a sequential test. ``chance_to_beat`` and ``expected_loss`` (relative to the
    control's mean) already follow the metric's direction. ``no_conversions``: both arms are
    at zero, so nothing can be compared yet.
    """

    variant: str
    lift: float | None
    lift_ci_low: float | None = None
    lift_ci_high: float | None = None
    p_value: float | None = None
    chance_to_beat: float | None = None
    expected_loss: float | None = None
    no_conversions: bool = False


@dataclass(frozen=True)
class MetricLook:
    key: str
    name: str
    higher_is_better: bool
    arms: tuple[ArmLook, ...]


@dataclass(frozen=True)
class Look:
    """What the rule reads: the method, the design and how far the test has come."""

    method: str
    alpha: float
    mde: float | None
    users: int
    planned_users: int | None
    days_running: int
    min_days: int
    primary: MetricLook | None
    guardrails: tuple[MetricLook, ...] = ()
    # The programme's false-win level (LORD++ α_t) for this decision; None when not computed.
    false_win_level: float | None = None
    # The sample-ratio mismatch's p-value at this look while nobody has acknowledged it.
    unresolved_srm_p: float | None = None


@dataclass(frozen=True)
class Verdict:
    action: str
    reasons: tuple[str, ...]

    @property
    def label(self) -> str:
        return ACTION_LABELS[self.action]

    def as_dict(self) -> dict:
        return {"action": self.action, "reasons": list(self.reasons)}


def evaluate(rule: DecisionRule, look: Look) -> Verdict:
    """The verdict of ``rule`` on ``look`` (the module's docstring gives the rule); when the
    rule applies the programme's false-win level, the last reason says how."""
    verdict = _evaluate(rule, look)
    note = _false_win_note(rule, look)
    return Verdict(verdict.action, (*verdict.reasons, note)) if note else verdict


def _evaluate(rule: DecisionRule, look: Look) -> Verdict:
    primary = look.primary
    if primary is None or not primary.arms or look.users <= 0:
        return Verdict(KEEP_RUNNING, ("No results on the primary metric yet.",))
    if look.unresolved_srm_p is not None:
        p = look.unresolved_srm_p
        return Verdict(
            KEEP_RUNNING,
            (
                "The users per variant do not match the planned split (sample-ratio mismatch, "
                f"p {'< 0.0001' if p < 0.0001 else f'= {p:.2g}'}): the rule is not read until "
                "someone checks how users are assigned and counted and acknowledges it.",
            ),
        )
    unfinished = _unfinished(look)
    if all(arm.no_conversions for arm in primary.arms):
        if not unfinished:
            return Verdict(
                INCONCLUSIVE, ("No conversions in either arm at the planned sample: nothing won.",)
            )
        return Verdict(KEEP_RUNNING, ("No conversions yet in either arm.", *unfinished))
    may_decide = not unfinished or (
        look.method in (SEQUENTIAL, BAYESIAN) and look.days_running >= look.min_days
    )
    if may_decide:
        decided = _decided(rule, look, primary)
        if decided is not None:
            return decided
    if unfinished:
        return Verdict(KEEP_RUNNING, (*unfinished, _evidence(rule, look, primary)))
    ruled_out = _mde_ruled_out(look, primary)
    if rule.abandon_when_mde_ruled_out and ruled_out:
        return Verdict(ABANDON, (ruled_out,))
    return Verdict(INCONCLUSIVE, (_evidence(rule, look, primary), _mde_still_possible(look)))


def _decided(rule: DecisionRule, look: Look, primary: MetricLook) -> Verdict | None:
    """Ship or iterate on a win, abandon when every treatment is decisively worse."""
    winners = [arm for arm in primary.arms if _wins(rule, look, arm, primary)]
    if winners:
        best = max(winners, key=lambda arm: _gain(arm.lift, primary))
        won = _win_reason(rule, look, best, primary)
        breaches = _breaches(rule, look, best.variant)
        if breaches:
            return Verdict(ITERATE, (won, *breaches))
        checked = (
            "No guardrail is worse than its tolerance."
            if look.guardrails
            else "There are no guardrails to check."
        )
        return Verdict(SHIP, (won, checked))
    if all(_loses(rule, look, arm, primary) for arm in primary.arms):
        return Verdict(
            ABANDON,
            tuple(
                f"{arm.variant} is decisively worse: {_measured(arm, look)}."
                for arm in primary.arms
            ),
        )
    return None


def _unfinished(look: Look) -> list[str]:
    """What the test still lacks before its final reading: the planned sample, the days."""
    missing = []
    if look.planned_users is None:
        missing.append("The planned sample is unknown (the design is incomplete).")
    elif look.users < look.planned_users:
        missing.append(
            f"{look.users:,} of {look.planned_users:,} planned users "
            f"({look.users / look.planned_users * 100:.0f} %)."
        )
    if look.days_running < look.min_days:
        missing.append(f"Day {look.days_running} of the minimum {look.min_days}.")
    return missing


def _gain(lift: float | None, metric: MetricLook) -> float | None:
    """The lift signed so that positive is better for this metric."""
    if lift is None:
        return None
    return lift if metric.higher_is_better else -lift


def _gain_high(arm: ArmLook, metric: MetricLook) -> float | None:
    """The best end of the interval, as a gain."""
    if arm.lift_ci_low is None or arm.lift_ci_high is None:
        return None
    return arm.lift_ci_high if metric.higher_is_better else -arm.lift_ci_low


def _wins(rule: DecisionRule, look: Look, arm: ArmLook, metric: MetricLook) -> bool:
    gain = _gain(arm.lift, metric)
    if gain is None or gain <= 0:
        return False
    if look.method == BAYESIAN:
        return (
            arm.chance_to_beat is not None
            and arm.chance_to_beat >= rule.ship_chance
            and arm.expected_loss is not None
            and arm.expected_loss <= rule.max_expected_loss
        )
    return arm.p_value is not None and arm.p_value < look.alpha and _within_level(rule, look, arm)


def _held_to_level(rule: DecisionRule, look: Look) -> bool:
    """Whether a win must also pass the programme's false-win level (known, and a p-value test)."""
    return (
        rule.apply_false_win_level and look.false_win_level is not None and look.method != BAYESIAN
    )


def _within_level(rule: DecisionRule, look: Look, arm: ArmLook) -> bool:
    return not _held_to_level(rule, look) or arm.p_value <= look.false_win_level


def _false_win_note(rule: DecisionRule, look: Look) -> str | None:
    if not rule.apply_false_win_level:
        return None
    if look.method == BAYESIAN:
        return (
            "The programme's false-win level reads p-values: a Bayesian test is held to its own "
            "threshold."
        )
    if look.false_win_level is None:
        return (
            "The programme's false-win level is not computed yet (the false-wins insight has not "
            "run): a win is judged at α alone."
        )
    return (
        f"A win must also pass the programme's false-win level: p ≤ {_level(look.false_win_level)}"
        " (LORD++, the false-wins insight)."
    )


def _loses(rule: DecisionRule, look: Look, arm: ArmLook, metric: MetricLook) -> bool:
    if look.method == BAYESIAN:
        return arm.chance_to_beat is not None and arm.chance_to_beat <= 1 - rule.ship_chance
    gain = _gain(arm.lift, metric)
    return gain is not None and gain < 0 and arm.p_value is not None and arm.p_value < look.alpha


def _breaches(rule: DecisionRule, look: Look, variant: str) -> list[str]:
    """The guardrails on which ``variant`` is worse than the rule tolerates (point estimate)."""
    breaches = []
    for guardrail in look.guardrails:
        arm = next((a for a in guardrail.arms if a.variant == variant), None)
        gain = _gain(arm.lift, guardrail) if arm is not None else None
        tolerance = rule.tolerance_for(guardrail.key)
        if gain is not None and gain < -tolerance:
            breaches.append(
                f"Guardrail {guardrail.name} is {_size(gain)} worse for {variant}, more than the "
                f"{_size(tolerance)} tolerated."
            )
    return breaches


def _win_reason(rule: DecisionRule, look: Look, arm: ArmLook, metric: MetricLook) -> str:
    return f"{arm.variant} wins on {metric.name}: {_measured(arm, look)}" + (
        f" (ship at {_whole(rule.ship_chance)}, loss at most {_size(rule.max_expected_loss)})."
        if look.method == BAYESIAN
        else "."
    )


def _measured(arm: ArmLook, look: Look) -> str:
    """The lift, its interval and the method's own evidence, in a few words."""
    text = _pct(arm.lift) if arm.lift is not None else "no lift (the control is at zero)"
    if arm.lift_ci_low is not None and arm.lift_ci_high is not None:
        text += f" ({interval_text(arm.lift_ci_low, arm.lift_ci_high)})"
    if look.method == BAYESIAN:
        chance = "?" if arm.chance_to_beat is None else f"{_whole(arm.chance_to_beat)}"
        loss = "?" if arm.expected_loss is None else _size(arm.expected_loss)
        return f"{text}, {chance} chance to beat control, expected loss {loss}"
    name = "always-valid p" if look.method == SEQUENTIAL else "p"
    shown = _p(arm.p_value)
    relation = "" if shown.startswith("<") else "= "
    return f"{text}, {name} {relation}{shown} (α {look.alpha:g})"


def _evidence(rule: DecisionRule, look: Look, primary: MetricLook) -> str:
    """Where the best treatment stands, and why that is not a decision (yet)."""
    best = max(primary.arms, key=lambda arm: _sortable_gain(arm, primary))
    measured = f"{best.variant}: {_measured(best, look)}"
    if look.method == FREQUENTIST and _unfinished(look):
        return f"{measured}; a fixed-horizon test is read once, at its planned sample."
    if look.method == BAYESIAN:
        return (
            f"{measured}; ships at {_whole(rule.ship_chance)} with a loss of at most "
            f"{_size(rule.max_expected_loss)}."
        )
    if _blocked_by_level(rule, look, best, primary):
        return (
            f"{measured}; below α but above the programme's false-win level "
            f"({_level(look.false_win_level)}): not a win."
        )
    if look.method == SEQUENTIAL and _unfinished(look):
        return f"{measured}; not across the always-valid boundary yet."
    return f"{measured}; not significant."


def _blocked_by_level(rule: DecisionRule, look: Look, arm: ArmLook, metric: MetricLook) -> bool:
    """A gain significant at α that the programme's false-win level does not let through."""
    gain = _gain(arm.lift, metric)
    return (
        _held_to_level(rule, look)
        and gain is not None
        and gain > 0
        and arm.p_value is not None
        and arm.p_value < look.alpha
        and not _within_level(rule, look, arm)
    )


def _sortable_gain(arm: ArmLook, metric: MetricLook) -> float:
    gain = _gain(arm.lift, metric)
    return -math.inf if gain is None else gain


def _mde_ruled_out(look: Look, primary: MetricLook) -> str | None:
    """Why the MDE is out of reach, if every treatment's interval lies below it."""
    if not look.mde:
        return None
    highs = [_gain_high(arm, primary) for arm in primary.arms]
    if any(high is None or high >= look.mde for high in highs):
        return None
    best = max(highs)
    return (
        f"The interval rules out the MDE: at best {_pct(best)} on {primary.name}, below the "
        f"{_pct(look.mde)} the test was designed to find."
    )


def _mde_still_possible(look: Look) -> str:
    if not look.mde:
        return "The design gives no MDE to rule out."
    return f"The interval still includes the MDE ({_pct(look.mde)}): a larger test could tell."


def _pct(value: float) -> str:
    return f"{value * 100:+.1f} %".replace("-", "−")


def _level(value: float) -> str:
    return f"{value:.4f}" if value >= 0.0001 else f"{value:.2e}"


def _whole(value: float) -> str:
    return f"{value * 100:.0f} %"


def _size(value: float) -> str:
    return f"{abs(value) * 100:.1f} %"


def _p(value: float | None) -> str:
    if value is None:
        return "n/a"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"
