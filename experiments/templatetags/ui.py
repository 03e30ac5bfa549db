"""Small helpers for the Bootstrap look: form widgets with the right classes, page links."""

import datetime as dt

from django import forms, template
from django.utils import timezone
from django.utils.formats import date_format

from ..scores import ice_band
from ..stages import stage_label as _stage_label

register = template.Library()

_CHECK_WIDGETS = (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)


def widget_class(field) -> str:
    """The Bootstrap class a bound field's widget needs (plus ``is-invalid`` when it has errors)."""
    widget = field.field.widget
    if isinstance(widget, _CHECK_WIDGETS):
        css = "form-check-input"
    elif isinstance(widget, forms.Select):
        css = "form-select"
    elif isinstance(widget, forms.HiddenInput):
        return ""
    else:
        css = "form-control"
    return f"{css} is-invalid" if field.errors else css


@register.simple_tag
def widget(field, **attrs):
    """Render ``field``'s widget with Bootstrap classes and its help/error ids for screen readers."""
    classes = " ".join(c for c in (widget_class(field), attrs.pop("class", "")) if c)
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}_help")
    if field.errors:
        described.append(f"{field.auto_id}_errors")
    final = {"class": classes, **attrs}
    if described:
        final["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=final)


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with ``changes`` applied (``None`` drops a key): for page links."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def score_inputs(context, hypothesis):
    """(name, label, value, min, max) of the inline score form: what was typed, else the scores."""
    form = context.get("score_form")
    fields = [
        ("impact", "Impact", 1, 10),
        ("confidence", "Confidence", 1, 10),
        ("ease", "Ease", 1, 10),
        ("reach", "Reach", 0, None),
        ("effort", "Effort", 0.1, None),
    ]
    rows = []
    for name, label, low, high in fields:
        value = form[name].value() if form is not None else getattr(hypothesis, name)
        rows.append((name, label, value, low, high))
    return rows


@register.filter
def get(mapping, key):
    """``mapping[key]``, or None: for dicts keyed by a field name (``missing|get:field.name``)."""
    return (mapping or {}).get(key)


@register.filter
def ice_score_classes(score) -> str:
    """The classes of an ICE score's badge: ``score``, and its colour band when it has one."""
    band = ice_band(score)
    return f"score score-{band}" if band else "score"


@register.filter
def stage_label(stage) -> str:
    """A hypothesis's stage in words (``experiments.stages``)."""
    return _stage_label(stage)


@register.filter
def signed_percent(value):
    """0.0234 → "+2.3%"; None → "—" (a lift or a bound of its interval)."""
    if value is None:
        return "—"
    return f"{value * 100:+.1f}%"


@register.filter
def progress_percent(share):
    """Users ÷ planned sample as a whole percentage ("64%"); past the plan it says so."""
    if share is None:
        return "—"
    return f"{share * 100:.0f}%"


@register.filter
def thousands(value):
    """12345 → "12,345"; None → "—"."""
    if value is None:
        return "—"
    return f"{value:,}"


@register.filter
def reach_share(share):
    """The share of a segment's daily reach a test (or all of them) takes: "38.0%"; beyond the
    whole reach it is not a percentage worth printing ("1,332,143 %") but a flag:
    "over its reach (13,321×)"; None → "—"."""
    if share is None:
        return "—"
    if share > 1:
        return (
            f"over its reach ({share:,.0f}×)" if share >= 10 else f"over its reach ({share:.1f}×)"
        )
    return f"{share * 100:.1f}%"


@register.filter
def over_reach(share) -> bool:
    return share is not None and share > 1


# One format per kind of moment, on every page: a day "6 Dec 2026", a moment "6 Dec 2026 14:05".
DAY_FORMAT = "j M Y"
MOMENT_FORMAT = "j M Y H:i"


@register.filter
def day(value):
    """A date, a datetime or an ISO date string (stored insight data) as "6 Dec 2026"; None or
    "" → "—"."""
    if value in (None, ""):
        return "—"
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return date_format(value, DAY_FORMAT)
