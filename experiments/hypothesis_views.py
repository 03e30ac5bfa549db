"""Hypothesis pages: log one, the backlog (list and board), one hypothesis.

Every write goes through ``experiments.services``; a refused or invalid write comes back as
the service's message next to the right field. htmx requests to a page get its fragment.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from growthops.errors import DomainError, ValidationFailed
from roles.capabilities import can
from roles.permissions import require_ability

from . import services
from .forms import HypothesisForm, ScoreForm, SimilarIdeasForm, TriageForm, add_service_errors
from .models import Hypothesis
from .page_filters import HypothesisPageFilter
from .search import hypothesis_similar
from .selectors import hypothesis_backlog, hypothesis_board, hypothesis_list_for_user
from .streams import stream_of
from .web import comment_form_for, comment_posted, paginate


@login_required
def hypothesis_create(request):
    require_ability(request, "hypotheses.create")
    if request.htmx and request.method == "GET":
        # The title is being typed: show what resembles it.
        typed = SimilarIdeasForm(request.GET)
        if not typed.is_valid():
            error = "; ".join(typed.errors["title"])
            return render(request, "experiments/_similar.html", {"error": error}, status=400)
        text = typed.cleaned_data["title"]
        return render(
            request,
            "experiments/_similar.html",
            {"similar": hypothesis_similar(text, limit=5, user=request.user), "text": text},
        )
    form = HypothesisForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            hypothesis = services.hypothesis_create(actor=request.user, **form.cleaned_data)
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, f"Logged “{hypothesis.title}”. Operators will triage it.")
            return redirect("experiments:hypothesis-detail", pk=hypothesis.pk)
    # Only a title the form accepted is looked up (one holding a NUL is an error beside it).
    title = form.cleaned_data.get("title", "") if form.is_bound else ""
    return render(
        request,
        "experiments/hypothesis_form.html",
        {
            "form": form,
            "similar": hypothesis_similar(title, limit=5, user=request.user),
            "text": title,
        },
    )


@login_required
def hypothesis_detail(request, pk: int):
    require_ability(request, "experiments.read")
    hypothesis = get_object_or_404(
        hypothesis_backlog(user=request.user).select_related(
            "metric", "scored_by", "iterates_on_hypothesis", "iterates_on_experiment"
        ),
        pk=pk,
    )
    comment_form = comment_form_for(request)
    if request.method == "POST":
        require_ability(request, "comments.create")
        if comment_posted(request, comment_form, hypothesis=hypothesis):
            return redirect("experiments:hypothesis-detail", pk=hypothesis.pk)
    may_triage = can(request.user, "hypotheses.triage")
    # Designs start from the backlog; tested ideas are iterated on through follow-ups.
    may_design = (
        can(request.user, "experiments.create") and hypothesis.status == Hypothesis.Status.BACKLOG
    )
    return render(
        request,
        "experiments/hypothesis_detail.html",
        {
            "hypothesis": hypothesis,
            "may_triage": may_triage,
            "may_design": may_design,
            "score_form": ScoreForm(
                initial={
                    name: getattr(hypothesis, name)
                    for name in ("impact", "confidence", "ease", "reach", "effort")
                },
                auto_id="id_score_%s",
            )
            if may_triage
            else None,
            "experiments": hypothesis.experiments.select_related("owner").order_by("-created_at"),
            "iterations": hypothesis.iterations.select_related("author").order_by("-created_at"),
            "comments": hypothesis.comments.select_related("author"),
            "comment_form": comment_form,
            "comment_action": reverse("experiments:hypothesis-detail", args=[hypothesis.pk]),
            "stream": stream_of(hypothesis.pk),
        },
    )


BOARD_COLUMNS = [
    Hypothesis.Status.NEW,
    Hypothesis.Status.BACKLOG,
    Hypothesis.Status.IN_TEST,
    Hypothesis.Status.REJECTED,
]
BOARD_CAP = 8


@login_required
def hypothesis_list(request):
    require_ability(request, "experiments.read")
    filterset = HypothesisPageFilter(
        request.GET or None, queryset=hypothesis_backlog(user=request.user), request=request
    )
    hypotheses = filterset.qs
    board = request.GET.get("view") == "board"
    context = {
        "filter": filterset,
        "board": board,
        "may_triage": can(request.user, "hypotheses.triage"),
    }
    if board:
        context["columns"] = hypothesis_board(hypotheses, statuses=BOARD_COLUMNS, cap=BOARD_CAP)
    else:
        context["page_obj"] = paginate(request, hypotheses)
    template = "experiments/hypothesis_list.html"
    if request.htmx and request.htmx.target == "backlog-results":
        template = "experiments/_hypothesis_results.html"
    return render(request, template, context)


def _row(request, pk: int, *, errors=None, score_form=None, saved=False, status: int = 200):
    """The backlog row of one hypothesis, freshly read (for htmx swaps); ``saved`` confirms a
    score on the row and in the page's live region."""
    hypothesis = get_object_or_404(hypothesis_backlog(user=request.user), pk=pk)
    return render(
        request,
        "experiments/_hypothesis_row.html",
        {
            "hypothesis": hypothesis,
            "may_triage": can(request.user, "hypotheses.triage"),
            "row_errors": errors or [],
            "score_form": score_form,
            "saved": saved,
        },
        status=status,
    )


def _done(request, pk: int, message: str, *, ok: bool):
    """After a backlog action without htmx: say what happened and go back where they were."""
    (messages.success if ok else messages.error)(request, message)
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    return redirect(back or reverse("experiments:hypothesis-detail", args=[pk]))


@login_required
@require_POST
def hypothesis_score(request, pk: int):
    require_ability(request, "hypotheses.triage")
    hypothesis = get_object_or_404(hypothesis_list_for_user(user=request.user), pk=pk)
    form = ScoreForm(request.POST)
    problems: list[str] = []
    if form.is_valid():
        try:
            services.hypothesis_score(
                hypothesis_id=hypothesis.pk, actor=request.user, **form.cleaned_data
            )
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
    problems = [f"{_label(form, field)}: {' '.join(errs)}" for field, errs in form.errors.items()]
    if request.htmx:
        return _row(
            request,
            hypothesis.pk,
            errors=problems,
            score_form=form if problems else None,
            saved=not problems,
        )
    if problems:
        return _done(request, hypothesis.pk, "Not scored — " + "; ".join(problems), ok=False)
    return _done(request, hypothesis.pk, f"Scored “{hypothesis.title}”.", ok=True)


@login_required
@require_POST
def hypothesis_triage(request, pk: int):
    require_ability(request, "hypotheses.triage")
    hypothesis = get_object_or_404(hypothesis_list_for_user(user=request.user), pk=pk)
    form = TriageForm(request.POST)
    problems: list[str] = []
    if form.is_valid():
        try:
            services.hypothesis_triage(
                hypothesis_id=hypothesis.pk, actor=request.user, **form.cleaned_data
            )
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
        except DomainError as exc:
            problems.append(exc.message)
    problems += [f"{_label(form, field)}: {' '.join(errs)}" for field, errs in form.errors.items()]
    if request.htmx:
        return _row(request, hypothesis.pk, errors=problems)
    if problems:
        return _done(request, hypothesis.pk, "; ".join(problems), ok=False)
    hypothesis.refresh_from_db()
    return _done(
        request,
        hypothesis.pk,
        f"“{hypothesis.title}” is now {hypothesis.get_status_display().lower()}.",
        ok=True,
    )


def _label(form, field: str) -> str:
    if field in form.fields:
        return str(form.fields[field].label or field.replace("_", " ").capitalize())
    return "Problem"
