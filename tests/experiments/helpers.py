from experiments.models import Experiment


def put_in_status(experiment: Experiment, status: str, **fields) -> Experiment:
    """Test set-up only: place an experiment in a status without walking the lifecycle."""
    Experiment.objects.filter(pk=experiment.pk).update(status=status, **fields)
    experiment.refresh_from_db()
    return experiment


STEP_KWARGS = {
    "submit": {},
    "request_changes": {"note": "Tighten the MDE."},
    "approve": {},
    "start": {},
    "pause": {},
    "resume": {},
    "complete": {"analysis": "B beat control on sign-ups.", "recommendation": "scale"},
    "conclude": {"decision": "scale", "outcome": "won", "learnings": "Logos build trust."},
    "kill": {"reason": "harmful", "note": "Checkout errors doubled."},
}

# A status from which each step may run.
SOURCE_STATUS = {
    "submit": "draft",
    "request_changes": "in_review",
    "approve": "in_review",
    "start": "approved",
    "pause": "running",
    "resume": "paused",
    "complete": "running",
    "conclude": "completed",
    "kill": "running",
}
