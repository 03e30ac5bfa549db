from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from growthops.errors import DomainError, ValidationFailed
from roles.capabilities import STEP_ABILITIES, can
from roles.permissions import require_ability

from . import services
from .design import experiment_design
from .forms import CostForm, add_service_errors, step_form
from .lifecycle import STEP_SERVICES, available_steps
from .models import ExperimentStatus, Hypothesis
from .page_filters import ExperimentFilter
from .selectors import (
    experiment_list_for_user,
    experiment_search,
    experiment_status_counts,
    experiments_awaiting_decision,
    experiments_owned_by,
    hypothesis_search,
    hypothesis_status_counts,
    objective_list_for_user,
)
from .web import comment_form_for, comment_posted, paginate

HOME_MINE_LIMIT = 8


@login_required
def home(request):
    counts = experiment_status_counts(request.user)
    hypotheses = hypothesis_status_counts(request.user)
    return render(
        request,
        "experiments/home.html",
        {
            "objectives": objective_list_for_user(request.user),
            "groups": [(ExperimentStatus(s).label, s, n) for s, n in counts.items()],
            "experiment_total": sum(counts.values()),
            "hypotheses_new": hypotheses.get(Hypothesis.Status.NEW, 0),
            "hypotheses_backlog": hypotheses.get(Hypothesis.Status.BACKLOG, 0),
            "mine": experiments_owned_by(request.user, limit=HOME_MINE_LIMIT),
            "awaiting": experiments_awaiting_decision(request.user, limit=HOME_MINE_LIMIT),
            "mine_total": experiment_list_for_user(request.user).filter(owner=request.user).count(),
        },
    )


@login_required
def experiment_list(request):
    require_ability(request, "results.read")
    filterset = ExperimentFilter(
        request.GET or None,
        queryset=experiment_list_for_user(request.user).order_by("-updated_at"),
        request=request,
    )
    context = {"filter": filterset, "page_obj": paginate(request, filterset.qs)}
    template = "experiments/experiment_list.html"
    if request.htmx and request.htmx.target == "experiment-results":
        template = "experiments/_experiment_results.html"
    return render(request, template, context)


@login_required
def experiment_detail(request, pk: int):
    require_ability(request, "results.read")
    experiment = get_object_or_404(experiment_list_for_user(request.user), pk=pk)
    comment_form = comment_form_for(request)
    if request.method == "POST":
        require_ability(request, "comments.create")
        if comment_posted(request, comment_form, experiment=experiment):
            return redirect("experiments:detail", pk=experiment.pk)
    steps = [
        (
            step,
            step.replace("_", " ").capitalize(),
            step_form(step, initial={"expected_status": experiment.status}),
        )
        for step in available_steps(experiment)
        if can(request.user, STEP_ABILITIES[step], experiment)
    ]
    return render(
        request,
        "experiments/experiment_detail.html",
        {
            "experiment": experiment,
            "variants": experiment.variants.all(),
            "timeline": experiment.status_changes.select_related("actor"),
            "comments": experiment.comments.select_related("author"),
            "comment_form": comment_form,
            "comment_action": reverse("experiments:detail", args=[experiment.pk]),
            "steps": steps,
            "design": experiment_design(experiment),
            "design_link": _design_link(request.user, experiment),
            "cost_form": _cost_form(request.user, experiment),
        },
    )


def _design_link(user, experiment) -> str | None:
    """ "edit" for the owner of a draft, "read" for the CMO reviewing drafts, else None."""
    if experiment.status != ExperimentStatus.DRAFT:
        return None
    if can(user, "experiments.design", experiment):
        return "edit"
    if can(user, "experiments.review"):
        return "read"
    return None


@login_required
@require_POST
def experiment_step(request, pk: int, step: str):
    if step not in STEP_SERVICES:
        raise Http404("No such step.")
    experiment = get_object_or_404(experiment_list_for_user(request.user), pk=pk)
    form = step_form(step, request.POST)
    if not form.is_valid():  # only hidden/optional fields: the services judge the content
        messages.error(request, "The form was incomplete; please try again.")
        return redirect("experiments:detail", pk=experiment.pk)
    try:
        STEP_SERVICES[step](
            experiment_id=experiment.pk, actor=request.user, **form.service_kwargs()
        )
    except ValidationFailed as exc:
        for field, problems in exc.errors.items():
            for problem in problems:
                messages.error(request, f"{field.replace('_', ' ').capitalize()}: {problem}")
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Done: {step.replace('_', ' ')}.")
    return redirect("experiments:detail", pk=experiment.pk)


@login_required
def search(request):
    require_ability(request, "results.read")
    text = request.GET.get("q", "").strip()
    hypotheses = hypothesis_search(request.user, text)
    experiments = experiment_search(request.user, text)
    counts = {"hypotheses": hypotheses.count(), "experiments": experiments.count()}
    kind = request.GET.get("type")
    if kind not in counts:
        kind = "experiments" if counts["experiments"] and not counts["hypotheses"] else "hypotheses"
    found = hypotheses if kind == "hypotheses" else experiments
    return render(
        request,
        "experiments/search.html",
        {"q": text, "kind": kind, "counts": counts, "page_obj": paginate(request, found)},
    )


def _cost_form(user, experiment) -> CostForm | None:
    """The cost form, filled with what is recorded, for those who may record it."""
    if not can(user, "experiments.cost", experiment):
        return None
    return CostForm(
        initial={"build_cost": experiment.build_cost, "media_cost": experiment.media_cost},
        auto_id="id_cost_%s",
    )


@login_required
@require_POST
def experiment_cost(request, pk: int):
    """Record the cost from the experiment page; htmx gets the form back in place."""
    experiment = get_object_or_404(experiment_list_for_user(request.user), pk=pk)
    require_ability(request, "experiments.cost", experiment)
    form = CostForm(request.POST, auto_id="id_cost_%s")
    saved = False
    if form.is_valid():
        try:
            experiment = services.experiment_record_cost(
                experiment_id=experiment.pk, actor=request.user, **form.cleaned_data
            )
            saved = True
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
    context = {"experiment": experiment, "cost_form": form, "cost_saved": saved}
    if request.htmx:
        return render(request, "experiments/_cost_form.html", context)
    if saved:
        messages.success(request, "Cost recorded.")
        return redirect("experiments:detail", pk=experiment.pk)
    # Without htmx a refused form comes back on a page of its own, with what was typed.
    return render(request, "experiments/experiment_cost.html", context, status=400)
