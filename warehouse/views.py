"""The experiment page's warehouse panel (loaded with htmx from the experiment page, as the
results panel is): its exposure source, the last refresh with the exact SQL that ran and its
time, any error, and a Refresh button whose run the panel follows while it is queued."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from experiments.selectors import experiment_list_for_user
from growthops.errors import DomainError
from roles.capabilities import can
from roles.permissions import require_ability

from .forms import ExposureSourceForm
from .models import ExperimentSource, RefreshRun
from .requests import refresh_request
from .services import experiment_source_set


def _panel(request, experiment, source_form=None):
    run = RefreshRun.objects.filter(experiment=experiment).select_related("requested_by").first()
    link = ExperimentSource.objects.filter(experiment=experiment).select_related("source").first()
    may_refresh = can(request.user, "warehouse.refresh", experiment)
    if may_refresh and source_form is None:
        initial = {"source": link.source_id, "experiment_key": link.experiment_key} if link else {}
        source_form = ExposureSourceForm(initial=initial)
    context = {
        "experiment": experiment,
        "link": link,
        "run": run,
        "in_progress": run is not None and run.status in ("queued", "running"),
        "may_refresh": may_refresh,
        "source_form": source_form if may_refresh else None,
    }
    return render(request, "warehouse/_experiment_panel.html", context)


@login_required
def experiment_panel(request, pk: int):
    require_ability(request, "experiments.read")
    experiment = get_object_or_404(experiment_list_for_user(user=request.user), pk=pk)
    return _panel(request, experiment)


@login_required
@require_POST
def experiment_refresh(request, pk: int):
    experiment = get_object_or_404(experiment_list_for_user(user=request.user), pk=pk)
    require_ability(request, "warehouse.refresh", experiment)
    try:
        refresh_request(actor=request.user, experiment_id=experiment.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    if request.htmx:
        return _panel(request, experiment)
    return redirect("experiments:detail", pk=experiment.pk)


@login_required
@require_POST
def experiment_source(request, pk: int):
    """Name (or remove) the data source the experiment's exposures are read from."""
    experiment = get_object_or_404(experiment_list_for_user(user=request.user), pk=pk)
    require_ability(request, "warehouse.refresh", experiment)
    form = ExposureSourceForm(request.POST)
    if form.is_valid():
        try:
            experiment_source_set(
                actor=request.user,
                experiment_id=experiment.pk,
                source=form.cleaned_data["source"],
                experiment_key=form.cleaned_data["experiment_key"].strip(),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
    if request.htmx:
        return _panel(request, experiment, form if form.errors else None)
    if form.errors:
        messages.error(request, " ".join(form.errors.get("__all__", [])) or "Check the source.")
    return redirect("experiments:detail", pk=experiment.pk)
