"""Boundary checks and small array helpers shared by the engine's modules.

Every public function converts its inputs with :func:`floats` and checks them with the
``require_*`` helpers, so a bad array fails loudly with the argument's name instead of
silently producing NaN further down.
"""

from __future__ import annotations

import numpy as np


def floats(name: str, values) -> np.ndarray:
    """Return ``values`` as a float64 array; refuse anything that is not numeric."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: must be numeric") from exc
    return array


def require_finite(name: str, array: np.ndarray) -> None:
    if not np.isfinite(array).all():
        raise ValueError(f"{name}: must be finite")


def require_non_negative(name: str, array: np.ndarray) -> None:
    # `not (a >= 0).all()` also rejects NaN.
    if not (array >= 0).all():
        raise ValueError(f"{name}: must not be negative")


def require_positive(name: str, array: np.ndarray) -> None:
    if not (array > 0).all():
        raise ValueError(f"{name}: must be positive")


def require_at_least(name: str, array: np.ndarray, minimum: float) -> None:
    if not (array >= minimum).all():
        raise ValueError(f"{name}: must be at least {minimum:g}")


def require_open_unit(name: str, array: np.ndarray) -> None:
    if not ((array > 0) & (array < 1)).all():
        raise ValueError(f"{name}: must be between 0 and 1 (exclusive)")


def dense_groups(name: str, group_ids, size: int) -> tuple[np.ndarray, int]:
    """Map arbitrary integer group ids to ``0..G-1`` in ascending id order.

    ``None`` means one group. Ids that already are ``0..G-1`` (in any order) are used as they
    are, without a copy — a batch numbered experiment by experiment costs two passes.
    """
    if group_ids is None:
        return np.zeros(size, dtype=np.intp), 1
    ids = np.asarray(group_ids)
    if ids.shape != (size,):
        raise ValueError(f"{name}: must have one id per element ({ids.shape} vs ({size},))")
    if size == 0:
        return np.zeros(0, dtype=np.intp), 0
    if not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"{name}: must be integers")
    low, high = int(ids.min()), int(ids.max())
    if low >= 0 and high < 4 * size + 1024:
        present = np.bincount(ids, minlength=high + 1) > 0
        if present.all():
            return ids.astype(np.intp, copy=False), high + 1
        dense = np.cumsum(present) - 1
        return dense[ids], int(dense[-1]) + 1
    _, dense = np.unique(ids, return_inverse=True)
    return dense.astype(np.intp, copy=False), int(dense.max()) + 1
