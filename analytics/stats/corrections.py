"""Multiple-comparison adjustments within each experiment (docs/statistics.md).

With the m defined p-values of one family sorted ascending, ``p_(1) ≤ … ≤ p_(m)``:

    Holm:               p̃_(i) = min(1, max_{j ≤ i} (m − j + 1)·p_(j))
    Benjamini–Hochberg: p̃_(i) = min(1, min_{j ≥ i} p_(j)·m/j)

exactly as statsmodels ``multipletests(method="holm" / "fdr_bh")`` computes them. A family
is every p-value sharing a group id (one experiment × metric). NaN p-values (undefined
comparisons) stay NaN and do not count towards m.
"""

from __future__ import annotations

import numpy as np

from ._arrays import dense_groups, floats

METHODS = ("none", "holm", "benjamini-hochberg")


def _grouped_cummax(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Running maximum that restarts at each group; ``groups`` must be non-decreasing.

    Exact: the running maximum runs over integer keys ``group·n + rank(value)``, so a group's
    keys all exceed every earlier group's and no float offset can blur small p-values.
    """
    size = values.size
    order = np.argsort(values, kind="stable")
    rank = np.empty(size, dtype=np.int64)
    rank[order] = np.arange(size)
    offset = groups.astype(np.int64) * size
    best = np.maximum.accumulate(offset + rank) - offset
    return values[order[best]]


def _adjust(p: np.ndarray, group_ids, method: str) -> np.ndarray:
    out = np.full(p.shape, np.nan)
    defined = np.flatnonzero(~np.isnan(p))
    if defined.size == 0:
        return out
    pv = p[defined]
    groups, count = dense_groups(
        "group_ids", None if group_ids is None else np.asarray(group_ids)[defined], defined.size
    )
    if count == defined.size:  # every family has one comparison: nothing to adjust
        out[defined] = pv
        return out
    order = np.lexsort((pv, groups))
    ps = pv[order]
    gs = groups[order]
    family = np.bincount(gs, minlength=count)
    first = np.cumsum(family) - family
    position = np.arange(ps.size) - first[gs]  # 0-based rank within its family
    m = family[gs].astype(np.float64)
    if method == "holm":
        raw = ps * (m - position)
        adjusted = np.maximum.accumulate(raw) if count == 1 else _grouped_cummax(raw, gs)
    else:
        raw = ps / ((position + 1.0) / m)  # statsmodels divides by the ecdf factor i/m
        backwards = raw[::-1]
        if count == 1:
            adjusted = np.minimum.accumulate(backwards)[::-1]
        else:
            adjusted = -_grouped_cummax(-backwards, (count - 1 - gs)[::-1])[::-1]
    adjusted = np.minimum(adjusted, 1.0)
    result = np.empty_like(adjusted)
    result[order] = adjusted
    out[defined] = result
    return out


def holm(p_values, group_ids=None) -> np.ndarray:
    """Holm step-down adjusted p-values, within each group id."""
    return adjust_p_values(p_values, "holm", group_ids)


def benjamini_hochberg(p_values, group_ids=None) -> np.ndarray:
    """Benjamini–Hochberg step-up adjusted p-values, within each group id."""
    return adjust_p_values(p_values, "benjamini-hochberg", group_ids)


def adjust_p_values(p_values, method: str = "none", group_ids=None) -> np.ndarray:
    """Adjusted p-values; ``method`` is one of :data:`METHODS`. Output order = input order."""
    if method not in METHODS:
        raise ValueError(f"method: must be one of {', '.join(METHODS)} (got {method!r})")
    p = floats("p_values", p_values).ravel()
    if not ((p >= 0) & (p <= 1) | np.isnan(p)).all():
        raise ValueError("p_values: must lie in [0, 1] (or be NaN for undefined)")
    if group_ids is not None and np.asarray(group_ids).shape != p.shape:
        raise ValueError("group_ids: must have one id per p-value")
    if method == "none":
        return p.copy()
    return _adjust(p, group_ids, method)


def chance_of_a_false_positive(alpha: float, comparisons: int) -> float:
    """The chance that at least one of ``comparisons`` independent tests at level ``alpha``
    reads "significant" when no difference is real: 1 − (1 − α)^m (uncorrected)."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha: must lie strictly between 0 and 1 (got {alpha!r})")
    if comparisons < 0:
        raise ValueError(f"comparisons: must be 0 or more (got {comparisons!r})")
    return 1.0 - (1.0 - alpha) ** comparisons
