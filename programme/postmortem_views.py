"""Post-mortems and notices in the browser: the experiment page's post-mortem panel (loaded with
htmx, a page of its own without it), the edit page, the learnings search and one's notices."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from experiments.forms import add_service_errors
from experiments.models import DECIDED
from experiments.selectors import experiment_list_for_user
from experiments.web import paginate
from growthops.errors import DomainError, ValidationFailed
from roles.capabilities import can
from roles.permissions import require_ability

from .filters import PostmortemFilter
from .models import Notice, Postmortem, ProcessFault
from .notices import notices_mark_read
from .postmortem_forms import ActionFormSet, PostmortemForm, actions_given, actions_initial
from .postmortems import postmortem_create, postmortem_update

ACTION_ERROR = re.compile(r"actions\[(\d+)\]\.(\w+)")


def _experiment(request, pk: int):
    return get_object_or_404(experiment_list_for_user(user=request.user), pk=pk)


def _postmortem(experiment):
    return (
        Postmortem.objects.filter(experiment=experiment)
        .select_related("metric", "next_hypothesis")
        .prefetch_related("actions__owner")
        .first()
    )


@login_required
def experiment_postmortem(request, pk: int):
    """The panel; a POST opens the post-mortem of a decided experiment that has none."""
    experiment = _experiment(request, pk)
    may_write = can(request.user, "postmortems.write", experiment)
    if request.method == "POST":
        require_ability(request, "postmortems.write", experiment)
        try:
            postmortem_create(experiment_id=experiment.pk, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("programme:postmortem-edit", pk=experiment.pk)
    postmortem = _postmortem(experiment)
    context = {
        "experiment": experiment,
        "postmortem": postmortem,
        "fault_labels": [ProcessFault(f).label for f in postmortem.faults] if postmortem else [],
        "may_write": may_write,
        "decided": experiment.status in DECIDED,
        "today": timezone.localdate(),
    }
    template = "programme/_postmortem.html" if request.htmx else "programme/postmortem.html"
    return render(request, template, context)


@login_required
def postmortem_edit(request, pk: int):
    experiment = _experiment(request, pk)
    require_ability(request, "postmortems.write", experiment)
    postmortem = get_object_or_404(Postmortem, experiment=experiment)
    if request.method == "POST":
        form = PostmortemForm(request.POST, postmortem=postmortem)
        formset = ActionFormSet(request.POST, prefix="actions")
        if form.is_valid() and formset.is_valid():
            actions = actions_given(formset)
            try:
                postmortem_update(
                    experiment_id=experiment.pk, actor=request.user, actions=actions,
                    **form.cleaned_data,
                )  # fmt: skip
            except ValidationFailed as exc:
                _show_errors(form, formset, actions, exc.errors)
            else:
                messages.success(request, f"Post-mortem of “{experiment.name}” saved.")
                return redirect("experiments:detail", pk=experiment.pk)
    else:
        form = PostmortemForm(initial=PostmortemForm.initial_for(postmortem), postmortem=postmortem)
        formset = ActionFormSet(initial=actions_initial(postmortem), prefix="actions")
    context = {"experiment": experiment, "postmortem": postmortem, "form": form}
    context["formset"] = formset
    return render(request, "programme/postmortem_form.html", context)


def _show_errors(form, formset, actions, errors) -> None:
    """The service names an action by its place among those kept: find its row again."""
    rows = [
        f
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE") and not f.is_blank()
    ]
    rest = {}
    for key, problems in errors.items():
        match = ACTION_ERROR.fullmatch(key)
        if match and int(match[1]) < len(rows):
            field = match[2] if match[2] in rows[0].fields else None
            for problem in problems:
                rows[int(match[1])].add_error(field, problem)
        else:
            rest[key] = problems
    add_service_errors(form, rest)


@login_required
def postmortem_search(request):
    """The learnings search: post-mortems by cause, fault, metric and lift range."""
    require_ability(request, "results.read")
    visible = experiment_list_for_user(user=request.user)
    rows = (
        Postmortem.objects.filter(experiment__in=visible)
        .select_related("experiment", "metric")
        .order_by("-opened_at", "-pk")
    )
    search = PostmortemFilter(request.GET or None, queryset=rows)
    page_obj = paginate(request, search.qs if search.is_bound and search.is_valid() else rows)
    page_obj.object_list = list(page_obj.object_list)
    today = timezone.localdate()
    for postmortem in page_obj.object_list:
        postmortem.overdue = postmortem.is_overdue(today)
    context = {"search": search, "page_obj": page_obj}
    return render(request, "programme/postmortem_search.html", context)


@login_required
def notice_list(request):
    require_ability(request, "experiments.read")  # one's own notices, a partner's people too
    notices = Notice.objects.filter(recipient=request.user).order_by("-created_at", "-pk")
    return render(request, "programme/notice_list.html", {"page_obj": paginate(request, notices)})


@login_required
@require_POST
def notices_read(request):
    notice_id = request.POST.get("notice")
    count = notices_mark_read(
        actor=request.user, notice_id=int(notice_id) if (notice_id or "").isdigit() else None
    )
    messages.success(request, f"Marked {count} notice{'s' if count != 1 else ''} as read.")
    return redirect("programme:notices")
