"""Hypothesis pages: log one, the backlog (list and board), one hypothesis.

Every write goes through ``experiments.services``; a refused or invalid write comes back as
the service's message next to the right field. htmx requests to a page get its fragment.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from growthops.errors import ValidationFailed
from roles.permissions import require_ability

from . import services
from .forms import HypothesisForm, add_service_errors
from .selectors import hypothesis_list_for_user, hypothesis_similar


@login_required
def hypothesis_create(request):
    require_ability(request, "hypotheses.create")
    if request.htmx and request.method == "GET":
        # The title is being typed: show what resembles it.
        text = request.GET.get("title", "")
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
    title = form["title"].value() or ""
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
    require_ability(request, "results.read")
    hypothesis = get_object_or_404(hypothesis_list_for_user(request.user), pk=pk)
    return render(request, "experiments/hypothesis_detail.html", {"hypothesis": hypothesis})
