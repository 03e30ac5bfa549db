from django import template

register = template.Library()


@register.filter
def percent(value, digits=1):
    """0.0234 → "+2.3%"; None → "—" (a lift or its bound)."""
    if value is None:
        return "—"
    return f"{value * 100:+.{int(digits)}f}%"


@register.filter
def metric_value(value, metric):
    """A variant's value as its metric reads: a conversion rate in %, a mean in its unit."""
    if value is None:
        return "—"
    if metric.kind == "binomial":
        return f"{value * 100:.2f}%"
    return f"{value:,.2f}{' ' + metric.unit if metric.unit else ''}"


@register.filter
def chance(value):
    """A probability as a whole percentage ("97 %"); None → "—"."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"


@register.filter
def p_value(value):
    """A p-value to four decimals, and "< 0.0001" below that; None → "—"."""
    if value is None:
        return "—"
    if value < 0.0001:
        return "< 0.0001"
    return f"{value:.4f}"
