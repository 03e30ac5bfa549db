"""Whether a variant's sums can come from real values.

Uploads (``analytics.ingest.observations``) and the JSON contract (``contract``) both take a
variant's data as sums over its n users rather than the values themselves: Σy and Σy² of the
metric and, for CUPED, Σx, Σx² and Σxy of the pre-period covariate. Real values keep two
inequalities (both Cauchy–Schwarz), which these checks ask of every upload and request:

- a variance is never negative: Σy² ≥ (Σy)²/n;
- a correlation lies within ±1: |Σxy − ΣxΣy/n| ≤ √((Σx² − (Σx)²/n)(Σy² − (Σy)²/n)).

Sums of float values meet them only up to rounding, hence one relative slack, ``ROUNDING``.
"""

from __future__ import annotations

import math

ROUNDING = 1e-9


def squares_problem(total: float, squares: float, n: float, *, total_field: str) -> str | None:
    """Why ``squares`` (Σv²) cannot come with ``total`` (Σv) over ``n > 0`` values, or None.

    ``Σv² ≥ (Σv)²/n``, with slack for rounding relative to the larger side (at least 1).
    ``total_field`` names the sum in the message (``sum``, ``covariate_sum``).
    """
    floor = total * total / n
    if squares >= floor - ROUNDING * max(abs(floor), abs(squares), 1.0):
        return None
    return f"must be at least {total_field}²/users (a variance cannot be negative)"


def cross_sum_problem(
    sx: float, sxx: float, sxy: float, sy: float, syy: float, n: float
) -> str | None:
    """Why ``sxy`` (Σxy) cannot come with the other sums over ``n > 0`` users, or None.

    ``|Σxy − ΣxΣy/n| ≤ √((Σx² − (Σx)²/n)(Σy² − (Σy)²/n))``, with slack for rounding relative
    to ``√(Σx²Σy²)`` (at least 1), which bounds both terms of the covariance.
    """
    covariance = sxy - sx * sy / n
    spread = math.sqrt(max(sxx - sx * sx / n, 0.0)) * math.sqrt(max(syy - sy * sy / n, 0.0))
    scale = math.sqrt(max(sxx, 0.0)) * math.sqrt(max(syy, 0.0))
    if abs(covariance) <= spread + ROUNDING * max(scale, 1.0):
        return None
    return "is inconsistent with the other sums (a correlation beyond ±1)"
