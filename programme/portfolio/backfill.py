"""The days before the first roll-up (docs/portfolio.md, "Backfill").

A new installation, or the demo, has months of audit trail and no stored roll-up: the
objective charts would show one point. :func:`portfolio_backfill` stores, for each past day
without rows, the programme's and each objective's row as the nightly roll-up would have
stored it that evening: each experiment in the status its audit trail gives at the end of
that day, counted in flight, concluded or scaled from then on. Impacts are valued as today
(the lift that counts now, today's P(win)); a day that already has rows is left alone.
"""

import bisect
import datetime as dt
import time
from dataclasses import replace

from django.utils import timezone

from experiments.models import IN_FLIGHT, Experiment, Objective, Segment, StatusChange

from ..models import PortfolioRollup
from .impact import forecast_impact
from .rollup import (
    STAGE_STEPS,
    STAGES,
    VELOCITY_DAYS,
    _add_realised,
    _add_realised_shrunk,
    _Experiment,
    _experiments,
    _slice_numbers,
    _start_of,
    _win_probabilities,
)
from .shrinkage import lifts_that_count

Dimension = PortfolioRollup.Dimension


class _Timeline:
    """One experiment's statuses over time and the first time of each stage's steps."""

    def __init__(self, created_at: dt.datetime):
        self.created_at = created_at
        self.times: list[dt.datetime] = []
        self.statuses: list[str] = []
        self.firsts: dict[str, dt.datetime] = {}

    def status_before(self, moment: dt.datetime) -> str | None:
        """The status at ``moment``; None before the experiment existed."""
        if self.created_at >= moment:
            return None
        at = bisect.bisect_left(self.times, moment)
        return self.statuses[at - 1] if at else "draft"


def portfolio_backfill(*, days: int = 365, today: dt.date | None = None) -> dict:
    """Store the programme and objective rows of the ``days`` days before ``today`` that have
    none; returns a summary (days written, rows, seconds)."""
    started = time.perf_counter()
    today = today or timezone.localdate()
    experiments = _valued_experiments()
    timelines = _timelines()
    objectives = dict(Objective.objects.values_list("pk", "name"))
    taken = set(
        PortfolioRollup.objects.filter(
            computed_on__lt=today, computed_on__gte=today - dt.timedelta(days=days)
        ).values_list("computed_on", flat=True)
    )
    rows = []
    for back in range(days, 0, -1):
        day = today - dt.timedelta(days=back)
        if day in taken:
            continue
        members = _as_of(experiments, timelines, day)
        slices = {(Dimension.PROGRAMME, "all"): (Dimension.PROGRAMME.label, members)}
        for pk, name in objectives.items():
            mine = [e for e in members if e.objective_id == pk]
            slices[(Dimension.OBJECTIVE, str(pk))] = (name, mine)
        rows.extend(
            PortfolioRollup(
                computed_on=day, dimension=dim, key=key, label=label, data=_slice_numbers(group)
            )
            for (dim, key), (label, group) in slices.items()
        )
    PortfolioRollup.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    return {
        "days": len({row.computed_on for row in rows}),
        "rows": len(rows),
        "seconds": round(time.perf_counter() - started, 3),
    }


def _valued_experiments() -> dict[int, _Experiment]:
    """Every experiment with its forecast (whatever its status now) and, if scaled, its
    realised impact, valued as the roll-up values them today."""
    segments = {s.pk: s for s in Segment.objects.all()}
    experiments = _experiments(segments)
    p_win_by_team = _win_probabilities(experiments.values())
    for e in experiments.values():
        e.forecast = forecast_impact(
            e.model, p_win=p_win_by_team[e.team_id], expected_lift=e.expected_lift
        )
    counted = lifts_that_count()
    _add_realised(experiments, counted)
    _add_realised_shrunk(experiments, counted)
    return experiments


def _timelines() -> dict[int, _Timeline]:
    """Each experiment's audit trail, read in one pass (two queries)."""
    timelines = {
        pk: _Timeline(created_at)
        for pk, created_at in Experiment.objects.values_list("pk", "created_at")
    }
    trail = StatusChange.objects.order_by("created_at", "id").values_list(
        "experiment_id", "step", "to_status", "created_at"
    )
    for experiment_id, step, status, at in trail.iterator(chunk_size=5000):
        timeline = timelines[experiment_id]
        timeline.times.append(at)
        timeline.statuses.append(status)
        if step in STAGE_STEPS:
            timeline.firsts.setdefault(step, at)
    return timelines


def _as_of(experiments, timelines, day: dt.date) -> list[_Experiment]:
    """The experiments that existed at the end of ``day``, each as it stood then."""
    end = _start_of(day + dt.timedelta(days=1))
    window = _start_of(day - dt.timedelta(days=VELOCITY_DAYS - 1))
    members = []
    for pk, timeline in timelines.items():
        status = timeline.status_before(end)
        e = experiments.get(pk)
        if status is None or e is None:
            continue
        done = {step: at for step, at in timeline.firsts.items() if at < end}
        stage_days = {
            stage: (done[closed] - done[opened]).total_seconds() / 86400
            for stage, opened, closed in STAGES
            if opened in done and closed in done and done[closed] >= done[opened]
        }
        members.append(
            replace(
                e,
                status=status,
                stage_days=stage_days,
                started_recently=done.get("start", end) >= window and "start" in done,
                concluded_recently=done.get("conclude", end) >= window and "conclude" in done,
                forecast=e.forecast if status in IN_FLIGHT else None,
            )
        )
    return members
