from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from growthops.errors import DomainError, OverrideRequired, ValidationFailed
from growthops.renderers import csv_response, in_batches
from roles.capabilities import STEP_ABILITIES, can
from roles.permissions import require_ability

from . import services
from .decisions import days_running, decision_panel
from .design import experiment_design
from .forms import CostForm, SearchForm, add_service_errors, step_form, step_label
from .lifecycle import STEP_SERVICES, available_steps
from .list_rows import (
    LIST_HEADERS,
    NUMERIC_COLUMNS,
    list_rows,
    page_of,
    primary_arms,
    sort_columns,
    sorted_experiments,
)
from .models import ExperimentStatus
from .page_filters import ExperimentPageFilter, LearningPageFilter
from .search import experiment_search, hypothesis_search
from .selectors import experiment_list_for_user, learnings_for_user
from .step_messages import step_done_message
from .streams import stream_of
from .teams import step_warnings
from .web import PAGE_SIZE, comment_form_for, comment_posted, paginate


@login_required
def learnings(request):
    """Concluded experiments: what each taught and the hypothesis it led to."""
    require_ability(request, "experiments.read")
    filterset = LearningPageFilter(
        request.GET or None, queryset=learnings_for_user(user=request.user), request=request
    )
    page_obj = paginate(request, filterset.qs)
    arms = primary_arms(list(page_obj.object_list))
    for experiment in page_obj.object_list:
        experiment.primary_arm = arms.get(experiment.pk)
    context = {"filter": filterset, "page_obj": page_obj}
    template = "experiments/learnings.html"
    if request.htmx and request.htmx.target == "learning-results":
        template = "experiments/_learning_results.html"
    return render(request, template, context)


@login_required
def experiment_list(request):
    require_ability(request, "experiments.read")
    filterset = ExperimentPageFilter(
        request.GET or None,
        queryset=experiment_list_for_user(user=request.user).prefetch_related(
            "variants", "guardrail_metrics"
        ),
        request=request,
    )
    sort = filterset.chosen_sort
    page_obj = page_of(request, sorted_experiments(filterset.qs, sort), filterset.qs, PAGE_SIZE)
    context = {
        "filter": filterset,
        "page_obj": page_obj,
        "rows": (rows := list_rows(page_obj.object_list, user=request.user)),
        # A conversion rate's interval is cut at −100 % (analytics.stats.reading.rate_floor).
        "floored": any(row.lift_low is not None and row.lift_low <= -1 for row in rows),
        "sort": sort,
        "columns": sort_columns(sort),
        "list_headers": LIST_HEADERS,
        "numeric_columns": NUMERIC_COLUMNS,
    }
    template = "experiments/experiment_list.html"
    if request.htmx and request.htmx.target == "experiment-results":
        template = "experiments/_experiment_results.html"
    return render(request, template, context)


@login_required
def experiment_detail(request, pk: int):
    require_ability(request, "experiments.read")
    experiment = get_object_or_404(
        experiment_list_for_user(user=request.user).select_related(
            "hypothesis", "owner", "objective", "segment", "primary_metric", "template"
        ),
        pk=pk,
    )
    comment_form = comment_form_for(request)
    if request.method == "POST":
        require_ability(request, "comments.create")
        if comment_posted(request, comment_form, experiment=experiment):
            return redirect("experiments:detail", pk=experiment.pk)
    return _detail_page(request, experiment, comment_form=comment_form)


def _detail_page(request, experiment, *, comment_form=None, refused_step=None, refused_form=None):
    """The experiment's page; a refused step shows its form again as it was sent, with why.

    The decision rule and its verdict are on it; a step that goes against the plan says so
    and asks for the reason before the click."""
    decision = decision_panel(experiment)
    steps = []
    for step in available_steps(experiment):
        if not can(request.user, STEP_ABILITIES[step], experiment):
            continue
        if step == refused_step:
            form = refused_form
        else:
            form = step_form(
                step, initial={"expected_status": experiment.status}, auto_id=f"{step}-%s"
            )
        if step == "complete" and decision.against_plan is None:
            form.drop_unasked("override_reason")
        unresolved_srm = (
            decision.reading is not None and decision.reading.unresolved_srm_p is not None
        )
        if step == "complete" and not unresolved_srm:
            form.drop_unasked("confirm_srm")
        steps.append((step, step_label(step), form))
    variants = list(experiment.variants.all())
    return render(
        request,
        "experiments/experiment_detail.html",
        {
            "experiment": experiment,
            "variants": variants,
            "timeline": experiment.status_changes.select_related("actor"),
            "comments": experiment.comments.select_related("author"),
            # A refused step's page shows an empty comment form, not one bound to the step's POST.
            "comment_form": comment_form
            if comment_form is not None
            else comment_form_for(request, bound=False),
            "comment_action": reverse("experiments:detail", args=[experiment.pk]),
            "steps": steps,
            "refused_step": refused_step,
            "decision": decision,
            "design": experiment_design(experiment),
            "design_link": _design_link(request.user, experiment),
            # The day it is on while it runs, counted as the verdict counts it.
            "running_days": None if experiment.end_date else days_running(experiment),
            "follow_ups": experiment.follow_ups.order_by("pk") if experiment.decision else [],
            "cost_form": _cost_form(request.user, experiment),
            "can_share": can(request.user, "experiments.share", experiment),
            "stream": stream_of(experiment.hypothesis_id),
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
    """Take one lifecycle step from the experiment's page; refused, the page comes back with
    the form as it was typed and the service's reasons beside its fields."""
    if step not in STEP_SERVICES:
        raise Http404("No such step.")
    experiment = get_object_or_404(experiment_list_for_user(user=request.user), pk=pk)
    require_ability(request, STEP_ABILITIES[step], experiment)
    form = step_form(step, request.POST, auto_id=f"{step}-%s")
    if form.is_valid() and _take_step(request, experiment, step, form):
        experiment.refresh_from_db()
        messages.success(request, step_done_message(step, experiment))
        for warning in step_warnings(step, experiment):
            messages.warning(request, warning)
        return redirect("experiments:detail", pk=experiment.pk)
    experiment.refresh_from_db()
    return _detail_page(request, experiment, refused_step=step, refused_form=form)


def _take_step(request, experiment, step: str, form) -> bool:
    """Run the step's service with the form's values; on refusal put the reasons on the form."""
    try:
        STEP_SERVICES[step](
            experiment_id=experiment.pk, actor=request.user, **form.service_kwargs()
        )
    except ValidationFailed as exc:
        add_service_errors(form, exc.errors)
    except OverrideRequired as exc:
        field = "override_reason" if "override_reason" in form.fields else None
        form.add_error(field, f"{exc.statement} Give a reason to go ahead.")
    except DomainError as exc:
        form.add_error(None, exc.message)
    else:
        return True
    return False


@login_required
def search(request):
    require_ability(request, "experiments.read")
    form = SearchForm(request.GET)
    if not form.is_valid():  # a NUL, or more than MAX_SEARCH_LENGTH characters
        context = {"q": "", "error": "; ".join(form.errors["q"])}
        return render(request, "experiments/search.html", context, status=400)
    text = form.cleaned_data["q"]
    hypotheses = hypothesis_search(text, user=request.user)
    experiments = experiment_search(text, user=request.user)
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
    experiment = get_object_or_404(experiment_list_for_user(user=request.user), pk=pk)
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


LIST_CSV_COLUMNS = [
    "id",
    "key",
    "name",
    "status",
    "owner",
    "objective",
    "segment",
    "primary_metric",
    "leading_variant",
    "lift",
    "lift_ci_low",
    "lift_ci_high",
    "significant",
    "evidence",
    "users",
    "planned_users",
    "progress",
    "days_running",
    "next_step",
    "updated_at",
]


@login_required
def experiment_list_csv(request):
    """The list as filtered and sorted on the page, every row (not one page), as CSV."""
    require_ability(request, "experiments.read")
    filterset = ExperimentPageFilter(
        request.GET or None,
        queryset=experiment_list_for_user(user=request.user).prefetch_related(
            "variants", "guardrail_metrics"
        ),
        request=request,
    )
    if filterset.form.is_bound and not filterset.form.is_valid():
        return HttpResponseBadRequest(
            "; ".join(f"{k}: {' '.join(v)}" for k, v in filterset.form.errors.items()),
            content_type="text/plain; charset=utf-8",
        )
    ordered = sorted_experiments(filterset.qs, filterset.chosen_sort)
    if isinstance(ordered, list):
        found = filterset.qs.in_bulk(ordered)
        ordered = [found[pk] for pk in ordered if pk in found]
    batches = (list_csv_rows(list_rows(batch, user=request.user)) for batch in in_batches(ordered))
    response = csv_response(LIST_CSV_COLUMNS, batches)
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="experiments-{stamp}.csv"'
    return response


def list_csv_rows(rows) -> list[dict]:
    return [
        {
            "id": row.experiment.pk,
            "key": row.experiment.key,
            "name": row.experiment.name,
            "status": row.experiment.status,
            "owner": row.experiment.owner.username,
            "objective": str(row.experiment.objective or ""),
            "segment": row.experiment.segment.name if row.experiment.segment else "",
            "primary_metric": row.experiment.primary_metric.key
            if row.experiment.primary_metric
            else "",
            "leading_variant": row.arm,
            "lift": row.lift,
            "lift_ci_low": row.lift_low,
            "lift_ci_high": row.lift_high,
            "significant": row.significant,
            "evidence": row.evidence,
            "users": row.users,
            "planned_users": row.planned_users,
            "progress": None if row.progress is None else round(row.progress, 4),
            "days_running": row.days,
            "next_step": row.next_step,
            "updated_at": row.experiment.updated_at.isoformat(),
        }
        for row in rows
    ]
