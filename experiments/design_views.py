"""The design page: design an experiment from a backlog hypothesis (from scratch or from a
template), edit it while it is a draft, submit it for review.

Saving, and saving-and-submitting, is one call of ``services.experiment_save_design``; its
refusals come back beside the fields they name. While the form changes, htmx posts it to the
same view, which answers with the live sample size and the design's flags
(``experiments.design``) instead of saving. A template's locked fields show read-only; baseline,
daily traffic and a realistic MDE are suggested from past tests, each with where it came from
(``experiments.suggestions``).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render

from growthops.errors import DomainError, ValidationFailed
from roles.capabilities import can, refusal
from roles.permissions import require_ability

from . import services
from .design import MAX_DURATION_DAYS, design_flags, design_for
from .design_forms import (
    DEFAULT_VARIANTS,
    VARIANT_PROBLEM_KEYS,
    ExperimentDesignForm,
    PartnerScope,
    VariantFormSet,
    add_design_errors,
    variant_rows,
)
from .lifecycle import submit_problems
from .models import (
    Experiment,
    ExperimentStatus,
    ExperimentTemplate,
    Hypothesis,
    Metric,
    default_decision_rule,
)
from .protocols import template_design
from .selectors import (
    experiment_key_suggestion,
    experiment_list_for_user,
    hypothesis_list_for_user,
    is_partner,
    objective_list_for_user,
    segment_list_for_user,
)
from .suggestions import Suggestion, design_suggestions

PREVIEW_TARGET = "design-preview"
VARIANTS_PREFIX = "variants"


def _partner_scope(user) -> PartnerScope | None:
    if not is_partner(user=user):
        return None
    return PartnerScope(
        user.partner,
        objective_list_for_user(user=user),
        segment_list_for_user(user=user),
    )


@login_required
def experiment_design_create(request, pk: int):
    """A new draft for the hypothesis ``pk``, owned by the operator designing it."""
    require_ability(request, "experiments.create")
    hypothesis = get_object_or_404(
        hypothesis_list_for_user(user=request.user).select_related("metric", "segment"), pk=pk
    )
    template = _chosen_template(request)
    initial, sources = _initial_from(hypothesis, template, user=request.user)
    options = {
        "initial": initial,
        "creating": True,
        "locked": template.locked_fields if template else (),
        "rule": initial["decision_rule"],
        "partner_of": _partner_scope(request.user),
    }
    if request.method == "POST":
        form = ExperimentDesignForm(request.POST, **options)
        formset = VariantFormSet(request.POST, prefix=VARIANTS_PREFIX)
        if _is_preview(request):
            return _preview(request, form, formset)
        experiment = _save(request, form, formset, hypothesis=hypothesis, template=template)
        if experiment is not None:
            return _after_save(request, experiment)
    else:
        form = ExperimentDesignForm(**options)
        formset = VariantFormSet(initial=DEFAULT_VARIANTS, prefix=VARIANTS_PREFIX)
    return _page(
        request,
        form,
        formset,
        hypothesis=hypothesis,
        experiment=None,
        editable=True,
        template=template,
        sources=sources,
    )


def _chosen_template(request) -> ExperimentTemplate | None:
    """The template the page starts from: ``?template=`` when choosing, the form's field when
    saving; an unknown one is none."""
    chosen = request.POST.get("template") if request.method == "POST" else None
    chosen = chosen or request.GET.get("template")
    if not chosen or not str(chosen).isdigit():
        return None
    return ExperimentTemplate.objects.filter(pk=chosen).first()


@login_required
def experiment_design_edit(request, pk: int):
    """The owner edits a draft (also one sent back); the CMO reads it; others are refused."""
    experiment = get_object_or_404(
        experiment_list_for_user(user=request.user).select_related("hypothesis__metric"), pk=pk
    )
    may_edit = can(request.user, "experiments.design", experiment)
    if not (may_edit or can(request.user, "experiments.review")):
        raise PermissionDenied(refusal(request.user, "experiments.design", experiment))
    editable = may_edit and not experiment.design_is_frozen
    template = experiment.template
    options = {
        "initial": _initial_of(experiment),
        "current": experiment,
        "locked": template.locked_fields if template else (),
        "rule": experiment.decision_rule,
        "partner_of": _partner_scope(request.user),
    }
    if request.method == "POST":
        # A forced POST by someone who may only read is refused with the reason; a frozen
        # design is refused by the service, whose message the page shows.
        require_ability(request, "experiments.design", experiment)
        form = ExperimentDesignForm(request.POST, **options)
        formset = VariantFormSet(request.POST, prefix=VARIANTS_PREFIX)
        if _is_preview(request):
            return _preview(request, form, formset)
        saved = _save(request, form, formset, experiment=experiment)
        if saved is not None:
            return _after_save(request, saved)
    else:
        form = ExperimentDesignForm(**options, read_only=not editable)
        formset = VariantFormSet(
            initial=[
                {"key": v.key, "name": v.name, "is_control": v.is_control, "weight": v.weight}
                for v in experiment.variants.all()
            ],
            prefix=VARIANTS_PREFIX,
        )
        if not editable:
            for variant_form in formset.forms:
                for field in variant_form.fields.values():
                    field.disabled = True
    sources = {}
    if experiment.status == ExperimentStatus.DRAFT:
        suggestions = design_suggestions(
            segment=experiment.segment, metric=experiment.primary_metric, user=request.user
        )
        sources = {name: _suggested(s) for name, s in suggestions.items()}
    return _page(
        request,
        form,
        formset,
        hypothesis=experiment.hypothesis,
        experiment=experiment,
        editable=editable,
        template=template,
        sources=sources,
    )


# --- saving -----------------------------------------------------------------------------


def _save(
    request, form, formset, *, hypothesis=None, experiment=None, template=None
) -> Experiment | None:
    """Save the design (and submit it when asked) all at once, or nothing and say why."""
    form_ok, formset_ok = form.is_valid(), formset.is_valid()
    if not (form_ok and formset_ok):
        return None
    design = {**form.design_fields(), "variants": variant_rows(formset)}
    if experiment is None:
        design.update(hypothesis=hypothesis, key=form.cleaned_data["key"], template=template)
    try:
        return services.experiment_save_design(
            actor=request.user,
            experiment_id=experiment.pk if experiment is not None else None,
            submit=_submitting(request),
            **design,
        )
    except ValidationFailed as exc:
        form.variant_problems = add_design_errors(form, exc.errors)
    except DomainError as exc:
        form.add_error(None, exc.message)
    return None


def _after_save(request, experiment: Experiment):
    if _submitting(request):
        messages.success(request, f"Submitted “{experiment.name}” for review.")
        return redirect("experiments:detail", pk=experiment.pk)
    messages.success(request, f"Saved the draft of “{experiment.name}”.")
    return redirect("experiments:design-edit", pk=experiment.pk)


def _submitting(request) -> bool:
    return request.POST.get("action") == "submit"


# --- the live preview -------------------------------------------------------------------


def _is_preview(request) -> bool:
    return bool(request.htmx) and request.htmx.target == PREVIEW_TARGET


# The fields whose suggestion follows the primary metric and segment chosen in the form.
LIVE_SUGGESTIONS = ("baseline", "baseline_sd", "daily_traffic")


def _preview(request, form, formset):
    """The sample size, duration and flags of what is in the form now, and the suggestions
    for its metric and segment; nothing is saved."""
    return render(
        request,
        "experiments/_design_preview.html",
        {
            **_summary(form, formset),
            "live_suggestions": _live_suggestions(form, user=request.user),
            "oob": True,
        },
    )


def _live_suggestions(form, *, user) -> list[dict]:
    """Each live-suggested field's line for the form's metric and segment: the suggestion
    and, when the field holds another value, the value to put in; empty without one."""
    values = _current_values(form)
    metric = values.get("primary_metric")
    suggestions = design_suggestions(
        segment=values.get("segment"),
        metric=metric if isinstance(metric, Metric) else None,
        user=user,
    )
    lines = []
    for name in LIVE_SUGGESTIONS:
        suggestion = suggestions.get(name)
        differs = suggestion is not None and values.get(name) != suggestion.value
        lines.append(
            {
                "name": name,
                "source": _suggested(suggestion) if suggestion else "",
                "use": _typed(suggestion.value) if differs else None,
            }
        )
    return lines


def _summary(form, formset) -> dict:
    """Sample size, duration and flags of the form's values (typed, or initial when unbound)."""
    values = _current_values(form)
    if formset.is_bound:
        formset.is_valid()  # rows that parse have cleaned_data
        rows = variant_rows(formset)
    else:
        rows = list(formset.initial or [])
    weights = [row["weight"] for row in rows if isinstance(row.get("weight"), float | int)]
    if len(weights) != len(rows):  # a weight not typed yet: assume an equal split meanwhile
        weights = [1 / len(rows)] * len(rows)
    metric = values.get("primary_metric")
    design = None
    if isinstance(metric, Metric):
        design = design_for(
            metric_kind=metric.kind,
            baseline=values.get("baseline"),
            mde=values.get("mde"),
            baseline_sd=values.get("baseline_sd"),
            alpha=values.get("alpha"),
            power=values.get("power"),
            daily_traffic=values.get("daily_traffic"),
            weights=weights,
        )
    return {
        "design": design,
        "flags": design_flags(
            design, daily_traffic=values.get("daily_traffic"), segment=values.get("segment")
        ),
        "metric": metric,
        "variant_count": len(rows),
        "max_days": MAX_DURATION_DAYS,
    }


def _current_values(form) -> dict:
    if form.is_bound:
        form.is_valid()  # fields that parse are in cleaned_data, the rest are left out
        return form.cleaned_data
    return {name: form.initial.get(name, field.initial) for name, field in form.fields.items()}


# --- the page ---------------------------------------------------------------------------


def _page(
    request,
    form,
    formset,
    *,
    hypothesis: Hypothesis,
    experiment,
    editable: bool,
    template: ExperimentTemplate | None,
    sources: dict[str, str],
):
    # What the saved draft still misses for review; beside the fields only while they show the
    # saved values (after a failed POST they show what was typed, and its own errors).
    missing = {}
    if experiment is not None and experiment.status == ExperimentStatus.DRAFT:
        missing = submit_problems(experiment)
    hints = {} if form.is_bound else missing
    variant_problems = getattr(form, "variant_problems", [])
    return render(
        request,
        "experiments/experiment_design.html",
        {
            "form": form,
            "formset": formset,
            "hypothesis": hypothesis,
            "experiment": experiment,
            "editable": editable,
            "variant_problems": variant_problems,
            "has_errors": bool(form.errors or variant_problems or _formset_errors(formset)),
            "missing": missing,
            "hints": hints,
            "variants_missing": [hints[k] for k in VARIANT_PROBLEM_KEYS if k in hints],
            "testable": hypothesis.status in services.TESTABLE_HYPOTHESIS_STATUSES,
            "template": template,
            # The templates to start from: only while creating.
            "templates": ExperimentTemplate.objects.all() if experiment is None else [],
            "sources": sources,
            "live_suggested_fields": LIVE_SUGGESTIONS,
            "locked": form.locked_names(),
            "oob": False,
            **_summary(form, formset),
        },
    )


def _formset_errors(formset) -> bool:
    if not formset.is_bound:
        return False
    return bool(formset.non_form_errors()) or any(formset.errors)


def _initial_from(hypothesis: Hypothesis, template: ExperimentTemplate | None, *, user):
    """A new design's first values, and where each suggested one came from (by field): the
    hypothesis, then the template's protocol, then baseline and daily traffic from the
    segment's recent data; a realistic MDE beside the one given."""
    initial = {
        "name": hypothesis.title,
        "key": experiment_key_suggestion(hypothesis.title),
        "objective": hypothesis.objective,
        "segment": hypothesis.segment,
        "primary_metric": hypothesis.metric,
        "mde": hypothesis.expected_mde,
        "decision_rule": default_decision_rule(),
    }
    sources = {"mde": "The hypothesis's expected MDE."}
    if template is not None:
        initial.update(template_design(template))
        if template.mde is not None:
            sources["mde"] = f"The template “{template.name}”'s default MDE."
    initial.update(ExperimentDesignForm.rule_initial(initial["decision_rule"]))
    suggestions = design_suggestions(
        segment=hypothesis.segment, metric=initial["primary_metric"], user=user
    )
    for name in ("baseline", "baseline_sd", "daily_traffic"):
        if name in suggestions:
            initial[name] = suggestions[name].value
            sources[name] = suggestions[name].source
    if "mde" in suggestions:
        sources["mde"] += " " + _suggested(suggestions["mde"])
    return initial, sources


def _suggested(suggestion: Suggestion) -> str:
    value = suggestion.value
    if suggestion.field == "mde":
        shown = f"+{value * 100:.1f} %"
    else:
        shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.6g}"
    return f"Suggested: {shown} — {suggestion.source}"


def _typed(value: float) -> str:
    """A suggested value as the field takes it back: a whole number without a point or
    exponent (daily traffic is a whole number of people), else the number in full."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _initial_of(experiment: Experiment) -> dict:
    initial = {
        name: getattr(experiment, name)
        for name in ExperimentDesignForm.base_fields
        if name not in ("key", "secondary_metrics", "guardrail_metrics")
        and not name.startswith(ExperimentDesignForm.RULE_PREFIX)
    }
    initial["secondary_metrics"] = list(experiment.secondary_metrics.all())
    initial["guardrail_metrics"] = list(experiment.guardrail_metrics.all())
    initial.update(ExperimentDesignForm.rule_initial(experiment.decision_rule))
    return initial
