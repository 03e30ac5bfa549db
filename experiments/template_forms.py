"""The template page's form (docs/decisions.md, "Templates"). It checks types only:
``template_create`` and ``template_update`` judge the values, as they do for the API, and the
decision rule's settings are the design page's own fields."""

from django import forms

from .design_forms import ExperimentDesignForm
from .models import LOCKABLE_FIELDS, ExperimentTemplate, Metric

LOCKABLE_LABELS = {
    "primary_metric": "Primary metric",
    "secondary_metrics": "Secondary metrics",
    "guardrail_metrics": "Guardrail metrics",
    "method": "Method",
    "correction": "Correction",
    "sequential_tau": "Sequential τ",
    "alpha": "Alpha",
    "power": "Power",
    "mde": "Default MDE",
    "min_run_weeks": "Minimum run time",
    "decision_rule": "Decision rule",
}

# The protocol's fields as the model lists them; the decision rule has fields of its own here.
TEMPLATE_FORM_FIELDS = [
    "name",
    "kind",
    "description",
    *(field for field in LOCKABLE_FIELDS if field != "decision_rule"),
]


class TemplateForm(forms.Form):
    """A template's fields, its rule's settings (``rule_…``) and the fields it locks."""

    locked_fields = forms.MultipleChoiceField(
        choices=[(name, LOCKABLE_LABELS[name]) for name in LOCKABLE_FIELDS],
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        label="Locked in designs made from it",
        help_text="A design started from this template cannot change these.",
    )

    def __init__(self, *args, rule=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.base_rule = dict(rule or {})
        own = forms.fields_for_model(
            ExperimentTemplate,
            fields=TEMPLATE_FORM_FIELDS,
            widgets={"description": forms.Textarea(attrs={"rows": 3})},
        )
        metrics = Metric.objects.order_by("name")
        for name in ("primary_metric", "secondary_metrics", "guardrail_metrics"):
            own[name].queryset = metrics
        own["min_run_weeks"].required = False
        locked = self.fields.pop("locked_fields")
        self.fields.update(own)
        self.fields.update(ExperimentDesignForm.rule_fields())
        self.fields["locked_fields"] = locked
        for name in ("alpha", "power", "mde", "sequential_tau"):
            self.fields[name].widget.attrs.setdefault("inputmode", "decimal")

    def template_fields(self) -> dict:
        """The cleaned fields as ``template_create`` / ``template_update`` take them."""
        data = self.cleaned_data
        fields = {name: data.get(name) for name in TEMPLATE_FORM_FIELDS}
        for name in ("secondary_metrics", "guardrail_metrics"):
            fields[name] = list(fields[name] or [])
        if fields["min_run_weeks"] is None:
            fields.pop("min_run_weeks")
        fields["decision_rule"] = ExperimentDesignForm.rule_of(self.base_rule, data)
        fields["locked_fields"] = list(data.get("locked_fields") or [])
        return fields

    @staticmethod
    def initial_for(template: ExperimentTemplate) -> dict:
        """A saved template as the form's initial values."""
        many = ("secondary_metrics", "guardrail_metrics")
        initial = {
            name: getattr(template, name) for name in TEMPLATE_FORM_FIELDS if name not in many
        }
        for name in many:
            initial[name] = list(getattr(template, name).all()) if template.pk else []
        initial["locked_fields"] = list(template.locked_fields)
        initial.update(ExperimentDesignForm.rule_initial(template.decision_rule))
        return initial
