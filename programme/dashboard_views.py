"""The dashboard: the home page, and its panels that read the portfolio roll-ups (loaded into the
home page with htmx, or opened as pages of their own: links work without JavaScript)."""

from dataclasses import dataclass, field
from functools import cached_property

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from analytics.charts import Chart
from experiments.models import ExperimentStatus, Hypothesis, Objective
from experiments.selectors import (
    experiment_status_counts,
    experiments_awaiting_decision,
    experiments_in_charge_of,
    experiments_in_flight_by_objective,
    experiments_owned_by,
    hypotheses_authored_by,
    hypothesis_status_counts,
    objective_list_for_user,
    objective_status_counts,
)
from roles.capabilities import can
from roles.permissions import require_ability

from .charts.dashboard import objective_progress_chart
from .portfolio.selectors import (
    kpi_level,
    objective_history,
    objective_ledgers,
    programme_by_executor,
    programme_numbers,
)
from .portfolio.standing import measured_history
from .postmortems import overdue_for


@dataclass
class ObjectiveCard:
    """What the dashboard shows of one objective."""

    objective: Objective
    ledger: dict
    current_value: float | None
    history: list
    status_counts: list  # (status, label, count) in lifecycle order
    in_flight: list
    measured: list = field(default_factory=list)  # (date, value) of each measured day

    @property
    def behind(self) -> bool:
        """The realised impact has moved the KPI away from the target, not towards it."""
        progress = self.ledger.get("progress")
        return progress is not None and progress < 0

    @cached_property
    def chart(self) -> Chart:
        # Built when a page draws it: the objectives list shows progress without charts.
        return objective_progress_chart(self.objective, self.history, measured=self.measured)


def objective_cards(objectives, *, user, charts: bool = True) -> list[ObjectiveCard]:
    """Each objective's ledger, current KPI, chart (its measured days beside the estimate),
    experiments by status and those in flight (five queries, whatever the number of objectives
    or experiments; four without ``charts``, whose measured days only the charts draw)."""
    objectives = list(objectives)
    ids = [o.pk for o in objectives]
    history = objective_history(objectives)
    ledgers = objective_ledgers(objectives, history)
    counts = objective_status_counts(ids, user=user)
    in_flight = experiments_in_flight_by_objective(ids, user=user)
    measured = measured_history(objectives) if charts else {o.pk: [] for o in objectives}
    return [
        ObjectiveCard(
            objective=o,
            ledger=ledgers[o.pk],
            current_value=kpi_level(o, ledgers[o.pk]["realised_impact"]),
            history=history[o.pk],
            status_counts=[(s, ExperimentStatus(s).label, n) for s, n in counts[o.pk].items()],
            in_flight=in_flight.get(o.pk, []),
            measured=measured[o.pk],
        )
        for o in objectives
    ]


HOME_MINE_LIMIT = 8


@login_required
def home(request):
    """The dashboard: the reader's own queue and the programme at a glance. Objectives' progress
    and the programme's numbers load as two panels with htmx (each also a page of its own)."""
    user = request.user
    counts = experiment_status_counts(user=user)
    hypotheses = hypothesis_status_counts(user=user)
    context = {
        "objectives": objective_list_for_user(user=user),
        "groups": [(ExperimentStatus(s).label, s, n) for s, n in counts.items()],
        "experiment_total": sum(counts.values()),
        "hypotheses_new": hypotheses.get(Hypothesis.Status.NEW, 0),
        "hypotheses_backlog": hypotheses.get(Hypothesis.Status.BACKLOG, 0),
        "mine": [],
        "awaiting": [],
        "ideas": [],
        "now": timezone.now(),
    }
    if can(user, "experiments.review") or can(user, "experiments.conclude"):
        awaiting = experiments_awaiting_decision(user=user)
        context["awaiting"] = list(awaiting[:HOME_MINE_LIMIT])
        context["awaiting_total"] = awaiting.count()
    if can(user, "experiments.create"):
        context["mine"] = experiments_owned_by(user=user, limit=HOME_MINE_LIMIT)
        context["mine_total"] = experiments_in_charge_of(user=user).count()
    if can(user, "hypotheses.follow_own"):
        context["ideas"] = hypotheses_authored_by(user=user, limit=HOME_MINE_LIMIT)
    context["overdue"] = overdue_for(user=user)
    return render(request, "programme/home.html", context)


@login_required
def dashboard_objectives(request):
    require_ability(request, "results.read")
    objectives = objective_list_for_user(user=request.user).exclude(status=Objective.Status.RETIRED)
    context = {"cards": objective_cards(objectives, user=request.user)}
    template = (
        "programme/_dashboard_objectives.html"
        if request.htmx
        else "programme/dashboard_objectives.html"
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
        "programme/_dashboard_programme.html"
        if request.htmx
        else "programme/dashboard_programme.html"
    )
    return render(request, template, context)
