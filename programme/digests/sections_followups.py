"""Digest sections on how decisions are made and followed up: calls against the plan or the
verdict, and post-mortems and their actions past their due date (docs/postmortems.md)."""

from django.utils import timezone

from experiments.models import StatusChange
from roles.models import Role

from ..postmortems import overdue_for
from .period import Period
from .registry import register_section
from .sections import LIMIT, _experiment_path


@register_section(Role.CMO, key="overrides", title="Calls against the plan or the verdict")
def overrides(user, period: Period) -> list[dict]:
    """Steps of the period that went against the plan or the decision rule, with the reason."""
    calls = (
        StatusChange.objects.filter(created_at__gt=period.since, created_at__lte=period.until)
        .exclude(override_reason="")
        .select_related("experiment", "actor")
        .order_by("created_at", "id")[:LIMIT]
    )
    return [
        {
            "experiment": call.experiment_id,
            "name": call.experiment.name,
            "step": call.step,
            "against": list(call.overridden),
            "reason": call.override_reason,
            "text": f"{call.experiment.name}: {call.get_step_display().lower()} against "
            f"{' and '.join(call.overridden) or 'the plan'} by "
            f"{call.actor.get_full_name() or call.actor.get_username()}: “{call.override_reason}”",
            "path": _experiment_path(call.experiment_id),
        }
        for call in calls
    ]


@register_section(Role.CMO, Role.OPERATOR, key="overdue", title="Post-mortems and actions overdue")
def overdue_followups(user, period: Period) -> list[dict]:
    """Draft post-mortems and open actions past their due date: the operator's own, and the
    whole programme's for the CMO (as on the dashboard)."""
    late = overdue_for(user=user, today=timezone.localdate(period.until))
    items = [
        {
            "experiment": postmortem.experiment_id,
            "name": postmortem.experiment.name,
            "due": postmortem.due_date.isoformat(),
            "text": f"Post-mortem of {postmortem.experiment.name}: due "
            f"{postmortem.due_date:%-d %b}, still a draft",
            "path": _experiment_path(postmortem.experiment_id),
        }
        for postmortem in late["postmortems"]
    ]
    items += [
        {
            "experiment": action.postmortem.experiment_id,
            "name": action.postmortem.experiment.name,
            "due": action.due_date.isoformat(),
            "text": f"{action.text} ({action.owner}, post-mortem of "
            f"{action.postmortem.experiment.name}): due {action.due_date:%-d %b}",
            "path": _experiment_path(action.postmortem.experiment_id),
        }
        for action in late["actions"]
    ]
    return items
