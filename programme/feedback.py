"""What the programme does after a lifecycle step (registered in ``programme/apps.py`` through
``experiments.hooks``, which runs it inside the step's transaction)."""

from .notices import notify_author_of_step
from .postmortems import postmortem_open


def after_step(experiment, change) -> None:
    """Approval and start: the idea's author hears of them."""
    notify_author_of_step(experiment, change)


def after_decision(experiment, change) -> None:
    """Conclude and kill: a post-mortem opens, and the idea's author hears the decision."""
    postmortem_open(experiment, change)
    notify_author_of_step(experiment, change)
