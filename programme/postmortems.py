"""Post-mortems (docs/postmortems.md): opened by every conclude and kill, written by the CMO or
the experiment's owner, with owned actions and the next hypothesis.

``postmortem_open`` runs inside the lifecycle's transaction (registered on the ``conclude`` and
``kill`` steps in ``programme/apps.py``): the step and its post-mortem are written together.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from experiments.decisions import experiment_reading, latest_look
from experiments.models import DECIDED, Experiment, Hypothesis
from growthops.errors import TransitionNotAllowed, ValidationFailed
from roles.capabilities import can, require
from roles.models import Role

from .models import Cause, Notice, Postmortem, PostmortemAction, ProcessFault
from .notices import experiment_url, notify

DAYS_TO_WRITE = 7
LONGEST_AHEAD = dt.timedelta(days=366)
EDITABLE = ("believed", "happened", "cause", "why", "next_hypothesis", "due_date")


def postmortem_open(experiment: Experiment, change) -> Postmortem:
    """The experiment's post-mortem, opened now from its hypothesis and latest look (or the one
    already open); its owner hears that it is to be written."""
    existing = Postmortem.objects.filter(experiment=experiment).first()
    if existing is not None:
        return existing
    opened = timezone.now()
    postmortem = Postmortem(
        experiment=experiment,
        opened_at=opened,
        opened_by_step=change.step if change is not None else "",
        due_date=timezone.localdate(opened) + dt.timedelta(days=DAYS_TO_WRITE),
        believed=experiment.hypothesis.statement,
        decision="killed" if experiment.status == "killed" else experiment.decision,
    )
    _snapshot(postmortem, experiment)
    postmortem.happened = what_happened(postmortem, experiment)
    postmortem.save()
    notify(
        recipient=experiment.owner,
        kind=Notice.Kind.POSTMORTEM_OPENED,
        subject=f"postmortem:{postmortem.pk}",
        message=f"Write the post-mortem of “{experiment.name}” by {postmortem.due_date:%-d %b %Y}.",
        url=experiment_url(experiment),
        experiment=experiment,
    )
    return postmortem


def postmortem_refresh_results(*, experiment_id: int) -> Postmortem:
    """Read the latest look again into a draft whose account nobody has written yet (results
    that came after the decision: the demo loads its data after its story's calls)."""
    with transaction.atomic():
        postmortem = Postmortem.objects.select_for_update().get(experiment_id=experiment_id)
        experiment = postmortem.experiment
        untouched = postmortem.happened == what_happened(postmortem, experiment)
        if postmortem.status == Postmortem.Status.DRAFT and untouched:
            _snapshot(postmortem, experiment)
            postmortem.happened = what_happened(postmortem, experiment)
            postmortem.save()
    return postmortem


def _snapshot(postmortem: Postmortem, experiment: Experiment) -> None:
    """The best treatment on the primary metric at the latest look, and the rule's verdict."""
    look = latest_look(experiment)
    postmortem.metric_id = experiment.deciding_metric_id
    primary = look.metrics.get(postmortem.metric_id) if look else None
    arms = [arm for arm in (primary.arms if primary else ()) if arm.lift is not None]
    if arms:
        sign = 1 if primary.higher_is_better else -1
        best = max(arms, key=lambda arm: sign * arm.lift)
        postmortem.variant = best.variant
        postmortem.lift, postmortem.p_value = best.lift, best.p_value
        postmortem.lift_ci_low, postmortem.lift_ci_high = best.lift_ci_low, best.lift_ci_high
    postmortem.verdict = experiment_reading(experiment, look).verdict.action


def what_happened(postmortem: Postmortem, experiment: Experiment) -> str:
    """The pre-filled account: the numbers, the verdict and the call."""
    parts = []
    if postmortem.lift is not None:
        text = f"{postmortem.variant}: lift {postmortem.lift:+.1%}"
        if postmortem.lift_ci_low is not None and postmortem.lift_ci_high is not None:
            text += f" ({postmortem.lift_ci_low:+.1%} to {postmortem.lift_ci_high:+.1%})"
        if postmortem.p_value is not None:
            text += f", p = {postmortem.p_value:.3f}"
        parts.append(text + ".")
    else:
        parts.append("No results on the primary metric.")
    parts.append(f"The rule's verdict: {postmortem.verdict.replace('_', ' ')}.")
    if postmortem.decision == "killed":
        parts.append(f"Killed: {experiment.get_kill_reason_display()} — {experiment.kill_note}")
    elif postmortem.decision:
        parts.append(
            f"Decided: {experiment.get_decision_display()} ({experiment.get_outcome_display()})"
            f" — {experiment.learnings}"
        )
    return " ".join(parts)


# --- the API's and the page's writes -------------------------------------------------------


def postmortem_create(*, experiment_id: int, actor, **fields) -> Postmortem:
    """Open the post-mortem of a decided experiment that has none (one decided before
    post-mortems existed), then write ``fields`` as ``postmortem_update`` does."""
    with transaction.atomic():
        experiment = Experiment.objects.select_for_update().get(pk=experiment_id)
        require(actor, "postmortems.write", experiment)
        if experiment.status not in DECIDED:
            raise TransitionNotAllowed(
                f"“{experiment}” is {experiment.get_status_display().lower()}: a post-mortem "
                "opens when it is concluded or killed."
            )
        if Postmortem.objects.filter(experiment=experiment).exists():
            raise TransitionNotAllowed(
                f"“{experiment}” already has a post-mortem: change it with PATCH."
            )
        postmortem_open(experiment, None)
        return postmortem_update(experiment_id=experiment_id, actor=actor, **fields)


def postmortem_update(
    *,
    experiment_id: int,
    actor,
    faults: list[str] | None = None,
    actions: list[dict] | None = None,
    status: str | None = None,
    **fields,
) -> Postmortem:
    """Change the given fields; ``actions`` (each ``id`` to keep, ``text``, ``owner``,
    ``due_date``, ``done``) replaces the list. All or nothing; completing needs the cause, the
    faults and what happened, and tells the idea's author."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"postmortem_update takes no {sorted(unknown)}")
    with transaction.atomic():
        postmortem = (
            Postmortem.objects.select_for_update()
            .select_related("experiment")
            .get(experiment_id=experiment_id)
        )
        experiment = postmortem.experiment
        require(actor, "postmortems.write", experiment)
        errors = _field_problems(postmortem, fields, faults)
        if actions is not None:
            errors.update(_action_problems(postmortem, actions))
        if status is not None and status not in Postmortem.Status.values:
            errors["status"] = "Choose draft or complete."
        if errors:
            raise ValidationFailed(errors)
        for name, value in fields.items():
            setattr(postmortem, name, value)
        if faults is not None:
            for fault in ProcessFault.values:
                setattr(postmortem, f"fault_{fault}", fault in faults)
        completing = status == "complete" and postmortem.status != "complete"
        if completing:
            missing = completion_problems(postmortem)
            if missing:
                raise ValidationFailed(missing)
            postmortem.completed_at = timezone.now()
        if status is not None:
            postmortem.status = status
        if status == "draft":
            postmortem.completed_at = None
        postmortem.save()
        if actions is not None:
            _replace_actions(postmortem, actions)
        if completing:
            _notify_completed(postmortem, actor)
    return postmortem


def completion_problems(postmortem: Postmortem) -> dict[str, str]:
    errors = {}
    if not postmortem.cause:
        errors["cause"] = "Choose why it came out this way before completing."
    if not postmortem.faults:
        errors["faults"] = "Choose the process faults (or “none”) before completing."
    if not postmortem.happened.strip():
        errors["happened"] = "Say what happened before completing."
    return errors


def _within(postmortem: Postmortem, day: dt.date) -> str | None:
    opened = timezone.localdate(postmortem.opened_at)
    if day < opened:
        return f"Pick a day on or after {opened:%-d %b %Y}, when the post-mortem opened."
    if day > opened + LONGEST_AHEAD:
        return "Pick a day within a year of the post-mortem's opening."
    return None


def _field_problems(postmortem: Postmortem, fields: dict, faults) -> dict[str, str]:
    errors = {}
    if fields.get("cause", "") not in ("", *Cause.values):
        errors["cause"] = "Choose one of: " + ", ".join(Cause.values) + "."
    if "due_date" in fields:
        problem = _within(postmortem, fields["due_date"])
        if problem:
            errors["due_date"] = problem
    nxt = fields.get("next_hypothesis")
    if isinstance(nxt, Hypothesis) and nxt.pk == postmortem.experiment.hypothesis_id:
        errors["next_hypothesis"] = "The next hypothesis must be another idea than this one."
    if faults is not None:
        bad = [f for f in faults if f not in ProcessFault.values]
        if bad:
            errors["faults"] = "Choose from: " + ", ".join(ProcessFault.values) + "."
        elif "none" in faults and len(set(faults)) > 1:
            errors["faults"] = "“none” cannot go with another fault."
    return errors


def _action_problems(postmortem: Postmortem, actions: list[dict]) -> dict[str, str]:
    known = set(postmortem.actions.values_list("pk", flat=True))
    errors = {}
    for i, action in enumerate(actions):
        at = f"actions[{i}]"
        if action.get("id") is not None and action["id"] not in known:
            errors[f"{at}.id"] = f"Action {action['id']} is not one of this post-mortem's."
        if not (action.get("text") or "").strip():
            errors[f"{at}.text"] = "Say what is to be done."
        owner = action.get("owner")
        if owner is None or not owner.is_active or owner.role not in Role.values:
            errors[f"{at}.owner"] = "Name an active person of the team as the owner."
        if action.get("due_date") is None:
            errors[f"{at}.due_date"] = "Give a due date."
        else:
            problem = _within(postmortem, action["due_date"])
            if problem:
                errors[f"{at}.due_date"] = problem
    return errors


def _replace_actions(postmortem: Postmortem, actions: list[dict]) -> None:
    existing = {a.pk: a for a in postmortem.actions.all()}
    kept = set()
    for given in actions:
        action = existing.get(given.get("id")) or PostmortemAction(postmortem=postmortem)
        action.text = given["text"].strip()
        action.owner = given["owner"]
        action.due_date = given["due_date"]
        done = given.get("done", action.done_at is not None)
        if done and action.done_at is None:
            action.done_at = timezone.now()
        elif not done:
            action.done_at = None
        action.save()
        kept.add(action.pk)
    postmortem.actions.exclude(pk__in=kept).delete()


def _notify_completed(postmortem: Postmortem, actor) -> None:
    experiment = postmortem.experiment
    author = experiment.hypothesis.author
    if author.pk == actor.pk:
        return
    notify(
        recipient=author,
        kind=Notice.Kind.POSTMORTEM_COMPLETED,
        subject=f"postmortem:{postmortem.pk}",
        message=f"The post-mortem of “{experiment.name}”, which tested your idea "
        f"“{experiment.hypothesis.title}”, is written.",
        url=experiment_url(experiment),
        experiment=experiment,
        hypothesis=experiment.hypothesis,
    )


# --- overdue -------------------------------------------------------------------------------


def postmortems_overdue_notify(*, today: dt.date | None = None) -> int:
    """Tell each owner, once, of their post-mortems still in draft after their due date and of
    their actions not done by theirs; returns how many notices are new."""
    today = today or timezone.localdate()
    written = 0
    late = Postmortem.objects.filter(status="draft", due_date__lt=today).select_related(
        "experiment__owner"
    )
    for postmortem in late:
        experiment = postmortem.experiment
        written += notify(
            recipient=experiment.owner,
            kind=Notice.Kind.POSTMORTEM_OVERDUE,
            subject=f"postmortem:{postmortem.pk}",
            message=f"The post-mortem of “{experiment.name}” was due "
            f"{postmortem.due_date:%-d %b %Y}.",
            url=experiment_url(experiment),
            experiment=experiment,
        )
    actions = PostmortemAction.objects.filter(
        done_at__isnull=True, due_date__lt=today
    ).select_related("owner", "postmortem__experiment")
    for action in actions:
        experiment = action.postmortem.experiment
        written += notify(
            recipient=action.owner,
            kind=Notice.Kind.ACTION_OVERDUE,
            subject=f"action:{action.pk}",
            message=f"“{action.text}” (post-mortem of “{experiment.name}”) was due "
            f"{action.due_date:%-d %b %Y}.",
            url=experiment_url(experiment),
            experiment=experiment,
        )
    return written


def overdue_for(*, user, today: dt.date | None = None) -> dict:
    """The overdue post-mortems and actions the dashboard shows ``user``: their own (the
    experiments they own, the actions they hold); the CMO sees the whole programme's."""
    today = today or timezone.localdate()
    postmortems = Postmortem.objects.filter(status="draft", due_date__lt=today)
    actions = PostmortemAction.objects.filter(done_at__isnull=True, due_date__lt=today)
    if not can(user, "postmortems.oversee"):
        postmortems = postmortems.filter(experiment__owner=user)
        actions = actions.filter(owner=user)
    return {
        "postmortems": list(
            postmortems.select_related("experiment__owner").order_by("due_date", "pk")[:20]
        ),
        "actions": list(
            actions.select_related("owner", "postmortem__experiment").order_by("due_date", "pk")[
                :20
            ]
        ),
        "today": today,
    }
