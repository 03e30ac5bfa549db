"""The warehouse set-up pages: data sources (list, add, edit, test the connection) and the
metric library (list, a metric's versions, define, edit, mark official).

Each page asks the capability table first (others get the 403 page with the reason); every
write goes through ``warehouse.services``, whose refusals appear next to the fields. A source's
connection settings are shown only as their reference (env:NAME / file:/path), never read.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from experiments.forms import add_service_errors
from experiments.web import paginate
from growthops.errors import ValidationFailed
from roles.capabilities import can
from roles.permissions import require_ability

from . import services
from .forms import DataSourceForm, MetricForm
from .models import DataSource
from .selectors import datasource_list, metric_library, metric_versions

SOURCES, DEFINE, OFFICIAL = "warehouse.sources", "metrics.define", "metrics.official"


# --- data sources --------------------------------------------------------------------------


@login_required
def source_list_page(request):
    require_ability(request, SOURCES)
    page_obj = paginate(request, datasource_list(user=request.user))
    return render(request, "warehouse/source_list.html", {"page_obj": page_obj})


@login_required
def source_form_page(request, pk=None):
    require_ability(request, SOURCES)
    source = get_object_or_404(DataSource, pk=pk) if pk is not None else None
    form = DataSourceForm(request.POST or None, instance=source)
    if request.method == "POST" and form.is_valid():
        try:
            if source is None:
                saved = services.datasource_create(actor=request.user, **form.service_kwargs())
            else:
                saved = services.datasource_update(
                    actor=request.user, datasource_id=source.pk, **form.service_kwargs()
                )
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, f"Data source “{saved.name}” saved.")
            return redirect("warehouse:sources")
    if source is not None:
        source.refresh_from_db()  # the form's cleaning wrote onto it; show what is stored
    return render(request, "warehouse/source_form.html", {"form": form, "source": source})


@login_required
@require_POST
def source_test_page(request, pk):
    require_ability(request, SOURCES)
    source = get_object_or_404(DataSource, pk=pk)
    source = services.datasource_test(actor=request.user, datasource_id=source.pk)
    if source.last_test_ok:
        messages.success(request, f"{source.name}: {source.last_test_message}")
    else:
        messages.error(request, f"{source.name}: {source.last_test_message}")
    return redirect("warehouse:sources")


# --- the metric library --------------------------------------------------------------------


@login_required
def metric_list_page(request):
    require_ability(request, DEFINE)
    page_obj = paginate(request, metric_library(user=request.user))
    latest = services.latest_definitions([metric.pk for metric in page_obj])
    for metric in page_obj:
        metric.latest = latest.get(metric.pk)
    return render(request, "warehouse/metric_list.html", {"page_obj": page_obj})


@login_required
def metric_detail_page(request, pk):
    require_ability(request, DEFINE)
    metric = get_object_or_404(metric_library(user=request.user), pk=pk)
    versions = list(metric_versions(user=request.user, metric=metric))
    return render(
        request,
        "warehouse/metric_detail.html",
        {
            "metric": metric,
            "versions": versions,
            "latest": versions[0] if versions else None,
            "may_mark_official": can(request.user, OFFICIAL),
        },
    )


@login_required
def metric_form_page(request, pk=None):
    require_ability(request, DEFINE)
    metric = get_object_or_404(metric_library(user=request.user), pk=pk) if pk else None
    initial = {}
    if metric is not None:
        latest = metric_versions(user=request.user, metric=metric).first()
        initial = MetricForm.initial_for(metric, latest)
    form = MetricForm(request.POST or None, initial=initial, editing=metric is not None)
    if request.method == "POST" and form.is_valid():
        before = metric.version_count if metric is not None else 0
        try:
            saved = services.metric_define(
                actor=request.user,
                metric_id=metric.pk if metric is not None else None,
                **form.service_kwargs(),
            )
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
        else:
            count = saved.definitions.count()
            if count > before:
                messages.success(request, f"Saved as version {count} of “{saved.name}”.")
            else:
                messages.info(request, "The definition is unchanged: no new version.")
            return redirect("warehouse:metric", pk=saved.pk)
    return render(request, "warehouse/metric_form.html", {"form": form, "metric": metric})


@login_required
@require_POST
def metric_official_page(request, pk):
    require_ability(request, OFFICIAL)
    metric = get_object_or_404(metric_library(user=request.user), pk=pk)
    version = request.POST.get("version") or None
    try:
        number = int(version) if version is not None else None
        definition = services.metric_mark_official(
            actor=request.user, metric_id=metric.pk, version=number
        )
    except (ValueError, ValidationFailed):
        messages.error(request, "This metric has no such version to mark official.")
    else:
        messages.success(request, f"Version {definition.version} is now official.")
    return redirect("warehouse:metric", pk=metric.pk)
