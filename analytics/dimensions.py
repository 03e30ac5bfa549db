"""The dimensions results may be sliced by (``device``, ``country``, ``channel``, …).

An uploaded row may name a dimension of the organisation's list, ``settings.RESULT_DIMENSIONS``
(the environment's ``RESULT_DIMENSIONS``, comma-separated). A warehouse refresh writes the
dimensions its data source chooses among its exposure table's columns (``dimension_columns``,
docs/warehouse.md), whatever the list says. An experiment's results may be read by any
dimension of the list or of its stored rows (:func:`experiment_dimensions`). A dimension not
allowed is refused with the allowed ones, so a misspelt one (``devise``) never becomes a slice
nobody reads.
"""

import re

from django.conf import settings
from django.db import connection

from .models import Observation

# A dimension's key: lower-case letters, digits and underscores, as in a column name.
DIMENSION_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}", re.ASCII)
MAX_VALUE_LENGTH = 64  # Observation.dimension_value


def known_dimensions() -> list[str]:
    """The dimensions of ``settings.RESULT_DIMENSIONS`` that are valid keys, in its order."""
    return [d for d in settings.RESULT_DIMENSIONS if DIMENSION_KEY.fullmatch(d)]


# The distinct dimensions of an experiment's rows, one probe of the (experiment, dimension)
# index per dimension (a "loose index scan"): a DISTINCT would read every slice row, tens of
# thousands for a month of a few dimensions (10× slower on 24,000 rows).
_STORED_DIMENSIONS = """
WITH RECURSIVE found(dimension) AS (
    SELECT (SELECT dimension FROM {table} WHERE experiment_id = %s AND dimension > ''
            ORDER BY dimension LIMIT 1)
    UNION ALL
    SELECT (SELECT dimension FROM {table} WHERE experiment_id = %s AND dimension > found.dimension
            ORDER BY dimension LIMIT 1)
    FROM found WHERE found.dimension IS NOT NULL
)
SELECT dimension FROM found WHERE dimension IS NOT NULL
"""


def stored_dimensions(experiment_id: int) -> list[str]:
    """The dimensions of ``experiment_id``'s stored slice rows (uploaded or refreshed), in
    the list's order, then any other (a data source's own) by name."""
    table = connection.ops.quote_name(Observation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_STORED_DIMENSIONS.format(table=table), [experiment_id, experiment_id])
        stored = {dimension for (dimension,) in cursor.fetchall()}
    known = known_dimensions()
    return [d for d in known if d in stored] + sorted(stored - set(known))


def experiment_dimensions(experiment_id: int) -> list[str]:
    """The dimensions ``experiment_id``'s results may be read by: those of its stored rows
    first, then the rest of the organisation's list (no rows yet: an answer with no slices)."""
    stored = stored_dimensions(experiment_id)
    return stored + [d for d in known_dimensions() if d not in stored]


def dimension_refusal(dimension: str, allowed: list[str] | None = None) -> str | None:
    """Why ``dimension`` cannot slice results, or None when it can: ``allowed`` (an
    experiment's dimensions) or, by default, the organisation's list (uploads)."""
    known = known_dimensions() if allowed is None else allowed
    if dimension in known:
        return None
    listed = ", ".join(known) if known else "none are configured"
    where = (
        "the list is the RESULT_DIMENSIONS setting"
        if allowed is None
        else "the RESULT_DIMENSIONS setting's and those of the experiment's stored rows"
    )
    return (
        f"“{dimension[:40]}” is not a dimension results are sliced by (the known ones: {listed}; "
        f"{where})."
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


def row_slice(row: dict, bad, allowed: list[str] | None = None) -> tuple[str, str]:
    """An uploaded row's slice (``("device", "mobile")``), or ``("", "")`` for the overall row
    (neither field given). ``bad(field, message)`` hears each problem; the dimension must be
    one of ``allowed`` (by default the organisation's list)."""
    dimension, value = row.get("dimension"), row.get("dimension_value")
    if _blank(dimension) and _blank(value):
        return "", ""
    if _blank(dimension):
        bad("dimension", "is required with a dimension_value (which dimension is it a value of?)")
        return "", ""
    if not isinstance(dimension, str):
        bad("dimension", "must be text, the dimension's name (such as “device”)")
        return "", ""
    if reason := dimension_refusal(dimension.strip(), allowed):
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
