"""Keeping the programme's numbers current (docs/portfolio.md, "Freshness").

Every lifecycle step, every new look of results and every acknowledgement reaches
:func:`programme_changed` (through ``experiments.hooks``, registered in ``apps.py``). After
the writer's commit it queues one recompute of today's roll-up rows and the insights that
change, debounced: a cache key marks a recompute as queued, and the events that meet the key
ride on it. The task runs ``REFRESH_DELAY`` seconds later (immediately when tasks run
in-process), so it reads every write that met the key. Beat's nightly roll-ups still run: they
catch what a lost task or a broker that was down missed.

Why one recompute for the whole programme rather than one per objective or segment: every
slice shares the programme row, each team's P(win) and the shrinkage prior, which one decision
moves for all of them; and the whole roll-up costs a fraction of a second (bench/freshness_bench.py).
"""

import contextlib
import functools
import logging
import threading

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from experiments.hooks import Change
from experiments.lifecycle import STEPS
from experiments.models import Experiment, ExperimentStatus

from .insights.registry import INSIGHTS
from .insights.run import insights_run
from .portfolio.rollup import portfolio_rollup_run

log = logging.getLogger(__name__)

QUEUED_KEY = "programme:refresh:queued"
_paused = threading.local()


def refresh_window() -> float:
    """Seconds a queued recompute waits for the events that follow it."""
    return float(settings.PROGRAMME_REFRESH_SECONDS)


# The insights each kind of change moves (the roll-up is recomputed for every one): every step
# moves the capacity plan and the cycle times; completing adds an early call to calibration;
# a decision moves them all; a concluded test's new look moves what reads measured lifts.
EVERY_STEP = ("capacity", "bottlenecks")
INSIGHTS_CHANGED_BY: dict[str, tuple[str, ...] | None] = {
    "complete": (*EVERY_STEP, "calibration"),
    "conclude": None,  # every insight
    "kill": (*EVERY_STEP, "partners"),
    "results": ("calibration", "rechecks", "false-wins", "partners"),
    "economics": None,  # a segment's new economics revalue what its conversions are worth
}


def insights_changed_by(cause: str | None) -> list[str]:
    names = INSIGHTS_CHANGED_BY.get(cause, EVERY_STEP) if cause is not None else None
    return list(INSIGHTS) if names is None else [name for name in names if name in INSIGHTS]


def programme_changed(change: Change | None = None) -> None:
    """Queue the recompute after the current transaction commits (now, outside one), if the
    change moves the programme's numbers."""
    if change is not None and not _moves_the_programme(change):
        return
    names = insights_changed_by(change.cause if change is not None else None)
    if getattr(_paused, "depth", 0):
        _paused.missed = sorted({*getattr(_paused, "missed", ()), *names})
        return
    transaction.on_commit(functools.partial(queue_programme_refresh, names))


def _moves_the_programme(change: Change) -> bool:
    """Every step does (counts, cycle times, forecasts, decisions). Results count only once an
        experiment is concluded (its measured lift, a shipped winner's re-check); a running test's
        new look changes its own page, not the programme's sums. A segment's new economics do: they
    value its experiments' conversions."""
    if change.cause in STEPS or change.cause == "economics":
        return True
    if change.cause == "results":
        decided = Experiment.objects.filter(
            pk__in=change.experiment_ids, status=ExperimentStatus.CONCLUDED
        )
        return decided.exists()
    return False


def queue_programme_refresh(names: list[str] | None = None) -> bool:
    """Queue one recompute of the roll-up and the insights ``names`` (default: all) unless one
    is already queued for each of them; True if this call queued one.

    A key per insight (and one for the roll-up) lives as long as the window and the task waits
    a little longer, so every write that found a key committed before the task reads (true
    with a cache per process too). A broker that is down is logged, not raised: the nightly
    roll-ups catch up.
    """
    window = refresh_window()
    names = list(INSIGHTS) if names is None else names
    timeout = max(window, 1)
    rollup = cache.add(QUEUED_KEY, 1, timeout=timeout)
    fresh = [name for name in names if cache.add(_key(name), 1, timeout=timeout)]
    if not rollup and not fresh:
        return False
    try:
        programme_refresh.apply_async(args=[fresh], countdown=window * 1.5 if window else None)
    except Exception:
        cache.delete_many([QUEUED_KEY, *map(_key, fresh)] if rollup else list(map(_key, fresh)))
        log.warning("Could not queue the programme's recompute.", exc_info=True)
        return False
    return True


def _key(insight: str) -> str:
    return f"{QUEUED_KEY}:{insight}"


@contextlib.contextmanager
def programme_refresh_deferred(*, then_queue: bool = True):
    """Hold the recomputes back while a bulk writer (the demo) works, then queue one (unless
    ``then_queue`` is False: the writer runs the roll-ups itself)."""
    _paused.depth = getattr(_paused, "depth", 0) + 1
    try:
        yield
    finally:
        _paused.depth -= 1
        missed = getattr(_paused, "missed", ())
        if not _paused.depth and missed:
            _paused.missed = ()
            if then_queue:
                transaction.on_commit(functools.partial(queue_programme_refresh, list(missed)))


def programme_refresh_run(names: list[str] | None = None) -> dict:
    """Recompute today's roll-up rows and the insights ``names`` (default: all); what the
    task returns."""
    names = list(INSIGHTS) if names is None else [name for name in names if name in INSIGHTS]
    # Cleared first: a write from now on queues the next recompute instead of riding on this one.
    cache.delete_many([QUEUED_KEY, *map(_key, names)])
    rollup = portfolio_rollup_run()
    insights = insights_run(names=names)
    return {"rollup": rollup, "insights": {name: round(s, 3) for name, s in insights.items()}}


@shared_task(bind=True, name="programme.tasks.programme_refresh")
def programme_refresh(self, names: list[str] | None = None):
    """After a decision, a step or a concluded test's new look (debounced): today's roll-up
    rows and the insights ``names`` (default: all) again. Defined here, beside the queue that
    sends it, so that this module and the tasks module do not import each other."""
    return programme_refresh_run(names)
