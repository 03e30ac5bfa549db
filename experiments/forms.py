"""Forms for the lifecycle steps: they parse input; the services decide."""

from django import forms
from django.urls import reverse

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


class RequestChangesForm(StepForm):
    note = forms.CharField(
        label="What needs to change", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class CompleteForm(StepForm):
    analysis = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    recommendation = forms.ChoiceField(choices=[("", "—")] + Decision.choices, required=False)


class ConcludeForm(StepForm):
    decision = forms.ChoiceField(choices=[("", "—")] + Decision.choices, required=False)
    outcome = forms.ChoiceField(choices=[("", "—")] + Outcome.choices, required=False)
    learnings = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class KillForm(StepForm):
    reason = forms.ChoiceField(choices=[("", "—")] + KillReason.choices, required=False)
    note = forms.CharField(label="Why", widget=forms.Textarea(attrs={"rows": 2}), required=False)


STEP_FORMS: dict[str, type[StepForm]] = {
    "request_changes": RequestChangesForm,
    "complete": CompleteForm,
    "conclude": ConcludeForm,
    "kill": KillForm,
}


def step_form(step: str, *args, **kwargs) -> StepForm:
    return STEP_FORMS.get(step, StepForm)(*args, **kwargs)


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
