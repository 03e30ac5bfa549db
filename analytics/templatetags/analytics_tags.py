from django import template

from experiments.models import ACCEPTS_DATA
from roles.capabilities import can

from ..models import AnalysisState
from ..selectors import latest_results

register = template.Library()


@register.inclusion_tag("analytics/_experiment_results.html", takes_context=True)
def experiment_results(context, experiment):
    user = context["request"].user
    state = AnalysisState.objects.filter(experiment=experiment).first()
    return {
        "experiment": experiment,
        "results": latest_results(experiment),
        "alerts": experiment.alerts.select_related("metric"),
        "state": state,
        "can_upload": experiment.status in ACCEPTS_DATA and can(user, "data.upload", experiment),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def percent(value, digits=1):
    """0.0234 → "+2.3%"; None → "—" (a lift or its bound)."""
    if value is None:
        return "—"
    return f"{value * 100:+.{int(digits)}f}%"
