"""The programme's pages: the CMO's approval queue and the insights."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from experiments.forms import add_service_errors, step_form, step_label
from experiments.lifecycle import STEP_SERVICES
from experiments.models import KillReason
from experiments.selectors import experiment_list_for_user
from experiments.step_messages import step_done_message
from experiments.web import paginate
from growthops.errors import DomainError, OverrideRequired, ValidationFailed
from roles.capabilities import STEP_ABILITIES
from roles.permissions import require_ability

from .charts.insights import insight_charts
from .insights import INSIGHTS
from .insights.run import insight_report, insight_summaries
from .review import (
    DECISION_STEPS,
    DECISIONS_SHOWN,
    REVIEW_STEPS,
    decision_items,
    decision_queryset,
    decision_rows,
    review_items,
    review_queryset,
)

# Each card of the approval queue is a full brief; ten make a page one reads through.
REVIEW_PAGE_SIZE = 10


@login_required
def insight_index(request):
    require_ability(request, "results.read")
    return render(request, "programme/insights/index.html", {"insights": insight_summaries()})


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
        "charts": insight_charts(name, report.data),
    }
    return render(request, "programme/insights/detail.html", context)


@login_required
def review_queue(request):
    """The CMO's approval queue: every design in review, oldest first, decided in place."""
    require_ability(request, "experiments.review")
    page_obj = paginate(request, review_queryset(user=request.user), per_page=REVIEW_PAGE_SIZE)
    return _review_page(request, page_obj)


def _review_page(request, page_obj, *, refused: tuple[int, str] | None = None, form=None):
    items = review_items(page_obj.object_list, user=request.user)
    for item in items:
        item.forms = _review_forms(item.experiment, refused=refused, form=form)
    # Completed tests waiting for the final decision: on the first page, the longest waiting.
    waiting = decision_queryset(user=request.user) if page_obj.number == 1 else None
    # (``is not None``: a queryset's truth would load every completed test to answer it.)
    shown = waiting[:DECISIONS_SHOWN] if waiting is not None else []
    decisions = decision_items(shown, user=request.user) if shown else []
    for item in decisions:
        item.form = _decision_form(item.experiment, refused=refused, form=form)
    return render(
        request,
        "programme/review_queue.html",
        {
            "page_obj": page_obj,
            "items": items,
            "kill_reasons": KillReason.choices,
            "decisions": decisions,
            "decisions_waiting": waiting.count() if waiting is not None else 0,
        },
    )


def _decision_form(experiment, *, refused=None, form=None):
    """The conclude form of a completed test's card: as typed after a refusal, else empty."""
    if refused is not None and refused == (experiment.pk, "conclude"):
        return form
    return step_form(
        "conclude",
        initial={"expected_status": experiment.status},
        auto_id=f"decide-{experiment.pk}-%s",
    )


def _review_forms(experiment, *, refused=None, form=None) -> dict:
    """The refused form of a card, as it was typed (the others start empty)."""
    if refused is not None and refused[0] == experiment.pk:
        return {refused[1]: form}
    return {}


@login_required
@require_POST
def review_step(request, pk: int, step: str):
    """Approve, send back or kill a design, or conclude a completed test, from the queue;
    htmx swaps the card, a plain form reloads."""
    if step not in REVIEW_STEPS + DECISION_STEPS:
        raise Http404("No such review step.")
    experiment = get_object_or_404(experiment_list_for_user(user=request.user), pk=pk)
    require_ability(request, STEP_ABILITIES[step], experiment)
    deciding = step in DECISION_STEPS
    auto_id = f"decide-{pk}-%s" if deciding else f"review-{pk}-{step}-%s"
    form = step_form(step, request.POST, auto_id=auto_id)
    done = False
    if form.is_valid():
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
            done = True
    experiment.refresh_from_db()
    if done:
        message = step_done_message(step, experiment)
        if request.htmx:
            # The headings' counts move with the card (swapped out of band).
            sizes = {
                "queue_size": review_queryset(user=request.user).count(),
                "decisions_waiting": decision_queryset(user=request.user).count(),
            }
            return render(
                request,
                "programme/_review_card.html",
                {"decided": experiment, "message": message, "step": step, **sizes},
            )
        messages.success(request, message)
        return redirect("programme:review")
    if request.htmx and deciding:
        item = decision_items([decision_rows(user=request.user).get(pk=pk)], user=request.user)[0]
        item.form = form
        return render(request, "programme/_decision_card.html", {"item": item})
    if request.htmx:
        item = review_items([_queue_row(request.user, pk) or experiment], user=request.user)[0]
        item.forms = _review_forms(experiment, refused=(pk, step), form=form)
        return render(
            request,
            "programme/_review_card.html",
            {"item": item, "refused_step": step, "kill_reasons": KillReason.choices},
        )
    messages.error(
        request, f"Not done ({step_label(step).lower()} “{experiment.name}”): see below."
    )
    page_obj = paginate(request, review_queryset(user=request.user), per_page=REVIEW_PAGE_SIZE)
    return _review_page(request, page_obj, refused=(pk, step), form=form)


def _queue_row(user, pk: int):
    """The experiment as the queue reads it (with its variants and submissions), if in review."""
    return review_queryset(user=user).filter(pk=pk).first()
