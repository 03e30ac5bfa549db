"""The warehouse pages' forms: they parse what was typed; ``warehouse.services`` decides."""

from django import forms

from experiments.models import Metric

from .models import DataSource, ExperimentSource, MetricDefinition
from .services import SOURCE_FIELDS


class DataSourceForm(forms.ModelForm):
    """A data source's settings. The connection settings are named (env:NAME, file:/path),
    never typed in."""

    dimension_columns = forms.CharField(
        required=False,
        label="Slice by",
        help_text="Columns of the exposure table, separated by commas (at most 10); "
        "device=device_category slices by “device” from that column. A slice's name is "
        "lower-case letters, digits and _.",
    )

    class Meta:
        model = DataSource
        fields = list(SOURCE_FIELDS)  # what the service takes
        labels = {"statement_timeout_seconds": "Statement timeout (seconds)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["dimension_columns"] = ", ".join(self.instance.dimension_columns or [])

    def clean_dimension_columns(self) -> list[str]:
        text = self.cleaned_data.get("dimension_columns") or ""
        return [part.strip() for part in text.split(",") if part.strip()]

    def service_kwargs(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class MetricForm(forms.Form):
    """A metric and its definition; each save with a changed definition is a new version."""

    key = forms.SlugField(max_length=64, help_text="Names the metric in data; never changes.")
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    source = forms.ModelChoiceField(DataSource.objects.all(), label="Data source")
    fact_table = forms.CharField(max_length=400, help_text="e.g. analytics.events_flat")
    user_column = forms.CharField(max_length=128, initial="user_pseudo_id")
    time_column = forms.CharField(max_length=128, initial="event_timestamp")
    aggregation = forms.ChoiceField(choices=MetricDefinition.Aggregation.choices)
    value_expression = forms.CharField(
        max_length=1000,
        initial="1",
        help_text="SQL over the fact table's columns: columns, numbers, arithmetic, CASE.",
    )
    denominator_expression = forms.CharField(
        max_length=1000, required=False, help_text="Ratio metrics only: the per-user denominator."
    )
    filters = forms.JSONField(
        required=False,
        initial=list,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text='e.g. [{"column": "event_name", "op": "=", "value": "purchase"}]',
    )
    conversion_window_hours = forms.IntegerField(min_value=1, initial=72)
    covariate_days = forms.IntegerField(
        min_value=0, initial=14, label="CUPED pre-period (days)", help_text="0: none."
    )
    direction = forms.ChoiceField(choices=Metric.Direction.choices)
    unit = forms.CharField(max_length=32, required=False)
    note = forms.CharField(
        max_length=500, required=False, help_text="Why this version (kept with it)."
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["key"].disabled = True

    def clean_filters(self):
        value = self.cleaned_data.get("filters")
        return [] if value in (None, "") else value

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["denominator_expression"] = data.get("denominator_expression") or ""
        return data

    @staticmethod
    def initial_for(metric: Metric, definition: MetricDefinition | None) -> dict:
        initial = {"key": metric.key, "name": metric.name, "description": metric.description}
        if definition is not None:
            for name in MetricForm.base_fields:
                if name not in initial and name != "note":
                    initial[name] = getattr(definition, name)
        return initial


class ExposureSourceForm(forms.Form):
    """Where an experiment's exposures are read: a data source and the key its rows carry."""

    source = forms.ModelChoiceField(
        queryset=DataSource.objects.order_by("name"),
        required=False,
        empty_label="None (uploads and events)",
        label="Data source",
    )
    experiment_key = forms.CharField(
        required=False,
        max_length=ExperimentSource._meta.get_field("experiment_key").max_length,
        label="Key in the exposure table",
        help_text="Leave blank to use the experiment's own key.",
    )
