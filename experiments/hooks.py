"""What the apps above this one do when experiments change, in the writer's transaction.

This app may not import the apps above it, so they hand over their hooks when they are ready
(``AppConfig.ready``), and this app's writers call them. Three kinds, one place:

- **after a step** (:func:`register_after_step`): the programme opens a post-mortem when an
  experiment is concluded or killed, and tells an idea's author what became of it;
- **after a triage** (:func:`register_after_triage`): the author hears that their idea moved;
- **on any change** (:func:`register_change_listener`): a step, an upload's fresh results, an
  acknowledgement or a segment's economics changed what the apps above read — the analytics
  app resolves the alerts whose cause ended, the programme queues its recompute after commit
  (``programme/freshness.py``).

Every hook runs inside the writer's transaction: a hook that raises undoes the write.
Registering the same hook twice is a no-op.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .models import Experiment, Hypothesis, StatusChange


@dataclass(frozen=True)
class Change:
    """What happened: ``cause`` is a step's name (``conclude``, ``kill`` …), ``results`` (a
    new look was analysed), ``srm_acknowledged``, ``observations`` or ``economics`` (a segment's
    economics arrived; the ids are its experiments')."""

    experiment_ids: tuple[int, ...]
    cause: str


AfterStep = Callable[[Experiment, StatusChange], None]
AfterTriage = Callable[..., None]  # hook(*, hypothesis, actor)
Listener = Callable[[Change], None]

AFTER_STEP: dict[str, list[AfterStep]] = {}
AFTER_TRIAGE: list[AfterTriage] = []
CHANGE_LISTENERS: list[Listener] = []


def _add(hooks: list, hook) -> None:
    if hook not in hooks:
        hooks.append(hook)


def register_after_step(step_name: str, hook: AfterStep) -> None:
    """Run ``hook(experiment, status_change)`` after each ``step_name``."""
    _add(AFTER_STEP.setdefault(step_name, []), hook)


def register_after_triage(hook: AfterTriage) -> None:
    """Run ``hook(hypothesis=…, actor=…)`` after a triage moved a hypothesis."""
    _add(AFTER_TRIAGE, hook)


def register_change_listener(listener: Listener) -> None:
    """Call ``listener(change)`` on every change to experiments."""
    _add(CHANGE_LISTENERS, listener)


def step_taken(step_name: str, experiment: Experiment, change: StatusChange) -> None:
    """A lifecycle step happened: its own hooks first, then every change listener."""
    for hook in AFTER_STEP.get(step_name, ()):
        hook(experiment, change)
    experiments_changed([experiment.pk], cause=step_name)


def hypothesis_triaged(*, hypothesis: Hypothesis, actor) -> None:
    """A triage moved ``hypothesis`` (the row already saved, so the hooks read no row again)."""
    for hook in AFTER_TRIAGE:
        hook(hypothesis=hypothesis, actor=actor)


def experiments_changed(experiment_ids: Iterable[int], *, cause: str) -> None:
    """Tell every change listener; call it inside the transaction that made the change."""
    change = Change(experiment_ids=tuple(sorted(set(experiment_ids))), cause=cause)
    if not change.experiment_ids:
        return
    for listener in CHANGE_LISTENERS:
        listener(change)
