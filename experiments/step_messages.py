"""What a person reads after taking a lifecycle step: what happened and who acts next, in
their words ("Sent for review — Carla will be asked to approve"), not the step's name."""

from roles.models import Role, User

from .models import Decision, Experiment


def reviewers_named() -> str:
    """The CMOs who approve, by name ("Carla", "Carla or Dan"); "the CMO" when none."""
    names = [
        user.first_name or str(user)
        for user in User.objects.filter(role=Role.CMO, is_active=True).order_by("pk")[:3]
    ]
    return " or ".join(names) if names else "the CMO"


def _name(user) -> str:
    return user.first_name or str(user)


def step_done_message(step: str, experiment: Experiment) -> str:
    owner = _name(experiment.owner)
    quoted = f"“{experiment.name}”"
    if step == "submit":
        return f"Sent for review — {reviewers_named()} will be asked to approve {quoted}."
    if step == "approve":
        return f"Approved — {owner} can now start {quoted}."
    if step == "request_changes":
        return f"Sent back to {owner} with your note: {quoted} is a draft again."
    if step == "start":
        return f"Started — {quoted} is running; upload its data day by day."
    if step == "pause":
        return f"Paused — {quoted} takes no new data until it is resumed."
    if step == "resume":
        return f"Resumed — {quoted} is running again."
    if step == "complete":
        return f"Completed — {quoted} now waits for {reviewers_named()} to decide."
    if step == "conclude":
        decision = Decision(experiment.decision).label.lower() if experiment.decision else ""
        return f"Decided: {decision} — {quoted} is concluded and its learnings are recorded."
    if step == "kill":
        return f"Stopped — {quoted} is killed; the reason is on its timeline."
    return f"{quoted} is now {experiment.get_status_display().lower()}."
