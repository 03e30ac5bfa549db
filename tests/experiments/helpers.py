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
    # Taken without result data: completing and scaling go against the plan and the verdict,
    # so they carry their reasons (docs/decisions.md, "Overrides").
    "complete": {
        "analysis": "B beat control on sign-ups.",
        "recommendation": "scale",
        "override_reason": "The launch date moved: we stop here.",
    },
    "conclude": {
        "decision": "scale",
        "outcome": "won",
        "learnings": "Logos build trust.",
        "override_reason": "Scaling on the interviews as well as the data.",
    },
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
