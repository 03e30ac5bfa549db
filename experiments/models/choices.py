"""Statuses, status groups, decisions, outcomes, methods and lifecycle steps."""

from django.db import models
from django.db.models import Q

# The pure statistics engine (numpy and scipy only), not the analytics app: allowed from here.


class ExperimentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    CONCLUDED = "concluded", "Concluded"
    KILLED = "killed", "Killed"


# Status groups: each rule about "which experiments count" is one of these, used everywhere.
# Submitted and not yet completed: what the objective ledger forecasts, and what the home
# page and the roll-ups count as "in flight".
IN_FLIGHT = (
    ExperimentStatus.IN_REVIEW,
    ExperimentStatus.APPROVED,
    ExperimentStatus.RUNNING,
    ExperimentStatus.PAUSED,
)

# Started and not completed: traffic is (or may again be) assigned. A segment with one of
# these cannot be sunset; a hypothesis stays "in test"; the analysis sweep revisits them; a
# reached sample size is worth an alert.
LIVE = (ExperimentStatus.RUNNING, ExperimentStatus.PAUSED)

# Started and not yet decided: result data is accepted and analysed, and a guardrail that
# goes bad still asks for a decision.
ACCEPTS_DATA = (ExperimentStatus.RUNNING, ExperimentStatus.PAUSED, ExperimentStatus.COMPLETED)

# Final: nothing more happens to these.
DECIDED = (ExperimentStatus.CONCLUDED, ExperimentStatus.KILLED)

# Not final yet: every status an experiment can still be killed from.
UNDECIDED = tuple(s for s in ExperimentStatus if s not in DECIDED)

# What occupies an operator against their capacity: designs and everything in flight.
OCCUPIES_OPERATOR = (ExperimentStatus.DRAFT, *IN_FLIGHT)

# Not started yet: no start date, no data.
NOT_STARTED = (ExperimentStatus.DRAFT, ExperimentStatus.IN_REVIEW, ExperimentStatus.APPROVED)


class Decision(models.TextChoices):
    SCALE = "scale", "Scale"
    ITERATE = "iterate", "Iterate"
    ABANDON = "abandon", "Abandon"


# Concluded with a "scale" decision: the winner ships, and a holdout keeps sending data after
# the test's end date so that the win can be re-checked (docs/insights.md, post-ship re-checks).
SHIPPED = Q(status=ExperimentStatus.CONCLUDED, decision=Decision.SCALE)


def is_shipped(status, decision):
    """:data:`SHIPPED` in Python, for an experiment, a row read with ``values()``, or pandas
    columns (``&``, not ``and``, so that it works element-wise on them too)."""
    return (status == ExperimentStatus.CONCLUDED) & (decision == Decision.SCALE)


class Outcome(models.TextChoices):
    WON = "won", "Won"
    LOST = "lost", "Lost"
    INCONCLUSIVE = "inconclusive", "Inconclusive"


class KillReason(models.TextChoices):
    HARMFUL = "harmful", "Hurting users or revenue"
    BROKEN_SETUP = "broken_setup", "Broken set-up or tracking"
    STRATEGY_CHANGE = "strategy_change", "Strategy changed"
    DUPLICATE = "duplicate", "Duplicates another test"
    NO_TRAFFIC = "no_traffic", "Not enough traffic"
    OTHER = "other", "Other"


class AnalysisMethod(models.TextChoices):
    FREQUENTIST = "frequentist", "Frequentist"
    BAYESIAN = "bayesian", "Bayesian"
    SEQUENTIAL = "sequential", "Sequential (always valid)"


class Correction(models.TextChoices):
    NONE = "none", "None"
    HOLM = "holm", "Holm (family-wise)"
    BENJAMINI_HOCHBERG = "benjamini-hochberg", "Benjamini–Hochberg (FDR)"


class Step(models.TextChoices):
    """The lifecycle steps (their transitions are ``experiments.lifecycle.STEPS``)."""

    SUBMIT = "submit", "Submit"
    REQUEST_CHANGES = "request_changes", "Request changes"
    APPROVE = "approve", "Approve"
    START = "start", "Start"
    PAUSE = "pause", "Pause"
    RESUME = "resume", "Resume"
    COMPLETE = "complete", "Complete"
    CONCLUDE = "conclude", "Conclude"
    KILL = "kill", "Kill"
