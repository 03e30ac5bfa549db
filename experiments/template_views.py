"""Template (protocol) pages: the list, for everyone who reads results; creating and editing,
for the CMO and the operators (``templates.manage``). Writes go through ``template_create`` and
``template_update``, the API's services, so the page refuses what the API refuses."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render

from growthops.errors import ValidationFailed
from roles.capabilities import can
from roles.permissions import require_ability

from . import services
from .design_views import add_design_errors
from .models import ExperimentTemplate, Metric, default_decision_rule
from .template_forms import LOCKABLE_LABELS, TemplateForm
from .web import paginate


def _templates():
    names = Metric.objects.only("name", "key")
    return ExperimentTemplate.objects.select_related(
        "primary_metric", "created_by"
    ).prefetch_related(
        Prefetch("secondary_metrics", queryset=names),
        Prefetch("guardrail_metrics", queryset=names),
    )


@login_required
def template_list(request):
    require_ability(request, "results.read")
    page = paginate(request, _templates().order_by("name", "pk"))
    return render(
        request,
        "experiments/template_list.html",
        {
            "page_obj": page,
            "may_manage": can(request.user, "templates.manage"),
            "lockable_labels": LOCKABLE_LABELS,
        },
    )


@login_required
def template_create(request):
    require_ability(request, "templates.manage")
    blank = ExperimentTemplate(decision_rule=default_decision_rule())
    return _form_page(request, None, TemplateForm.initial_for(blank), blank.decision_rule)


@login_required
def template_edit(request, pk: int):
    require_ability(request, "templates.manage")
    template = get_object_or_404(_templates(), pk=pk)
    return _form_page(request, template, TemplateForm.initial_for(template), template.decision_rule)


def _form_page(request, template, initial, rule):
    form = TemplateForm(request.POST or None, initial=initial, rule=rule)
    if request.method == "POST" and form.is_valid():
        try:
            if template is None:
                saved = services.template_create(actor=request.user, **form.template_fields())
            else:
                saved = services.template_update(
                    template_id=template.pk, actor=request.user, **form.template_fields()
                )
        except ValidationFailed as exc:
            add_design_errors(form, exc.errors)
        else:
            messages.success(request, f"Saved the template “{saved.name}”.")
            return redirect("experiments:templates")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "experiments/template_form.html",
        {"form": form, "template": template},
        status=status,
    )
