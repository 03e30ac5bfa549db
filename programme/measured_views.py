"""Pages of what is measured: an objective's measured KPI (recorded on the objective's page)
and the programme holdouts. Everyone reads; the CMO and analysts record values and holdout data;
the CMO keeps holdouts. Writes go through ``measurements.py`` and ``holdouts.py``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as FileRefused
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from experiments.forms import add_service_errors
from experiments.selectors import objective_list_for_user
from experiments.web import paginate
from growthops.errors import DomainError, ValidationFailed
from roles.capabilities import can
from roles.permissions import require_ability

from .charts.holdouts import holdout_lift_chart
from .forms import HoldoutDataUploadForm, HoldoutForm, MeasurementForm, MeasurementUploadForm
from .holdouts import holdout_create, holdout_data_ingest, holdout_parse_csv
from .measurements import measurement_record, measurements_ingest, measurements_parse_csv
from .portfolio.holdouts import holdout_list_for_user, holdout_report
from .strategy_views import objective_page

# --- an objective's measured KPI ----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def objective_measure(request, pk: int):
    """One day from the form, or a CSV of days. A refused day comes back on the objective's page,
    each problem beside its field and what was typed kept; a refused file's problems, as
    messages."""
    if request.method == "GET":
        # The page of a refused day is drawn at this address: its relative links (the status
        # filters, the pages of experiments) land here and go on to the objective's page.
        query = request.GET.urlencode()
        return redirect(reverse("programme:objective", args=[pk]) + (f"?{query}" if query else ""))
    require_ability(request, "objectives.measure")
    objective = get_object_or_404(objective_list_for_user(user=request.user), pk=pk)
    if "file" in request.FILES:
        form = MeasurementUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                rows = measurements_parse_csv(form.text())
                written = measurements_ingest(
                    objective_id=objective.pk, actor=request.user, rows=rows
                )
            except (ValidationFailed, DomainError) as exc:
                _report(request, exc)
            except FileRefused as exc:  # too large, not UTF-8
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"Saved {written} measured day{'s' * (written != 1)}.")
        else:
            _form_errors(request, form)
    else:
        form = MeasurementForm(request.POST)
        if form.is_valid():
            try:
                saved = measurement_record(
                    objective_id=objective.pk, actor=request.user, **form.cleaned_data
                )
            except ValidationFailed as exc:
                add_service_errors(form, exc.errors)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Saved the value of {saved.date:%-d %b %Y}.")
                return redirect("programme:objective", pk=objective.pk)
        for problem in form.non_field_errors():  # the form shows its fields' errors only
            messages.error(request, problem)
        return objective_page(request, objective, measure_form=form)
    return redirect("programme:objective", pk=objective.pk)


# --- programme holdouts --------------------------------------------------------------------


@login_required
def holdout_list(request):
    require_ability(request, "results.read")
    may_manage = can(request.user, "holdouts.manage")
    form = None
    if request.method == "POST":
        require_ability(request, "holdouts.manage")
    if may_manage:
        form = HoldoutForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                holdout = holdout_create(actor=request.user, **form.service_fields())
            except ValidationFailed as exc:
                add_service_errors(form, exc.errors)
            else:
                messages.success(request, f"Keeping “{holdout.name}” away from shipped changes.")
                return redirect("programme:holdout", pk=holdout.pk)
    holdouts = holdout_list_for_user(user=request.user).order_by("-started_on", "name", "pk")
    return render(
        request,
        "programme/holdouts/holdout_list.html",
        {"page_obj": paginate(request, holdouts), "form": form, "may_manage": may_manage},
    )


@login_required
def holdout_detail(request, pk: int):
    require_ability(request, "results.read")
    holdout = get_object_or_404(holdout_list_for_user(user=request.user), pk=pk)
    report = holdout_report(holdout)
    return render(
        request,
        "programme/holdouts/holdout_detail.html",
        {
            "holdout": holdout,
            "report": report,
            "chart": holdout_lift_chart(holdout, report),
            "upload_form": HoldoutDataUploadForm() if can(request.user, "holdouts.data") else None,
        },
    )


@login_required
@require_POST
def holdout_upload(request, pk: int):
    require_ability(request, "holdouts.data")
    holdout = get_object_or_404(holdout_list_for_user(user=request.user), pk=pk)
    form = HoldoutDataUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("programme:holdout", pk=holdout.pk)
    try:
        rows = holdout_parse_csv(form.text())
        written = holdout_data_ingest(holdout_id=holdout.pk, actor=request.user, rows=rows)
    except (ValidationFailed, DomainError) as exc:
        _report(request, exc)
    except FileRefused as exc:  # too large, not UTF-8
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Saved {written} row{'s' * (written != 1)}.")
    return redirect("programme:holdout", pk=holdout.pk)


def _report(request, exc: DomainError) -> None:
    messages.error(request, exc.message)
    for where, problems in list(getattr(exc, "errors", {}).items())[:50]:
        messages.error(request, f"{where}: {'; '.join(problems)}")


def _form_errors(request, form) -> None:
    for name, problems in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        messages.error(request, f"{label or 'Form'}: {' '.join(problems)}")
