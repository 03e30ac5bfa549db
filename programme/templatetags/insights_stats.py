"""Formats of the calibration, false-wins and partners pages."""

from django import template

register = template.Library()


@register.filter
def share(value, digits=0):
    """0.254 → "25 %"; None → "—" (a rate or a probability)."""
    if value is None:
        return "—"
    return f"{value * 100:.{int(digits)}f}\u00a0%"  # no break between number and sign


@register.filter
def amount(value):
    """12345.6 → "12,346"; None → "—" (money or impact, whole units)."""
    if value is None:
        return "—"
    return f"{value:,.0f}"
