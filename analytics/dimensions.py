"""The dimensions results may be sliced by (``device``, ``country``, ``channel``, …).

One list for the whole organisation, ``settings.RESULT_DIMENSIONS`` (the environment's
``RESULT_DIMENSIONS``, comma-separated): an uploaded row may name one of them, and the results
by dimension read one of them. A dimension not on the list is refused with the list, so a
misspelt one (``devise``) never becomes a slice nobody reads.
"""

import re

from django.conf import settings

# A dimension's key: lower-case letters, digits and underscores, as in a column name.
DIMENSION_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}", re.ASCII)
MAX_VALUE_LENGTH = 64  # Observation.dimension_value


def known_dimensions() -> list[str]:
    """The dimensions of ``settings.RESULT_DIMENSIONS`` that are valid keys, in its order."""
    return [d for d in settings.RESULT_DIMENSIONS if DIMENSION_KEY.fullmatch(d)]


def dimension_refusal(dimension: str) -> str | None:
    """Why ``dimension`` cannot slice results, or None when it can."""
    known = known_dimensions()
    if dimension in known:
        return None
    listed = ", ".join(known) if known else "none are configured"
    return (
        f"“{dimension[:40]}” is not a dimension results are sliced by (the known ones: {listed}; "
        "the list is the RESULT_DIMENSIONS setting)."
    )


def dimension_value_refusal(value: str) -> str | None:
    """Why ``value`` cannot be a dimension's value (``mobile``), or None when it can."""
    if not value:
        return "is required with a dimension (the slice's value, such as “mobile”)"
    if len(value) > MAX_VALUE_LENGTH:
        return f"is longer than {MAX_VALUE_LENGTH} characters"
    if not value.isprintable():
        return "has control characters"
    return None


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def row_slice(row: dict, bad) -> tuple[str, str]:
    """An uploaded row's slice (``("device", "mobile")``), or ``("", "")`` for the overall row
    (neither field given). ``bad(field, message)`` hears each problem."""
    dimension, value = row.get("dimension"), row.get("dimension_value")
    if _blank(dimension) and _blank(value):
        return "", ""
    if _blank(dimension):
        bad("dimension", "is required with a dimension_value (which dimension is it a value of?)")
        return "", ""
    if not isinstance(dimension, str):
        bad("dimension", "must be text, the dimension's name (such as “device”)")
        return "", ""
    if reason := dimension_refusal(dimension.strip()):
        bad("dimension", reason)
        return "", ""
    if not _blank(value) and not isinstance(value, str):
        bad("dimension_value", "must be text (such as “mobile”)")
        return "", ""
    value = (value or "").strip()
    if reason := dimension_value_refusal(value):
        bad("dimension_value", reason)
        return "", ""
    return dimension.strip(), value
