from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from experiments.forms import add_service_errors, step_form, step_label
from experiments.lifecycle import STEP_SERVICES
from experiments.models import KillReason
from experiments.selectors import experiment_list_for_user
from experiments.web import paginate
from growthops.errors import DomainError, ValidationFailed
from roles.capabilities import STEP_ABILITIES
from roles.permissions import require_ability

from . import services
from .ingest.observations import observations_ingest, parse_csv
from .insights import INSIGHTS
from .insights.run import insight_report, insight_summaries
from .models import Notification
from .results import experiment_results_panel
from .review import REVIEW_STEPS, review_items, review_queryset
from .srm import srm_acknowledge

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# Each card of the approval queue is a full brief; ten make a page one reads through.
REVIEW_PAGE_SIZE = 10


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
@require_POST
def experiment_srm_acknowledge(request, pk: int):
    """Acknowledge the sample-ratio mismatch; htmx gets the panel back, a plain form the page."""
    experiment = get_object_or_404(experiment_list_for_user(request.user), pk=pk)
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
        context = experiment_results_panel(experiment, request.user)
        return render(request, "analytics/_experiment_results.html", context)
    return redirect("experiments:detail", pk=experiment.pk)


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


@login_required
def review_queue(request):
    """The CMO's approval queue: every design in review, oldest first, decided in place."""
    require_ability(request, "experiments.review")
    page_obj = paginate(request, review_queryset(request.user), per_page=REVIEW_PAGE_SIZE)
    return _review_page(request, page_obj)


def _review_page(request, page_obj, *, refused: tuple[int, str] | None = None, form=None):
    items = review_items(page_obj.object_list, request.user)
    for item in items:
        item.forms = _review_forms(item.experiment, refused=refused, form=form)
    return render(
        request,
        "analytics/review_queue.html",
        {"page_obj": page_obj, "items": items, "kill_reasons": KillReason.choices},
    )


def _review_forms(experiment, *, refused=None, form=None) -> dict:
    """The refused form of a card, as it was typed (the others start empty)."""
    if refused is not None and refused[0] == experiment.pk:
        return {refused[1]: form}
    return {}


@login_required
@require_POST
def review_step(request, pk: int, step: str):
    """Approve, send back or kill from the queue; htmx swaps the card, a plain form reloads."""
    if step not in REVIEW_STEPS:
        raise Http404("No such review step.")
    experiment = get_object_or_404(experiment_list_for_user(request.user), pk=pk)
    require_ability(request, STEP_ABILITIES[step], experiment)
    form = step_form(step, request.POST, auto_id=f"review-{pk}-{step}-%s")
    done = False
    if form.is_valid():
        try:
            STEP_SERVICES[step](
                experiment_id=experiment.pk, actor=request.user, **form.service_kwargs()
            )
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            done = True
    experiment.refresh_from_db()
    if done:
        message = f"{step_label(step)}: “{experiment.name}” is now {experiment.get_status_display().lower()}."
        if request.htmx:
            return render(
                request,
                "analytics/_review_card.html",
                {"decided": experiment, "message": message, "step": step},
            )
        messages.success(request, message)
        return redirect("analytics:review")
    if request.htmx:
        item = review_items([_queue_row(request.user, pk) or experiment], request.user)[0]
        item.forms = _review_forms(experiment, refused=(pk, step), form=form)
        return render(
            request,
            "analytics/_review_card.html",
            {"item": item, "refused_step": step, "kill_reasons": KillReason.choices},
        )
    messages.error(
        request, f"Not done ({step_label(step).lower()} “{experiment.name}”): see below."
    )
    page_obj = paginate(request, review_queryset(request.user), per_page=REVIEW_PAGE_SIZE)
    return _review_page(request, page_obj, refused=(pk, step), form=form)


def _queue_row(user, pk: int):
    """The experiment as the queue reads it (with its variants and submissions), if in review."""
    return review_queryset(user).filter(pk=pk).first()
