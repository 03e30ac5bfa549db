"""Notices: messages to one person that are not result alerts (docs/postmortems.md, "Notices").

``notify`` writes a notice once per recipient, kind and subject: a repeated step, a redelivered
task or a second run of the overdue sweep finds the row and writes nothing.
"""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from experiments.models import Experiment, Hypothesis

from .models import Notice


def notify(
    *,
    recipient,
    kind: str,
    subject: str,
    message: str,
    url: str = "",
    experiment: Experiment | None = None,
    hypothesis: Hypothesis | None = None,
) -> bool:
    """Write the notice for ``recipient`` about ``subject`` unless it exists; whether it was
    written now (never for an inactive person)."""
    if recipient is None or not recipient.is_active:
        return False
    with transaction.atomic():
        _, created = Notice.objects.get_or_create(
            recipient=recipient,
            kind=kind,
            subject=subject,
            defaults={
                "message": message[:500],
                "url": url,
                "experiment": experiment,
                "hypothesis": hypothesis,
            },
        )
    return created


def unread_notices(*, user):
    return Notice.objects.filter(recipient=user, read_at__isnull=True)


def notices_mark_read(*, actor, notice_id: int | None = None) -> int:
    """Mark one of ``actor``'s own notices read, or all of them; returns how many changed."""
    rows = unread_notices(user=actor)
    if notice_id is not None:
        rows = rows.filter(pk=notice_id)
    return rows.update(read_at=timezone.now())


# --- what the author of an idea hears -------------------------------------------------------

TRIAGE_WORDS = {
    Hypothesis.Status.BACKLOG: "was accepted into the backlog",
    Hypothesis.Status.REJECTED: "was rejected",
}
STEP_NOTICES = {
    "approve": (Notice.Kind.APPROVAL, "Your idea “{idea}” will be tested: “{test}” was approved."),
    "start": (Notice.Kind.START, "Your idea “{idea}” is being tested: “{test}” started."),
    "conclude": (
        Notice.Kind.DECISION,
        "“{test}”, testing your idea “{idea}”, was decided: {decision} ({outcome}).",
    ),
    "kill": (
        Notice.Kind.DECISION,
        "“{test}”, testing your idea “{idea}”, was stopped: {reason}.",
    ),
}


def hypothesis_url(hypothesis: Hypothesis) -> str:
    return reverse("experiments:hypothesis-detail", args=[hypothesis.pk])


def experiment_url(experiment: Experiment) -> str:
    return reverse("experiments:detail", args=[experiment.pk])


def notify_author_of_triage(*, hypothesis: Hypothesis, actor) -> None:
    """The author hears where their idea went (not when they triaged it themselves)."""
    if hypothesis.author_id == getattr(actor, "pk", None) or hypothesis.status not in TRIAGE_WORDS:
        return
    notify(
        recipient=hypothesis.author,
        kind=Notice.Kind.TRIAGE,
        subject=f"hypothesis:{hypothesis.pk}:{hypothesis.status}",
        message=f"Your idea “{hypothesis.title}” {TRIAGE_WORDS[hypothesis.status]}.",
        url=hypothesis_url(hypothesis),
        hypothesis=hypothesis,
    )


def notify_author_of_step(experiment: Experiment, change) -> None:
    """The author hears of the approval, the start and the decision of a test of their idea."""
    kind, template = STEP_NOTICES[change.step]
    hypothesis = experiment.hypothesis
    if hypothesis.author_id == change.actor_id:
        return
    message = template.format(
        idea=hypothesis.title,
        test=experiment.name,
        decision=experiment.get_decision_display().lower(),
        outcome=experiment.get_outcome_display().lower(),
        reason=experiment.get_kill_reason_display().lower(),
    )
    notify(
        recipient=hypothesis.author,
        kind=kind,
        subject=f"experiment:{experiment.pk}",
        message=message,
        url=experiment_url(experiment),
        experiment=experiment,
        hypothesis=hypothesis,
    )
