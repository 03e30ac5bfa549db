"""What an experiment needs next, in a few words, said to whoever reads it (the experiment list,
the dashboard's "My experiments", the operator's digest): by status; for a running test by its
decision rule's verdict; to the CMO, a design in review or a completed test is theirs to take.
"""

from roles.capabilities import can

from .decisions import experiment_reading, latest_looks
from .models import LIVE, ExperimentStatus

NEXT_STEPS = {
    ExperimentStatus.DRAFT: "Finish the design and send it for review",
    ExperimentStatus.IN_REVIEW: "Waiting for the CMO's review",
    ExperimentStatus.APPROVED: "Start it",
    ExperimentStatus.PAUSED: "Resume or complete it",
    ExperimentStatus.COMPLETED: "Waiting for the CMO's decision",
    ExperimentStatus.CONCLUDED: "Done — read its learnings",
    ExperimentStatus.KILLED: "Stopped",
}
# The step said instead to whoever holds the ability to take it (the CMO).
NEXT_STEPS_FOR_DECIDER = {
    ExperimentStatus.IN_REVIEW: ("experiments.review", "Review it: approve or send back"),
    ExperimentStatus.COMPLETED: ("experiments.conclude", "Decide: scale, iterate or abandon"),
}


def next_step(experiment, reading, *, user, unresolved_srm_p=None) -> str:
    if unresolved_srm_p is not None and experiment.status in LIVE:
        return "Check how users are assigned and counted (sample-ratio mismatch)"
    if experiment.status in NEXT_STEPS_FOR_DECIDER:
        ability, step = NEXT_STEPS_FOR_DECIDER[experiment.status]
        if can(user, ability, experiment):
            return step
    if experiment.status != ExperimentStatus.RUNNING:
        return NEXT_STEPS.get(experiment.status, "")
    if reading is None:
        return "Keep running"
    verdict = reading.verdict
    if verdict.action == "keep_running":
        return "Keep running"
    return f"Complete it — the rule says {verdict.label.lower()}"


def next_steps_for(experiments, *, user) -> dict[int, str]:
    """Each experiment's next step said to ``user``, by id (their latest looks in one query;
    the caller prefetches variants and guardrail metrics, which the verdict reads)."""
    experiments = list(experiments)
    looks = latest_looks(experiments)
    steps = {}
    for experiment in experiments:
        look = looks.get(experiment.pk)
        running = experiment.status == ExperimentStatus.RUNNING  # the only step the verdict sets
        steps[experiment.pk] = next_step(
            experiment,
            experiment_reading(experiment, look) if running else None,
            user=user,
            unresolved_srm_p=look.unresolved_srm_p if look else None,
        )
    return steps
