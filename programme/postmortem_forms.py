"""The post-mortem's edit page: its fields, and one small form per action (a formset).
``postmortem_update`` validates and saves; these forms only read the input."""

from django import forms
from django.db.models import Q

from experiments.models import Hypothesis
from roles.models import User

from .models import Cause, Postmortem, ProcessFault

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PostmortemForm(forms.Form):
    believed = forms.CharField(
        label="What we believed", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    happened = forms.CharField(
        label="What happened",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Pre-filled from the latest results and the rule's verdict.",
    )
    cause = forms.ChoiceField(label="Why", choices=[("", "—"), *Cause.choices], required=False)
    why = forms.CharField(
        label="Why, in a few words", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    faults = forms.MultipleChoiceField(
        label="What went wrong in the process",
        choices=ProcessFault.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="“None” stands alone.",
    )
    next_hypothesis = forms.ModelChoiceField(
        label="Next hypothesis",
        queryset=Hypothesis.objects.order_by("-created_at"),
        required=False,
        help_text="The idea this one leads to, if any.",
    )
    due_date = forms.DateField(label="Post-mortem due", widget=DATE)
    status = forms.ChoiceField(
        label="Status",
        choices=Postmortem.Status.choices,
        help_text="Complete needs the cause, the faults and what happened; the idea's author "
        "is told.",
    )

    def __init__(self, *args, postmortem: Postmortem, **kwargs):
        super().__init__(*args, **kwargs)
        # The next idea is one not yet tested (or the one already chosen): not every idea ever.
        waiting = Q(status__in=[Hypothesis.Status.NEW, Hypothesis.Status.BACKLOG])
        self.fields["next_hypothesis"].queryset = Hypothesis.objects.filter(
            waiting | Q(pk=postmortem.next_hypothesis_id)
        ).order_by("-created_at")

    @classmethod
    def initial_for(cls, postmortem: Postmortem) -> dict:
        return {
            "believed": postmortem.believed,
            "happened": postmortem.happened,
            "cause": postmortem.cause,
            "why": postmortem.why,
            "faults": postmortem.faults,
            "next_hypothesis": postmortem.next_hypothesis_id,
            "due_date": postmortem.due_date,
            "status": postmortem.status,
        }


class ActionForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    text = forms.CharField(label="Action", max_length=500, required=False)
    owner = forms.ModelChoiceField(
        label="Owner",
        queryset=User.objects.filter(is_active=True).order_by("first_name", "username"),
        required=False,
    )
    due_date = forms.DateField(label="Due", widget=DATE, required=False)
    done = forms.BooleanField(label="Done", required=False)

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not data.get("id") and not (data.get("text") or "").strip()


ActionFormSet = forms.formset_factory(ActionForm, extra=2, can_delete=True, max_num=30)


def actions_initial(postmortem: Postmortem) -> list[dict]:
    return [
        {
            "id": a.pk,
            "text": a.text,
            "owner": a.owner_id,
            "due_date": a.due_date,
            "done": a.done_at is not None,
        }
        for a in postmortem.actions.all()
    ]


def actions_given(formset) -> list[dict]:
    """The actions to keep, in order: rows neither blank nor marked for deletion."""
    given = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("DELETE") or form.is_blank():
            continue
        given.append({k: data.get(k) for k in ("id", "text", "owner", "due_date", "done")})
    return given
