"""An experiment's decision rule: the settings it is judged by, written before launch and frozen
at approval, read from JSON with every bad field named (docs/decisions.md). What the rule says
about a look is ``verdict.evaluate``'s.

Pure: dataclasses in, a dataclass out (no Django).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


class DecisionRuleError(ValueError):
    """A rule that cannot be used; ``errors`` maps each bad field to what is wrong."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in errors.items()))


@dataclass(frozen=True)
class DecisionRule:
    """When an experiment ships, is iterated on or abandoned (see the module's docstring).

    ``guardrail_tolerance`` is the relative worsening tolerated on every guardrail (0.02: a
    guardrail may be up to 2 % worse), ``guardrail_tolerances`` the same for named guardrails
    (by metric key). ``ship_chance`` and ``max_expected_loss`` are the Bayesian threshold.
    """

    guardrail_tolerance: float = 0.02
    guardrail_tolerances: dict[str, float] = field(default_factory=dict)
    ship_chance: float = 0.95
    max_expected_loss: float = 0.005
    abandon_when_mde_ruled_out: bool = True
    apply_false_win_level: bool = False

    @classmethod
    def from_dict(cls, data) -> DecisionRule:
        """The rule of a JSON object; a field left out takes its default, an unknown field or
        a value out of range is refused (:class:`DecisionRuleError`)."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise DecisionRuleError({"decision_rule": "must be an object"})
        errors: dict[str, str] = {}
        for name in sorted(set(data) - set(_FIELD_CHECKS)):
            errors[name] = "not a field of the decision rule"
        values = {}
        for name, check in _FIELD_CHECKS.items():
            if name not in data:
                continue
            problem = check(data[name])
            if problem:
                errors[name] = problem
            else:
                values[name] = _plain(data[name])
        if errors:
            raise DecisionRuleError(errors)
        return cls(**values)

    def as_dict(self) -> dict:
        return {
            "guardrail_tolerance": self.guardrail_tolerance,
            "guardrail_tolerances": dict(sorted(self.guardrail_tolerances.items())),
            "ship_chance": self.ship_chance,
            "max_expected_loss": self.max_expected_loss,
            "abandon_when_mde_ruled_out": self.abandon_when_mde_ruled_out,
            "apply_false_win_level": self.apply_false_win_level,
        }

    def tolerance_for(self, metric_key: str) -> float:
        return self.guardrail_tolerances.get(metric_key, self.guardrail_tolerance)


def _number_in(low: float, high: float, *, low_open: bool = False):
    def check(value) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "must be a number"
        if not math.isfinite(value) or value > high or value < low or (low_open and value == low):
            return f"must lie in {'(' if low_open else '['}{low:g}, {high:g}]"
        return None

    return check


def _tolerance_map(value) -> str | None:
    if not isinstance(value, dict):
        return "must be an object of metric key → tolerance"
    for key, tolerance in value.items():
        problem = _TOLERANCE(tolerance)
        if problem:
            return f"{key}: {problem}"
    return None


def _boolean(value) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _plain(value):
    if isinstance(value, dict):
        return {str(k): float(v) for k, v in value.items()}
    return value if isinstance(value, bool) else float(value)


_TOLERANCE = _number_in(0.0, 0.99)
_FIELD_CHECKS = {
    "guardrail_tolerance": _TOLERANCE,
    "guardrail_tolerances": _tolerance_map,
    "ship_chance": _number_in(0.5, 0.9999, low_open=True),
    "max_expected_loss": _number_in(0.0, 0.99),
    "abandon_when_mde_ruled_out": _boolean,
    "apply_false_win_level": _boolean,
}
