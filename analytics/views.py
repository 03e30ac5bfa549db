from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from experiments.selectors import experiment_list_for_user
from growthops.errors import DomainError, ValidationFailed
from roles.permissions import require_ability

from . import services
from .ingest.observations import observations_ingest, parse_csv
from .insights import INSIGHTS
from .insights.run import insight_report, insight_summaries
from .models import Notification
from .selectors import experiment_results_panel

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


@login_required
@require_POST
def experiment_upload(request, pk: int):
    require_ability(request, "data.upload")
    experiment = get_object_or_404(experiment_list_for_user(request.user), pk=pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose a CSV file to upload.")
    elif upload.size > MAX_UPLOAD_BYTES:
        messages.error(request, "The file is larger than 20 MB; split it or use the API.")
    else:
        try:
            rows = parse_csv(upload.read().decode("utf-8-sig"))
            written = observations_ingest(
                experiment_id=experiment.pk, actor=request.user, rows=rows
            )
        except UnicodeDecodeError:
            messages.error(request, "The file is not UTF-8 text.")
        except ValidationFailed as exc:
            messages.error(request, exc.message)
            for where, problems in list(exc.errors.items())[:50]:
                messages.error(request, f"{where}: {'; '.join(problems)}")
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Saved {written} rows; results are being recomputed.")
    return redirect("experiments:detail", pk=experiment.pk)


@login_required
def experiment_results(request, pk: int):
    """The results panel: loaded into the experiment's page with htmx, or a page of its own."""
    require_ability(request, "results.read")
    experiment = get_object_or_404(experiment_list_for_user(request.user), pk=pk)
    template = (
        "analytics/_experiment_results.html"
        if request.htmx
        else "analytics/experiment_results.html"
    )
    return render(request, template, experiment_results_panel(experiment, request.user))


@login_required
def notification_list(request):
    notifications = (
        Notification.objects.filter(recipient=request.user)
        .select_related("alert", "alert__experiment", "alert__metric")
        .order_by("-created_at")[:200]
    )
    return render(request, "analytics/notification_list.html", {"notifications": notifications})


@login_required
@require_POST
def notifications_mark_read(request):
    count = services.notifications_mark_read(user=request.user)
    messages.success(request, f"Marked {count} alert(s) as read.")
    return redirect("analytics:notifications")


@login_required
def insight_index(request):
    require_ability(request, "results.read")
    return render(request, "analytics/insights/index.html", {"insights": insight_summaries()})


@login_required
def insight_detail(request, name: str):
    require_ability(request, "results.read")
    if name not in INSIGHTS:
        raise Http404("No such insight.")
    insight = INSIGHTS[name]
    report = insight_report(name)
    context = {
        "insight": insight,
        "report": report,
        "data": report.data,
        "charts": insight.charts(report.data),
    }
    return render(request, "analytics/insights/detail.html", context)
