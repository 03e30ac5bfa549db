"""The board packs' pages: the list with the form that asks for one, and one pack."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from growthops.errors import ValidationFailed
from roles.capabilities import can
from roles.permissions import require_ability

from .models import BoardReport
from .reports.pack import pack_title
from .reports.render import page_context
from .reports.services import board_report_request


@login_required
@require_http_methods(["GET", "POST"])
def report_list(request):
    require_ability(request, "results.read")
    errors = {}
    if request.method == "POST":
        require_ability(request, "reports.build")
        try:
            report = board_report_request(
                actor=request.user,
                period=request.POST.get("period", ""),
                ending=_date_or_none(request.POST.get("ending", "")),
            )
        except ValidationFailed as error:
            errors = error.errors
        else:
            messages.success(
                request, f"{pack_title(report)}: building. It appears below when ready."
            )
            return redirect("programme:reports")
    reports = BoardReport.objects.select_related("requested_by").defer("content", "pdf")[:50]
    context = {
        "reports": reports,
        "can_build": can(request.user, "reports.build"),
        "periods": BoardReport.Period.choices,
        "errors": errors,
        "titles": {report.pk: pack_title(report) for report in reports},
    }
    return render(
        request, "programme/reports/report_list.html", context, status=400 if errors else 200
    )


def _date_or_none(text: str):
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as error:
        raise ValidationFailed({"ending": "Give a day as YYYY-MM-DD."}) from error


@login_required
def report_detail(request, pk: int):
    require_ability(request, "results.read")
    report = get_object_or_404(BoardReport.objects.defer("pdf"), pk=pk)
    context = {"report": report, "title": pack_title(report)}
    if report.status == BoardReport.Status.READY and report.content:
        context.update(page_context(report.content))
    return render(request, "programme/reports/report_detail.html", context)
