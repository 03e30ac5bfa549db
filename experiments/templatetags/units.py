"""``{{ value|in_unit:objective }}``: a figure as its objective's unit reads (``experiments.units``)."""

from django import template

from ..units import format_in_unit, format_money, unit_code

register = template.Library()


def _unit(objective_or_unit) -> str:
    return getattr(objective_or_unit, "unit", objective_or_unit)


@register.filter
def in_unit(value, objective_or_unit) -> str:
    """``value`` in the unit of an objective (or a unit's code: "currency", "count")."""
    return format_in_unit(value, _unit(objective_or_unit))


@register.filter
def in_unit_signed(value, objective_or_unit) -> str:
    """The same with a + before a rise: for impacts and differences."""
    return format_in_unit(value, _unit(objective_or_unit), signed=True)


@register.filter
def unit_of(objective_or_unit) -> str:
    """The unit's code: "EUR", "count" or "%"."""
    return unit_code(_unit(objective_or_unit))


@register.filter
def money(value, digits=0) -> str:
    """An amount in the reporting currency: ``{{ cost|money }}`` → "€12,000"; ``money:4`` for
    a value per person."""
    return format_money(value, digits=int(digits))
