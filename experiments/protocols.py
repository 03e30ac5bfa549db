"""Templates (protocols) and decision rules as the design services apply them
(docs/decisions.md): what a design made from a template starts with, which of its fields the
template locks, and a decision rule checked and written in its full form.
"""

from analytics.stats.decision_rule import DecisionRule, DecisionRuleError
from growthops.errors import ValidationFailed

from .models import LOCKABLE_FIELDS, Experiment, ExperimentTemplate, Metric

MANY_TO_MANY = ("secondary_metrics", "guardrail_metrics")


def normalized_rule(value) -> dict:
    """The decision rule as stored: every field, defaults filled in; refused (400) when a
    field is unknown or out of range, or names a guardrail metric that does not exist."""
    try:
        rule = DecisionRule.from_dict(value)
    except DecisionRuleError as exc:
        raise ValidationFailed(
            {"decision_rule": [f"{name}: {problem}" for name, problem in exc.errors.items()]}
        ) from exc
    keys = set(rule.guardrail_tolerances)
    unknown = keys - set(Metric.objects.filter(key__in=keys).values_list("key", flat=True))
    if unknown:
        raise ValidationFailed(
            {"decision_rule": [f"guardrail_tolerances: no metric “{k}”" for k in sorted(unknown)]}
        )
    return rule.as_dict()


def locked_fields_problems(value) -> dict[str, str]:
    """``locked_fields`` must be a list of the fields a template can lock."""
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        return {"locked_fields": "Give a list of field names."}
    unknown = sorted(set(value) - set(LOCKABLE_FIELDS))
    if unknown:
        return {
            "locked_fields": f"{', '.join(unknown)} cannot be locked; lockable: "
            f"{', '.join(LOCKABLE_FIELDS)}."
        }
    return {}


def template_design(template: ExperimentTemplate) -> dict:
    """The design fields a design made from ``template`` starts with (its unset ones left out)."""
    design = {
        name: getattr(template, name)
        for name in LOCKABLE_FIELDS
        if name not in MANY_TO_MANY and getattr(template, name) is not None
    }
    for name in MANY_TO_MANY:
        design[name] = list(getattr(template, name).all())
    return design


def locked_changes(template: ExperimentTemplate | None, current: dict, wanted: dict) -> dict:
    """Why each locked field in ``wanted`` may not take its value: it must keep ``current``'s
    (the template's, or the design's as saved). Empty when nothing locked changes."""
    if template is None:
        return {}
    problems = {}
    for name in set(template.locked_fields) & set(wanted):
        if not _same(wanted[name], current.get(name)):
            problems[name] = (
                f"Locked by the template “{template.name}”: it stays {_shown(current.get(name))}."
            )
    return problems


def current_design(experiment: Experiment, names) -> dict:
    """The saved values of the design fields ``names`` (metric sets as lists)."""
    return {
        name: list(getattr(experiment, name).all())
        if name in MANY_TO_MANY
        else getattr(experiment, name)
        for name in names
    }


def _same(a, b) -> bool:
    if isinstance(a, list | tuple | set) or isinstance(b, list | tuple | set):
        return {_key(x) for x in a or []} == {_key(x) for x in b or []}
    if isinstance(a, dict) or isinstance(b, dict):
        return _rule_or_none(a) == _rule_or_none(b)
    return _key(a) == _key(b)


def _key(value):
    return getattr(value, "pk", value)


def _rule_or_none(value):
    try:
        return DecisionRule.from_dict(value).as_dict()
    except DecisionRuleError:
        return value


def _shown(value) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "empty"
    if isinstance(value, dict):
        return "the template's rule"
    return "empty" if value is None or value == "" else str(value)
