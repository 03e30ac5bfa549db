"""The dashboard's panels that read the portfolio roll-ups: loaded into the home page with htmx,
or opened as pages of their own (links in the home page work without JavaScript)."""

from dataclasses import dataclass
from functools import cached_property

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from experiments.models import ExperimentStatus, Objective
from experiments.selectors import (
    experiments_in_flight_by_objective,
    objective_list_for_user,
    objective_status_counts,
)
from roles.permissions import require_ability

from .charts import Chart
from .charts.dashboard import objective_progress_chart
from .portfolio.selectors import (
    kpi_level,
    objective_history,
    objective_ledgers,
    programme_by_executor,
    programme_numbers,
)


@dataclass
class ObjectiveCard:
    """What the dashboard shows of one objective."""

    objective: Objective
    ledger: dict
    current_value: float | None
    history: list
    status_counts: list  # (status, label, count) in lifecycle order
    in_flight: list

    @cached_property
    def chart(self) -> Chart:
        # Built when a page draws it: the objectives list shows progress without charts.
        return objective_progress_chart(self.objective, self.history)


def objective_cards(user, objectives) -> list[ObjectiveCard]:
    """Each objective's ledger, current KPI, chart, experiments by status and those in flight
    (four queries, whatever the number of objectives or experiments)."""
    objectives = list(objectives)
    ids = [o.pk for o in objectives]
    history = objective_history(objectives)
    ledgers = objective_ledgers(objectives, history)
    counts = objective_status_counts(user, ids)
    in_flight = experiments_in_flight_by_objective(user, ids)
    return [
        ObjectiveCard(
            objective=o,
            ledger=ledgers[o.pk],
            current_value=kpi_level(o, ledgers[o.pk]["realised_impact"]),
            history=history[o.pk],
            status_counts=[(s, ExperimentStatus(s).label, n) for s, n in counts[o.pk].items()],
            in_flight=in_flight.get(o.pk, []),
        )
        for o in objectives
    ]


@login_required
def dashboard_objectives(request):
    require_ability(request, "results.read")
    objectives = objective_list_for_user(request.user).exclude(status=Objective.Status.RETIRED)
    context = {"cards": objective_cards(request.user, objectives)}
    template = (
        "analytics/_dashboard_objectives.html"
        if request.htmx
        else "analytics/dashboard_objectives.html"
    )
    return render(request, template, context)


@login_required
def dashboard_programme(request):
    require_ability(request, "results.read")
    numbers = programme_numbers()
    context = {
        **numbers,
        "executors": programme_by_executor(),
        "top_segments": numbers["segments"][:8],
    }
    template = (
        "analytics/_dashboard_programme.html"
        if request.htmx
        else "analytics/dashboard_programme.html"
    )
    return render(request, template, context)
