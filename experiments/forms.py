"""Forms for the lifecycle steps: they parse input; the services decide."""

from django import forms
from django.urls import reverse

from growthops.filters import MAX_SEARCH_LENGTH

from .choices import sort_choices
from .lifecycle import STEPS
from .models import (
    Decision,
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

    def drop_unasked(self, name: str) -> None:
        """Leave out the field ``name`` unless it was filled in or refused."""
        if name in self.fields and name not in self.errors and not self.data.get(name):
            del self.fields[name]


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
    # Shown when completing now goes against the plan (the page asks drop_unasked otherwise).
    override_reason = forms.CharField(
        label="Reason to complete now",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Kept on the timeline and shown to the CMO.",
    )

    # The page asks ``drop_unasked`` for the confirmation unless the latest look has a
    # mismatch nobody has acknowledged (or the service asked for it).


class ConcludeForm(StepForm):
    decision = forms.ChoiceField(choices=[("", "—")] + Decision.choices, required=False)
    outcome = forms.ChoiceField(choices=[("", "—")] + Outcome.choices, required=False)
    learnings = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    override_reason = forms.CharField(
        label="Reason, if the decision goes against the verdict",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Needed only for a decision the rule's verdict does not support.",
    )


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


# Each step's note box says which action it goes with (a page shows several at once).
NOTE_LABELS = {
    "submit": "Note for the reviewer",
    "approve": "Approval note",
    "start": "Note on the start",
    "pause": "Why pause",
    "resume": "Note on resuming",
    "complete": "Note on completing",
    "conclude": "Note on the decision",
}


def step_form(step: str, *args, **kwargs) -> StepForm:
    form = STEP_FORMS.get(step, StepForm)(*args, **kwargs)
    if step in NOTE_LABELS and "note" in form.fields:
        form.fields["note"].label = NOTE_LABELS[step]
    # Marked as required on the page; the step's own check refuses it without them, and says
    # why (the form leaves them optional so that the service's words are the ones shown).
    for name in STEPS[step].required if step in STEPS else ():
        if name in form.fields:
            form.fields[name].marked_required = True
    return form


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
        sort_choices(self)
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
        sort_choices(self)

    def _post_clean(self):
        pass

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
