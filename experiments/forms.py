"""Forms for the lifecycle steps: they parse input; the services decide."""

from django import forms
from django.db.models import Q
from django.urls import reverse

from growthops.filters import MAX_SEARCH_LENGTH

from .models import (
    Decision,
    Experiment,
    ExperimentStatus,
    Hypothesis,
    KillReason,
    Objective,
    Outcome,
    Segment,
)


class StepForm(forms.Form):
    expected_status = forms.ChoiceField(
        choices=ExperimentStatus.choices, widget=forms.HiddenInput, required=False
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["expected_status"] = data.get("expected_status") or None
        return data


class RequestChangesForm(StepForm):
    note = forms.CharField(
        label="What needs to change", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class CompleteForm(StepForm):
    analysis = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    recommendation = forms.ChoiceField(choices=[("", "—")] + Decision.choices, required=False)
    confirm_srm = forms.BooleanField(
        label="Complete despite the sample-ratio mismatch", required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Asked only once the service said a mismatch needs confirming (see keep_asked).
        if not self.is_bound:
            del self.fields["confirm_srm"]

    def keep_asked(self) -> None:
        """After a refusal: keep the confirmation only if it was asked for or given."""
        asked = "confirm_srm" in self.errors or self.data.get("confirm_srm")
        if not asked and "confirm_srm" in self.fields:
            del self.fields["confirm_srm"]


class ConcludeForm(StepForm):
    decision = forms.ChoiceField(choices=[("", "—")] + Decision.choices, required=False)
    outcome = forms.ChoiceField(choices=[("", "—")] + Outcome.choices, required=False)
    learnings = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class KillForm(StepForm):
    reason = forms.ChoiceField(choices=[("", "—")] + KillReason.choices, required=False)
    note = forms.CharField(label="Why", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    field_order = ["expected_status", "reason", "note"]


STEP_FORMS: dict[str, type[StepForm]] = {
    "request_changes": RequestChangesForm,
    "complete": CompleteForm,
    "conclude": ConcludeForm,
    "kill": KillForm,
}


# What the buttons say: the step's name unless a plainer word exists.
STEP_LABELS = {"request_changes": "Send back"}


def step_form(step: str, *args, **kwargs) -> StepForm:
    return STEP_FORMS.get(step, StepForm)(*args, **kwargs)


def step_label(step: str) -> str:
    return STEP_LABELS.get(step, step.replace("_", " ").capitalize())


# --- hypotheses -----------------------------------------------------------------------

_HYPOTHESIS_FIELDS = forms.fields_for_model(
    Hypothesis,
    fields=[
        "title",
        "observation",
        "change",
        "segment",
        "effect",
        "metric",
        "expected_mde",
        "channel",
        "objective",
        "reach",
        "effort",
    ],
    labels={
        "observation": "Because we saw …",
        "change": "we believe that …",
        "segment": "for the segment …",
        "effect": "will cause …",
        "metric": "We will know when this metric …",
        "expected_mde": "… moves by (expected MDE)",
        "reach": "Reach (RICE, optional)",
        "effort": "Effort (RICE, optional)",
    },
    help_texts={
        "title": "A short name others will recognise, e.g. “Social proof on pricing”.",
        "observation": "The evidence: data, research or feedback that prompted the idea.",
        "change": "The change you would make, concretely.",
        "segment": "The audience that would see the change. Sunset segments are not offered.",
        "effect": "What people in the segment would do differently.",
        "metric": "The metric that would show it.",
        "expected_mde": "Relative change you expect, e.g. 0.05 for +5 %.",
        "channel": "Where the change happens.",
        "objective": "The long-term objective this serves.",
        "reach": "People per quarter who would see it. Give effort too, or neither.",
        "effort": "Person-weeks to build and run it. Give reach too, or neither.",
    },
    widgets={
        "observation": forms.Textarea(attrs={"rows": 2}),
        "change": forms.Textarea(attrs={"rows": 2}),
        "effect": forms.Textarea(attrs={"rows": 2}),
    },
)


_ICE_HELP = {
    "impact": "1–10: how much it moves the metric if it works.",
    "confidence": "1–10: how sure you are it will work.",
    "ease": "1–10: how easy it is to build and run.",
}


class HypothesisForm(forms.Form):
    """The structured template of a hypothesis; ``hypothesis_create`` validates the whole."""

    title = _HYPOTHESIS_FIELDS["title"]
    observation = _HYPOTHESIS_FIELDS["observation"]
    change = _HYPOTHESIS_FIELDS["change"]
    segment = _HYPOTHESIS_FIELDS["segment"]
    effect = _HYPOTHESIS_FIELDS["effect"]
    metric = _HYPOTHESIS_FIELDS["metric"]
    expected_mde = _HYPOTHESIS_FIELDS["expected_mde"]
    channel = _HYPOTHESIS_FIELDS["channel"]
    objective = _HYPOTHESIS_FIELDS["objective"]
    impact = forms.IntegerField(min_value=1, max_value=10, initial=5, help_text=_ICE_HELP["impact"])
    confidence = forms.IntegerField(
        min_value=1, max_value=10, initial=5, help_text=_ICE_HELP["confidence"]
    )
    ease = forms.IntegerField(min_value=1, max_value=10, initial=5, help_text=_ICE_HELP["ease"])
    reach = _HYPOTHESIS_FIELDS["reach"]
    effort = _HYPOTHESIS_FIELDS["effort"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = Segment.objects.filter(
            status=Segment.Status.ACTIVE
        ).select_related("parent__parent__parent")
        self.fields["objective"].queryset = Objective.objects.filter(status=Objective.Status.ACTIVE)
        # While the title is typed, the page shows similar past ideas (same view, htmx GET).
        self.fields["title"].widget.attrs.update(
            {
                "autocomplete": "off",
                "hx-get": reverse("experiments:hypothesis-create"),
                "hx-trigger": "keyup changed delay:300ms",
                "hx-target": "#similar",
                "hx-swap": "outerHTML",
                "hx-indicator": "#similar-spinner",
            }
        )


class SimilarIdeasForm(forms.Form):
    """The title being typed, for the similar ideas beside the form (a NUL, or more than
    ``MAX_SEARCH_LENGTH`` characters, is refused: a 400 naming ``title``)."""

    title = forms.CharField(required=False, max_length=MAX_SEARCH_LENGTH)


class SearchForm(forms.Form):
    """The search box (``?q=``): its words are looked for in titles, names and keys."""

    q = forms.CharField(required=False, max_length=MAX_SEARCH_LENGTH)


class ScoreForm(forms.Form):
    """Inline scoring from the backlog: ICE, and RICE's reach and effort when known."""

    impact = forms.IntegerField(min_value=1, max_value=10)
    confidence = forms.IntegerField(min_value=1, max_value=10)
    ease = forms.IntegerField(min_value=1, max_value=10)
    reach = forms.IntegerField(min_value=0, required=False)
    effort = forms.FloatField(min_value=0.1, required=False)


class TriageForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(Hypothesis.Status.BACKLOG, "Backlog"), (Hypothesis.Status.REJECTED, "Reject")]
    )
    reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why it is rejected; saved as a comment.",
    )


class CostForm(forms.Form):
    """What an experiment cost (``services.experiment_record_cost``); empty clears a figure."""

    build_cost = forms.DecimalField(
        label="Build cost",
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text="Design and build, in the reporting currency.",
    )
    media_cost = forms.DecimalField(
        label="Media cost",
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text="Paid media bought for the test.",
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Add a comment", max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


def add_service_errors(form: forms.Form, errors: dict[str, list[str]]) -> None:
    """Show a service's ``ValidationFailed`` errors next to the fields they name."""
    for field, problems in errors.items():
        target = field if field in form.fields else None
        for problem in problems:
            form.add_error(target, problem)


# --- experiment design ------------------------------------------------------------------

_DESIGN_FIELDS = forms.fields_for_model(
    Experiment,
    fields=[
        "name",
        "key",
        "objective",
        "segment",
        "executed_by",
        "agency_name",
        "primary_metric",
        "secondary_metrics",
        "guardrail_metrics",
        "method",
        "correction",
        "sequential_tau",
        "alpha",
        "power",
        "mde",
        "baseline",
        "baseline_sd",
        "daily_traffic",
        "reach_per_year",
        "value_per_conversion",
    ],
    labels={
        "key": "Key",
        "executed_by": "Executed by",
        "agency_name": "Agency partner",
        "secondary_metrics": "Secondary metrics",
        "guardrail_metrics": "Guardrail metrics",
        "method": "Analysis method",
        "correction": "Multiple-comparison correction",
        "alpha": "Alpha (α)",
        "mde": "Minimum detectable effect (MDE)",
        "baseline_sd": "Baseline SD",
        "reach_per_year": "Reach per year",
        "value_per_conversion": "Value per conversion",
    },
    help_texts={
        "name": "What the team will call the test.",
        "key": "Stable key for event streams and uploads; it cannot change once saved.",
        "objective": "The long-term objective it serves.",
        "segment": "The audience in the test. Sunset segments are not offered.",
        "agency_name": "Only when an agency partner runs it.",
        "primary_metric": "The one metric that decides the test.",
        "secondary_metrics": "Also measured, not deciding. Ctrl/⌘-click for several.",
        "guardrail_metrics": "Must not get worse. Ctrl/⌘-click for several.",
        "sequential_tau": "Sequential only: mSPRT mixture SD, e.g. 0.05.",
        "alpha": "False-positive rate, e.g. 0.05.",
        "power": "Chance to detect a real MDE, e.g. 0.8.",
        "mde": "Relative change to detect, e.g. 0.05 for +5 %.",
        "baseline": "Control's rate (e.g. 0.12) or mean per user.",
        "baseline_sd": "Per-user SD; mean metrics only.",
        "daily_traffic": "People entering the test per day, all variants together.",
        "reach_per_year": "People a year who would see the change if it scaled.",
        "value_per_conversion": "In the objective's unit: what one extra conversion is worth.",
    },
    widgets={
        "secondary_metrics": forms.SelectMultiple(attrs={"size": 4}),
        "guardrail_metrics": forms.SelectMultiple(attrs={"size": 4}),
    },
)


class ExperimentDesignForm(forms.Form):
    """The design of one experiment; the design services and ``experiment_submit`` judge it.

    Only types are checked here, so a draft may be saved half done. ``creating`` adds the key,
    which is set once; ``read_only`` shows the design to someone who may not change it.
    """

    name = _DESIGN_FIELDS["name"]
    key = _DESIGN_FIELDS["key"]
    objective = _DESIGN_FIELDS["objective"]
    segment = _DESIGN_FIELDS["segment"]
    executed_by = _DESIGN_FIELDS["executed_by"]
    agency_name = _DESIGN_FIELDS["agency_name"]
    primary_metric = _DESIGN_FIELDS["primary_metric"]
    secondary_metrics = _DESIGN_FIELDS["secondary_metrics"]
    guardrail_metrics = _DESIGN_FIELDS["guardrail_metrics"]
    method = _DESIGN_FIELDS["method"]
    correction = _DESIGN_FIELDS["correction"]
    sequential_tau = _DESIGN_FIELDS["sequential_tau"]
    alpha = _DESIGN_FIELDS["alpha"]
    power = _DESIGN_FIELDS["power"]
    mde = _DESIGN_FIELDS["mde"]
    baseline = _DESIGN_FIELDS["baseline"]
    baseline_sd = _DESIGN_FIELDS["baseline_sd"]
    daily_traffic = _DESIGN_FIELDS["daily_traffic"]
    reach_per_year = _DESIGN_FIELDS["reach_per_year"]
    value_per_conversion = _DESIGN_FIELDS["value_per_conversion"]

    def __init__(
        self, *args, creating: bool = False, read_only: bool = False, current=None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["key"]
        # Active choices, plus whatever the saved design already points to.
        keep = {"segment": getattr(current, "segment_id", None)}
        keep["objective"] = getattr(current, "objective_id", None)
        self.fields["segment"].queryset = Segment.objects.filter(
            Q(status=Segment.Status.ACTIVE) | Q(pk=keep["segment"])
        ).select_related("parent__parent__parent")
        self.fields["objective"].queryset = Objective.objects.filter(
            Q(status=Objective.Status.ACTIVE) | Q(pk=keep["objective"])
        )
        for name in ("mde", "baseline", "baseline_sd", "daily_traffic", "alpha", "power"):
            self.fields[name].widget.attrs.setdefault("inputmode", "decimal")
        if read_only:
            for field in self.fields.values():
                field.disabled = True

    def design_fields(self) -> dict:
        """The cleaned design fields, as the design services take them (the key aside)."""
        return {name: value for name, value in self.cleaned_data.items() if name != "key"}


class VariantForm(forms.Form):
    key = forms.SlugField(max_length=64, help_text="e.g. control, b")
    name = forms.CharField(max_length=200)
    is_control = forms.BooleanField(required=False, label="Control")
    weight = forms.FloatField(help_text="Share of traffic; all weights sum to 1.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["is_control"].widget.attrs["class"] = "variant-control"
        self.fields["weight"].widget.attrs.update({"step": "0.01", "inputmode": "decimal"})


VariantFormSet = forms.formset_factory(VariantForm, extra=0, can_delete=True)

DEFAULT_VARIANTS = [
    {"key": "control", "name": "Control", "is_control": True, "weight": 0.5},
    {"key": "b", "name": "Variant B", "is_control": False, "weight": 0.5},
]

# What the design services and submit say about the variants as a whole (not one row).
VARIANT_PROBLEM_KEYS = ("variants", "control", "variant_keys", "weights")


def variant_rows(formset) -> list[dict]:
    """The variants to save: every filled-in row not marked for removal."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if not data or data.get("DELETE"):
            continue
        rows.append({name: data.get(name) for name in ("key", "name", "is_control", "weight")})
    return rows


def add_design_errors(form, errors: dict[str, list[str]]) -> list[str]:
    """Put the design services' errors beside their fields; return those about the variants."""
    variant_problems = []
    for field, problems in errors.items():
        if field in VARIANT_PROBLEM_KEYS:
            variant_problems.extend(problems)
            continue
        target = field if field in form.fields else None
        for problem in problems:
            form.add_error(target, problem)
    return variant_problems


# --- strategy (the CMO's objectives and segments) ---------------------------------------


class ObjectiveForm(forms.ModelForm):
    """An objective's fields; ``objective_create`` / ``objective_update`` validate and save."""

    class Meta:
        model = Objective
        fields = ["name", "kpi", "unit", "baseline", "target", "target_date", "description"]
        widgets = {
            "target_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "kpi": "The number the objective moves, e.g. “Net new ARR”.",
            "unit": "Impacts are added up in this unit: experiments value their lift in it.",
            "baseline": "Where the KPI stands today.",
            "target": "Where it must be by the target date (below the baseline for a number "
            "to bring down, such as CAC).",
        }

    def _post_clean(self):
        # The services validate the model (constraints included) and report next to fields.
        pass

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class SegmentForm(forms.ModelForm):
    """A new segment or sub-segment, launched today by ``segment_create``."""

    class Meta:
        model = Segment
        fields = ["name", "parent", "owner_team", "monthly_reach", "definition"]
        widgets = {"definition": forms.Textarea(attrs={"rows": 2})}
        labels = {"parent": "Inside segment", "owner_team": "Owner team"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Segment.objects.filter(
            status=Segment.Status.ACTIVE
        ).select_related("parent__parent__parent")
        self.fields["parent"].empty_label = "— top level —"

    def _post_clean(self):
        pass

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
