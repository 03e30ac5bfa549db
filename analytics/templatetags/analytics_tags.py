from django import template

register = template.Library()


@register.filter
def percent(value, digits=1):
    """0.0234 → "+2.3%"; None → "—" (a lift or its bound)."""
    if value is None:
        return "—"
    return f"{value * 100:+.{int(digits)}f}%"
