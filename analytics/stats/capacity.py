"""A segment's traffic as a shared resource: when can each queued experiment run?

A segment has ``reach`` people a day. Experiments already running hold their daily traffic for
the days they have left. Queued experiments, in priority order, each need ``daily`` people a
day for ``days`` days; each is placed at the earliest day from which the traffic left over by
everything placed before it covers its need for its whole run:

    start_i = min{ t ≥ 0 : used(d) + daily_i ≤ reach for every d in [t, t + days_i) }

so an experiment lower in the queue may start earlier only where it delays none above it
(list scheduling on a resource profile). An experiment that wants more than the whole reach
gets all of it for proportionally longer: ``days' = ⌈daily·days / reach⌉``, ``daily' = reach``.
Days are whole days counted from today (day 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._arrays import floats, require_finite, require_non_negative, require_positive


@dataclass(frozen=True)
class SegmentPlan:
    """Per queued experiment (in the order given): the daily traffic and days it runs with,
    its start day and the day its sample is reached (start + days); −1 when not planned."""

    daily: np.ndarray
    days: np.ndarray
    start_day: np.ndarray
    end_day: np.ndarray


def _fit_to_reach(daily: np.ndarray, days: np.ndarray, reach: float):
    too_big = daily > reach
    days = np.where(too_big, np.ceil(daily * days / reach - 1e-9), days).astype(np.int64)
    return np.minimum(daily, reach), days


def plan_segment(
    *, reach: float, running_daily, running_days_left, queue_daily, queue_days, horizon_days=None
) -> SegmentPlan:
    """Place each queued experiment (priority order) at its earliest feasible start.

    With ``horizon_days``, only days ``[0, horizon)`` are planned: an experiment that cannot
    finish inside them is left unplanned (start and end −1) and takes no traffic.
    """
    reach = float(floats("reach", reach))
    if not reach > 0:
        raise ValueError("reach: must be positive")
    running_daily = np.atleast_1d(floats("running_daily", running_daily))
    running_days = np.atleast_1d(floats("running_days_left", running_days_left))
    queue_daily = np.atleast_1d(floats("queue_daily", queue_daily))
    queue_days = np.atleast_1d(floats("queue_days", queue_days))
    for name, array in [
        ("running_daily", running_daily),
        ("running_days_left", running_days),
        ("queue_daily", queue_daily),
        ("queue_days", queue_days),
    ]:
        require_finite(name, array)
        require_non_negative(name, array)
    if running_daily.shape != running_days.shape or queue_daily.shape != queue_days.shape:
        raise ValueError("each daily array needs a days array of the same length")
    if queue_daily.size:
        require_positive("queue_daily", queue_daily)
        require_positive("queue_days", queue_days)

    running_daily, running_days = _fit_to_reach(running_daily, np.ceil(running_days), reach)
    daily, days = _fit_to_reach(queue_daily, np.ceil(queue_days), reach)
    if horizon_days is None:
        horizon = int(running_days.max(initial=0) + days.sum() + 1)
    else:
        horizon = int(horizon_days)
    used = np.zeros(horizon)
    for need, left in zip(running_daily, running_days, strict=True):
        used[: int(min(left, horizon))] += need
    starts = np.full(daily.size, -1, dtype=np.int64)
    tolerance = 1e-9 * reach
    for i, (need, length) in enumerate(zip(daily, days, strict=True)):
        length = int(length)
        if length > horizon:
            continue
        # Days already too full for it; a start t works when none of [t, t + length) is.
        full = np.concatenate(([0], np.cumsum(used + need > reach + tolerance)))
        fits = np.flatnonzero(full[length:] == full[:-length])
        if fits.size == 0:
            continue
        t = int(fits[0])
        used[t : t + length] += need
        starts[i] = t
    ends = np.where(starts >= 0, starts + days, -1)
    return SegmentPlan(daily=daily, days=days, start_day=starts, end_day=ends)
