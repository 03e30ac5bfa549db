from django import template

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
        "can_upload": can(user, "data.upload"),
        "csrf_token": context.get("csrf_token"),
    }
