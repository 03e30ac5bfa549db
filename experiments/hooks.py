"""What apps above this one do after a lifecycle step or a triage, in the same transaction.

The programme opens a post-mortem when an experiment is concluded or killed and tells a
hypothesis's author what became of their idea; this app may not import it, so it registers its
hooks here when it is ready (``programme/apps.py``). A hook that raises undoes the step.
"""

from collections.abc import Callable

from .models import Experiment, Hypothesis, StatusChange

AfterStep = Callable[[Experiment, StatusChange], None]
AfterTriage = Callable[[Hypothesis, object], None]

AFTER_STEP: dict[str, list[AfterStep]] = {}
AFTER_TRIAGE: list[AfterTriage] = []


def register_after_step(step_name: str, hook: AfterStep) -> None:
    """Run ``hook(experiment, status_change)`` after each ``step_name``; twice is a no-op."""
    hooks = AFTER_STEP.setdefault(step_name, [])
    if hook not in hooks:
        hooks.append(hook)


def register_after_triage(hook: AfterTriage) -> None:
    """Run ``hook(hypothesis, actor)`` after a triage moved a hypothesis; twice is a no-op."""
    if hook not in AFTER_TRIAGE:
        AFTER_TRIAGE.append(hook)


def step_taken(step_name: str, experiment: Experiment, change: StatusChange) -> None:
    for hook in AFTER_STEP.get(step_name, ()):
        hook(experiment, change)


def hypothesis_triaged(hypothesis: Hypothesis, actor) -> None:
    for hook in AFTER_TRIAGE:
        hook(hypothesis, actor)
