"""Forms for the lifecycle steps: they parse input; the services decide."""

from django import forms

from .models import Decision, ExperimentStatus, KillReason, Outcome


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
