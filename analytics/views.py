from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from experiments.selectors import experiment_list_for_user
from growthops.errors import DomainError, ValidationFailed
from roles.permissions import require_ability

from . import services
from .dimensions import experiment_dimensions
from .forms import SlicesForm
from .ingest.observations import observations_upload, parse_csv
from .models import Notification
from .results import experiment_results_panel
from .slices import results_computed
from .srm import srm_acknowledge

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


@login_required
@require_POST
def experiment_upload(request, pk: int):
    require_ability(request, "data.upload")
    experiment = get_object_or_404(experiment_list_for_user(user=request.user), pk=pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose a CSV file to upload.")
    elif upload.size > MAX_UPLOAD_BYTES:
        messages.error(request, "The file is larger than 20 MB; split it or use the API.")
    else:
        try:
            rows = parse_csv(upload.read().decode("utf-8-sig"))
            saved = observations_upload(experiment_id=experiment.pk, actor=request.user, rows=rows)
        except UnicodeDecodeError:
            messages.error(request, "The file is not UTF-8 text.")
        except ValidationFailed as exc:
            messages.error(request, exc.message)
            for where, problems in list(exc.errors.items())[:50]:
                said = "; ".join(problems)
                if said not in exc.message:  # a bad header's message already names it
                    messages.error(request, f"{where}: {said}")
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            follows = (
                "results are being recomputed"
                if saved.results_stale
                else "only slices' rows: read them by dimension below"
            )
            messages.success(request, f"Saved {saved.written} rows; {follows}.")
    return redirect("experiments:detail", pk=experiment.pk)


# The results panel's part that its slicing form refreshes in place.
SLICES_TARGET = "slices"


@login_required
def experiment_results(request, pk: int):
    """The results panel: loaded into the experiment's page with htmx, or a page of its own.
    Its slicing form (``?dimension=&from=&to=``) refreshes only the slices' part."""
    require_ability(request, "experiments.read")
    experiment = get_object_or_404(experiment_list_for_user(user=request.user), pk=pk)
    form = SlicesForm(
        request.GET or None,
        auto_id="slices-%s",
        dimensions=experiment_dimensions(experiment.pk),
    )
    computed = (
        results_computed(experiment, user=request.user, **form.selector_arguments())
        if form.asked()
        else None
    )
    slices = {"experiment": experiment, "slices_form": form, "computed": computed}
    if request.htmx and request.htmx.target == SLICES_TARGET:
        return render(request, "analytics/_experiment_slices.html", slices)
    template = (
        "analytics/_experiment_results.html"
        if request.htmx
        else "analytics/experiment_results.html"
    )
    context = experiment_results_panel(experiment, user=request.user) | slices
    return render(request, template, context)


@login_required
@require_POST
def experiment_srm_acknowledge(request, pk: int):
    """Acknowledge the sample-ratio mismatch; htmx gets the panel back, a plain form the page."""
    experiment = get_object_or_404(experiment_list_for_user(user=request.user), pk=pk)
    require_ability(request, "results.acknowledge_srm", experiment)
    try:
        srm_acknowledge(
            experiment_id=experiment.pk, actor=request.user, note=request.POST.get("note", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Sample-ratio mismatch acknowledged; the reading is shown.")
    if request.htmx:
        context = experiment_results_panel(experiment, user=request.user)
        response = render(request, "analytics/_experiment_results.html", context)
        # The acknowledgement resolved the alert: the navbar's count follows (out of band).
        count = render_to_string("_alerts_count.html", {"oob": True}, request=request)
        response.content += count.encode()
        return response
    return redirect("experiments:detail", pk=experiment.pk)


@login_required
def notification_list(request):
    """Open alerts first, then the resolved ones as history (each with when it ended)."""
    mine = Notification.objects.filter(recipient=request.user).select_related(
        "alert", "alert__experiment", "alert__metric"
    )
    context = {
        "notifications": mine.filter(alert__resolved_at__isnull=True).order_by("-created_at")[:200],
        "resolved": mine.filter(alert__resolved_at__isnull=False).order_by("-alert__resolved_at")[
            :100
        ],
    }
    return render(request, "analytics/notification_list.html", context)


@login_required
@require_POST
def notifications_mark_read(request):
    count = services.notifications_mark_read(actor=request.user)
    messages.success(request, f"Marked {count} alert(s) as read.")
    return redirect("analytics:notifications")
