"""The experiment lifecycle (docs/architecture.md, "Lifecycle"): one transition table and one service per step.

Every step runs in a transaction on a row locked with ``select_for_update`` (two people
acting on the same experiment at once are serialised: the second sees the first's result),
checks who is asking through the capability table, writes one ``StatusChange`` and
queues follow-up work with ``transaction.on_commit``. Repeating a step that already
happened is a no-op. A refused step raises a domain error and changes nothing.

``expected_status`` is the status the actor saw when they decided (pages and the API
send it): if the experiment moved on since, the step is refused instead of acting on a
stale view — so of a CMO's "approve" and another's "kill" fired together, one wins.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from growthops.errors import OverrideRequired, TransitionNotAllowed, ValidationFailed
from roles.capabilities import STEP_ABILITIES, require

from .decisions import AgainstPlan, complete_against_plan, conclude_against_verdict
from .design import design_problems, segment_problems
from .hooks import step_taken
from .models import (
    LIVE,
    UNDECIDED,
    Decision,
    Experiment,
    ExperimentStatus,
    Hypothesis,
    KillReason,
    Outcome,
    StatusChange,
)

S = ExperimentStatus


@dataclass(frozen=True)
class StepInput:
    """What the actor gave for one step: the note and the step's own inputs."""

    actor: object
    note: str
    values: Mapping[str, str]

    def __getitem__(self, name: str) -> str:
        return self.values[name]


Check = Callable[[Experiment, StepInput], dict[str, str]]
Apply = Callable[[Experiment, StepInput], None]
# Whether taking the step goes against the plan or the verdict (docs/decisions.md): then it
# needs an ``override_reason``, which the step's StatusChange keeps.
Guard = Callable[[Experiment, StepInput], AgainstPlan | None]


@dataclass(frozen=True)
class Transition:
    """One row of the transition table: where it may start, where it leads, what it needs
    (``inputs`` beyond the note), what it checks, what it writes besides the status, and
    when it needs a reason to override the plan (``guard``)."""

    name: str
    sources: frozenset[str]
    target: str
    inputs: tuple[str, ...] = ()
    required: tuple[str, ...] = ()  # inputs (or the note) its check refuses it without
    check: Check | None = None
    apply: Apply | None = None
    guard: Guard | None = None


# --- what the steps check and write --------------------------------------------------


def submit_problems(experiment: Experiment, given: StepInput | None = None) -> dict[str, str]:
    """Everything that stops a design going to review, all at once (docs/architecture.md, "Lifecycle")."""
    return design_problems(experiment)


def _required_note(note: str, what: str) -> dict[str, str]:
    return {} if note and note.strip() else {"note": f"Say {what}."}


def _check_request_changes(_: Experiment, given: StepInput) -> dict[str, str]:
    return _required_note(given.note, "what needs to change")


def _check_start(experiment: Experiment, given: StepInput) -> dict[str, str]:
    return segment_problems(experiment)


def _apply_start(experiment: Experiment, given: StepInput) -> None:
    experiment.start_date = timezone.localdate()
    Hypothesis.objects.filter(pk=experiment.hypothesis_id).update(status=Hypothesis.Status.IN_TEST)


def _check_complete(_: Experiment, given: StepInput) -> dict[str, str]:
    errors = {}
    if not (given["analysis"] or "").strip():
        errors["analysis"] = "Write the analysis before completing."
    if given["recommendation"] not in Decision.values:
        errors["recommendation"] = "Recommend scale, iterate or abandon."
    return errors


# Checks that apps above this one add to a step (the analytics app asks for a confirmation
# before completing over an unacknowledged sample-ratio mismatch): this module may not
# import them, so they register here when their app is ready.
STEP_CHECKS: dict[str, list[Check]] = {}


def register_step_check(step_name: str, check: Check) -> None:
    """Run ``check`` with ``step_name``'s own check; registering the same one twice is a no-op."""
    checks = STEP_CHECKS.setdefault(step_name, [])
    if check not in checks:
        checks.append(check)


def _apply_complete(experiment: Experiment, given: StepInput) -> None:
    experiment.analysis = given["analysis"].strip()
    experiment.recommendation = given["recommendation"]
    experiment.end_date = timezone.localdate()


HYPOTHESIS_STATUS_FOR_OUTCOME = {
    Outcome.WON: Hypothesis.Status.VALIDATED,
    Outcome.LOST: Hypothesis.Status.INVALIDATED,
    Outcome.INCONCLUSIVE: Hypothesis.Status.INCONCLUSIVE,
}


def _check_conclude(_: Experiment, given: StepInput) -> dict[str, str]:
    errors = {}
    if given["decision"] not in Decision.values:
        errors["decision"] = "Decide scale, iterate or abandon."
    if given["outcome"] not in Outcome.values:
        errors["outcome"] = "Say whether it won, lost or was inconclusive."
    if not (given["learnings"] or "").strip():
        errors["learnings"] = "Write down what was learned."
    return errors


def _apply_conclude(experiment: Experiment, given: StepInput) -> None:
    experiment.decision = given["decision"]
    experiment.outcome = given["outcome"]
    experiment.learnings = given["learnings"].strip()
    if not _other_tests_running(experiment):
        Hypothesis.objects.filter(pk=experiment.hypothesis_id).update(
            status=HYPOTHESIS_STATUS_FOR_OUTCOME[given["outcome"]]
        )
    if given["decision"] == Decision.ITERATE:
        _create_follow_up_hypothesis(experiment, given.actor)


def _check_kill(_: Experiment, given: StepInput) -> dict[str, str]:
    errors = {}
    if given["reason"] not in KillReason.values:
        errors["reason"] = "Choose a reason: " + ", ".join(KillReason.values) + "."
    errors.update(_required_note(given.note, "why it is being killed"))
    return errors


def _apply_kill(experiment: Experiment, given: StepInput) -> None:
    experiment.kill_reason = given["reason"]
    experiment.kill_note = given.note.strip()
    if experiment.start_date and not experiment.end_date:
        experiment.end_date = timezone.localdate()
    # The idea is not disproved by a killed test: it returns to the backlog.
    if not _other_tests_running(experiment):
        Hypothesis.objects.filter(
            pk=experiment.hypothesis_id, status=Hypothesis.Status.IN_TEST
        ).update(status=Hypothesis.Status.BACKLOG)


def _other_tests_running(experiment: Experiment) -> bool:
    """Whether another experiment still tests the same hypothesis (its status stays "in test")."""
    return (
        Experiment.objects.filter(hypothesis_id=experiment.hypothesis_id, status__in=LIVE)
        .exclude(pk=experiment.pk)
        .exists()
    )


def _create_follow_up_hypothesis(experiment: Experiment, actor) -> Hypothesis:
    parent = experiment.hypothesis
    return Hypothesis.objects.create(
        title=f"Iterate on: {experiment.name}"[:200],
        observation=f"{experiment.name} ended {experiment.get_outcome_display().lower()}: "
        f"{experiment.learnings}",
        change=parent.change,
        effect=parent.effect,
        metric=parent.metric,
        expected_mde=parent.expected_mde,
        channel=parent.channel,
        objective=experiment.objective or parent.objective,
        segment=experiment.segment or parent.segment,
        author=actor,
        impact=parent.impact,
        confidence=parent.confidence,
        ease=parent.ease,
        iterates_on_hypothesis=parent,
        iterates_on_experiment=experiment,
    )


# --- the transition table --------------------------------------------------------------

STEPS: dict[str, Transition] = {
    step.name: step
    for step in [
        Transition("submit", frozenset({S.DRAFT}), S.IN_REVIEW, check=submit_problems),
        Transition(
            "request_changes",
            frozenset({S.IN_REVIEW}),
            S.DRAFT,
            required=("note",),
            check=_check_request_changes,
        ),
        # What the CMO approves must still be a complete design.
        Transition("approve", frozenset({S.IN_REVIEW}), S.APPROVED, check=submit_problems),
        Transition(
            "start", frozenset({S.APPROVED}), S.RUNNING, check=_check_start, apply=_apply_start
        ),
        Transition("pause", frozenset({S.RUNNING}), S.PAUSED),
        Transition("resume", frozenset({S.PAUSED}), S.RUNNING),
        Transition(
            "complete",
            frozenset({S.RUNNING, S.PAUSED}),
            S.COMPLETED,
            # confirm_srm: "yes" when the actor confirmed completing over a sample-ratio mismatch.
            inputs=("analysis", "recommendation", "confirm_srm", "override_reason"),
            required=("analysis", "recommendation"),
            check=_check_complete,
            apply=_apply_complete,
            guard=complete_against_plan,
        ),
        Transition(
            "conclude",
            frozenset({S.COMPLETED}),
            S.CONCLUDED,
            inputs=("decision", "outcome", "learnings", "override_reason"),
            required=("decision", "outcome", "learnings"),
            check=_check_conclude,
            apply=_apply_conclude,
            guard=conclude_against_verdict,
        ),
        Transition(
            "kill",
            frozenset(UNDECIDED),
            S.KILLED,
            inputs=("reason",),
            required=("reason", "note"),
            check=_check_kill,
            apply=_apply_kill,
        ),
    ]
}


def available_steps(experiment: Experiment) -> list[str]:
    """The steps the experiment's current status allows (who may take them is separate)."""
    return [name for name, step in STEPS.items() if experiment.status in step.sources]


def run_step(
    step_name: str,
    *,
    experiment_id: int,
    actor,
    note: str = "",
    expected_status: str | None = None,
    **values: str,
) -> Experiment:
    """Take one step of the table; ``values`` are exactly the step's ``inputs``."""
    step = STEPS[step_name]
    if set(values) != set(step.inputs):
        raise TypeError(f"{step_name} takes {step.inputs or 'no inputs'}, got {tuple(values)}")
    if expected_status is not None and expected_status not in S.values:
        raise ValidationFailed({"expected_status": f"“{expected_status}” is not a status."})
    given = StepInput(actor=actor, note=note, values=values)
    with transaction.atomic():
        # Lock the row: concurrent steps on one experiment run one after the other.
        experiment = Experiment.objects.select_for_update().get(pk=experiment_id)
        require(actor, STEP_ABILITIES[step_name], experiment)
        if _already_done(experiment, step):
            return experiment  # a repeated click or a redelivered task
        if expected_status is not None and experiment.status != expected_status:
            raise TransitionNotAllowed(
                f"“{experiment}” is now {experiment.get_status_display().lower()} "
                f"(you saw it {S(expected_status).label.lower()}); reload and decide again."
            )
        if experiment.status not in step.sources:
            allowed = " or ".join(S(s).label.lower() for s in sorted(step.sources))
            raise TransitionNotAllowed(
                f"Cannot {step_name.replace('_', ' ')} “{experiment}”: it is "
                f"{experiment.get_status_display().lower()}, and this step needs it {allowed}."
            )
        errors = {}
        for check in [step.check, *STEP_CHECKS.get(step_name, ())]:
            if check is not None:
                errors.update(check(experiment, given))
        if errors:
            raise ValidationFailed(errors)
        against = step.guard(experiment, given) if step.guard is not None else None
        reason = (values.get("override_reason") or "").strip()
        if against is not None and not reason:
            raise OverrideRequired(
                f"{against.message} To go ahead anyway, give a reason (override_reason).",
                missing=list(against.missing),
                statement=against.message,
            )
        from_status = experiment.status
        experiment.status = step.target
        if step.apply is not None:
            step.apply(experiment, given)
        experiment.save()
        change = StatusChange.objects.create(
            experiment=experiment,
            step=step_name,
            from_status=from_status,
            to_status=step.target,
            actor=actor,
            note=note,
            # Kept only for a call that went against the plan: it counts as an override.
            overridden=list(against.missing) if against else [],
            override_reason=reason if against else "",
        )
        # The apps above hear of it in this transaction: the programme opens a post-mortem,
        # analytics resolves alerts, roll-ups recompute after commit (hooks.py).
        step_taken(step_name, experiment, change)
    return experiment


def _already_done(experiment: Experiment, step: Transition) -> bool:
    """The experiment sits where this step leads, and this step is what put it there."""
    if experiment.status != step.target or experiment.status in step.sources:
        return False
    last = experiment.status_changes.order_by("-id").values_list("step", flat=True).first()
    return last == step.name


# --- the steps, as services ------------------------------------------------------------


def experiment_submit(
    *, experiment_id: int, actor, note: str = "", expected_status: str | None = None
) -> Experiment:
    return run_step(
        "submit",
        experiment_id=experiment_id,
        actor=actor,
        note=note,
        expected_status=expected_status,
    )


def experiment_request_changes(
    *, experiment_id: int, actor, note: str, expected_status: str | None = None
) -> Experiment:
    return run_step(
        "request_changes",
        experiment_id=experiment_id,
        actor=actor,
        note=note,
        expected_status=expected_status,
    )


def experiment_approve(
    *, experiment_id: int, actor, note: str = "", expected_status: str | None = None
) -> Experiment:
    return run_step(
        "approve",
        experiment_id=experiment_id,
        actor=actor,
        note=note,
        expected_status=expected_status,
    )


def experiment_start(
    *, experiment_id: int, actor, note: str = "", expected_status: str | None = None
) -> Experiment:
    return run_step(
        "start",
        experiment_id=experiment_id,
        actor=actor,
        note=note,
        expected_status=expected_status,
    )


def experiment_pause(
    *, experiment_id: int, actor, note: str = "", expected_status: str | None = None
) -> Experiment:
    return run_step(
        "pause",
        experiment_id=experiment_id,
        actor=actor,
        note=note,
        expected_status=expected_status,
    )


def experiment_resume(
    *, experiment_id: int, actor, note: str = "", expected_status: str | None = None
) -> Experiment:
    return run_step(
        "resume",
        experiment_id=experiment_id,
        actor=actor,
        note=note,
        expected_status=expected_status,
    )


def experiment_complete(
    *,
    experiment_id: int,
    actor,
    analysis: str,
    recommendation: str,
    confirm_srm: bool = False,
    override_reason: str = "",
    note: str = "",
    expected_status: str | None = None,
) -> Experiment:
    """Complete the test; before its minimum run time or planned sample (docs/decisions.md)
    only with an ``override_reason``."""
    return run_step(
        "complete",
        experiment_id=experiment_id,
        actor=actor,
        note=note,
        expected_status=expected_status,
        analysis=analysis,
        recommendation=recommendation,
        confirm_srm="yes" if confirm_srm else "",
        override_reason=override_reason,
    )


def experiment_conclude(
    *,
    experiment_id: int,
    actor,
    decision: str,
    outcome: str,
    learnings: str,
    override_reason: str = "",
    note: str = "",
    expected_status: str | None = None,
) -> Experiment:
    """Record the final decision; against the rule's verdict (docs/decisions.md) only with an
    ``override_reason``."""
    return run_step(
        "conclude",
        experiment_id=experiment_id,
        actor=actor,
        note=note,
        expected_status=expected_status,
        decision=decision,
        outcome=outcome,
        learnings=learnings,
        override_reason=override_reason,
    )


def experiment_kill(
    *, experiment_id: int, actor, reason: str, note: str, expected_status: str | None = None
) -> Experiment:
    return run_step(
        "kill",
        experiment_id=experiment_id,
        actor=actor,
        note=note,
        expected_status=expected_status,
        reason=reason,
    )


STEP_SERVICES: dict[str, Callable[..., Experiment]] = {
    "submit": experiment_submit,
    "request_changes": experiment_request_changes,
    "approve": experiment_approve,
    "start": experiment_start,
    "pause": experiment_pause,
    "resume": experiment_resume,
    "complete": experiment_complete,
    "conclude": experiment_conclude,
    "kill": experiment_kill,
}
