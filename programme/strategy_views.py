"""The strategy pages: objectives (with their ledger), segments (with their economics) and the
team. Everyone reads them; only the CMO writes, through ``experiments.services`` (the team's
and a segment's economics writes are in ``team_views.py``). A forced
write by anyone else is a 403 with the capability table's reason, and changes nothing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from experiments import services
from experiments.design import segment_daily_reach, segment_traffic_share
from experiments.forms import ObjectiveForm, SegmentForm, add_service_errors
from experiments.models import IN_FLIGHT, ExperimentStatus, Objective, Segment, SegmentEconomics
from experiments.selectors import (
    agency_partners,
    experiment_list_for_user,
    objective_list_for_user,
    operators_with_load,
    segment_list_for_user,
    segment_live_experiments,
    segment_tree,
)
from experiments.web import paginate
from growthops.errors import DomainError, ValidationFailed
from roles.capabilities import can
from roles.models import Team
from roles.permissions import require_ability

from .charts.strategy import segment_economics_chart
from .dashboard_views import objective_cards
from .forms import EconomicsUploadForm, MeasurementForm, MeasurementUploadForm
from .portfolio.rollup import experiment_impacts
from .portfolio.selectors import stored_win_probabilities
from .portfolio.standing import objective_standing

# --- objectives ---------------------------------------------------------------------------


@login_required
def objective_list(request):
    require_ability(request, "results.read")
    show_archived = request.GET.get("archived") == "1"
    objectives = objective_list_for_user(user=request.user)
    if not show_archived:
        objectives = objectives.exclude(status=Objective.Status.RETIRED)
    return render(
        request,
        "programme/strategy/objective_list.html",
        {
            "cards": objective_cards(objectives, user=request.user, charts=False),
            "show_archived": show_archived,
            "may_manage": can(request.user, "objectives.manage"),
        },
    )


@login_required
def objective_detail(request, pk: int):
    require_ability(request, "results.read")
    objective = get_object_or_404(objective_list_for_user(user=request.user), pk=pk)
    return objective_page(request, objective)


def objective_page(request, objective: Objective, *, measure_form: MeasurementForm | None = None):
    """The objective's page; ``measure_form`` is a refused day's form (``measured_views``), shown
    with its errors beside its fields and what was typed."""
    (card,) = objective_cards([objective], user=request.user)
    experiments = (
        experiment_list_for_user(user=request.user)
        .filter(objective=objective)
        .order_by("-updated_at", "-pk")
    )
    status = request.GET.get("status")
    if status == "in_flight":
        experiments = experiments.filter(status__in=IN_FLIGHT)
    elif status in ExperimentStatus.values:
        experiments = experiments.filter(status=status)
    elif status:  # no experiment has it (nor can PostgreSQL compare one holding a NUL)
        experiments = experiments.none()
    # A page of ids first (no joins to sort), then those rows with their joins.
    page_obj = paginate(request, experiments.values_list("pk", flat=True))
    ids = list(page_obj)
    found = experiment_list_for_user(user=request.user).in_bulk(ids)
    impacts = experiment_impacts(ids, p_win_by_team=stored_win_probabilities())
    rows = [(found[pk], impacts.get(pk)) for pk in ids]
    may_measure = can(request.user, "objectives.measure")
    return render(
        request,
        "programme/strategy/objective_detail.html",
        {
            "objective": objective,
            "card": card,
            "page_obj": page_obj,
            "rows": rows,
            "status": status or "",
            "may_manage": can(request.user, "objectives.manage"),
            "standing": objective_standing(objective, ledger=card.ledger, measured=card.measured),
            "measure_form": (measure_form or MeasurementForm()) if may_measure else None,
            "upload_form": MeasurementUploadForm() if may_measure else None,
        },
    )


@login_required
def objective_create(request):
    require_ability(request, "objectives.manage")
    form = ObjectiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            objective = services.objective_create(actor=request.user, **form.service_fields())
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, f"Objective “{objective.name}” set.")
            return redirect("programme:objective", pk=objective.pk)
    return render(
        request, "programme/strategy/objective_form.html", {"form": form, "objective": None}
    )


@login_required
def objective_edit(request, pk: int):
    require_ability(request, "objectives.manage")
    objective = get_object_or_404(Objective, pk=pk)
    form = ObjectiveForm(request.POST or None, instance=objective)
    if request.method == "POST" and form.is_valid():
        try:
            services.objective_update(objective_id=pk, actor=request.user, **form.service_fields())
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, f"Objective “{form.cleaned_data['name']}” saved.")
            return redirect("programme:objective", pk=pk)
    return render(
        request, "programme/strategy/objective_form.html", {"form": form, "objective": objective}
    )


@login_required
@require_POST
def objective_archive(request, pk: int):
    require_ability(request, "objectives.manage")
    objective = get_object_or_404(Objective, pk=pk)
    services.objective_archive(objective_id=objective.pk, actor=request.user)
    messages.success(request, f"Archived “{objective.name}”: it no longer shows on the dashboard.")
    return redirect("programme:objectives")


# --- segments -----------------------------------------------------------------------------


@login_required
def segment_list(request):
    require_ability(request, "results.read")
    may_manage = can(request.user, "segments.manage")
    form = None
    if request.method == "POST":
        require_ability(request, "segments.manage")
    launch_parent = _launch_parent(request) if may_manage else None
    if may_manage:
        initial = (
            {"parent": launch_parent.pk, "owner_team": launch_parent.owner_team_id}
            if launch_parent
            else None
        )
        form = SegmentForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                segment = services.segment_create(actor=request.user, **form.service_fields())
            except ValidationFailed as exc:
                add_service_errors(form, exc.errors)
            else:
                messages.success(request, f"Launched “{segment.path}”.")
                return redirect("programme:segment", pk=segment.pk)
    segments = segment_tree(user=request.user)
    for segment in segments:
        segment.traffic_share = segment_traffic_share(segment.live_traffic, segment)
    return render(
        request,
        "programme/strategy/segment_list.html",
        {
            "segments": segments,
            "form": form,
            "may_manage": may_manage,
            "launch_parent": launch_parent,
        },
    )


def _launch_parent(request):
    """The segment a sub-segment is launched inside (``?parent=``), with what launching one
    asks to see: its team, its daily reach and its three newest economics periods."""
    parent_id = request.GET.get("parent", "")
    if not parent_id.isdigit():
        return None
    parent = (
        segment_list_for_user(user=request.user)
        .select_related("owner_team")
        .filter(pk=int(parent_id), status=Segment.Status.ACTIVE)
        .first()
    )
    if parent is not None:
        parent.daily_reach = segment_daily_reach(parent)
        parent.recent_economics = list(
            SegmentEconomics.objects.filter(segment=parent).order_by("-period_start")[:3]
        )
    return parent


@login_required
def segment_detail(request, pk: int):
    require_ability(request, "results.read")
    segment = get_object_or_404(segment_list_for_user(user=request.user), pk=pk)
    periods = list(SegmentEconomics.objects.filter(segment=segment).order_by("period_start"))
    live = segment_live_experiments(segment, user=request.user)
    page_obj = paginate(request, live)
    for experiment in page_obj:
        experiment.traffic_share = segment_traffic_share(experiment.daily_traffic, segment)
    totals = live.order_by().aggregate(n=Count("id"), traffic=Sum("daily_traffic"))
    return render(
        request,
        "programme/strategy/segment_detail.html",
        {
            "segment": segment,
            "children": segment.children.select_related("owner_team").order_by("name"),
            "periods": periods,
            "chart": segment_economics_chart(segment, periods),
            "page_obj": page_obj,
            "live_total": totals["n"],
            "total_share": segment_traffic_share(totals["traffic"], segment),
            "may_manage": can(request.user, "segments.manage"),
            "economics_form": (
                EconomicsUploadForm() if can(request.user, "segments.economics", segment) else None
            ),
        },
    )


@login_required
@require_POST
def segment_sunset(request, pk: int):
    return _segment_step(request, pk, services.segment_sunset, "Sunset “{}”.")


@login_required
@require_POST
def segment_launch(request, pk: int):
    return _segment_step(request, pk, services.segment_launch, "Launched “{}” again.")


def _segment_step(request, pk, service, done: str):
    require_ability(request, "segments.manage")
    segment = get_object_or_404(Segment, pk=pk)
    try:
        service(segment_id=segment.pk, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done.format(segment.name))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "programme:segments"
    return redirect(back or "programme:segments")


# --- the team -----------------------------------------------------------------------------


@login_required
def team(request):
    require_ability(request, "results.read")
    return render(
        request,
        "programme/strategy/team.html",
        {
            "operators": operators_with_load(user=request.user),
            "teams": Team.objects.prefetch_related("members", "segments").order_by("name"),
            "agencies": agency_partners(user=request.user),
            "may_manage": can(request.user, "teams.manage"),
        },
    )
