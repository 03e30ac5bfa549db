"""The programme's own forms: a measured day of an objective, a CSV of them, a new holdout.
They only read what was typed; the services in ``measurements.py`` and ``holdouts.py`` check and
write."""

from django import forms
from django.utils import timezone

from experiments.models import Objective, Segment
from roles.models import Channel, Role, User

from .models import Holdout

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class MeasurementForm(forms.Form):
    """One day's measured value; the day defaults to today."""

    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    # Text, as a CSV cell or a JSON value is: ``measurement_record`` reads the number, so the page
    # and the API refuse the same values with the same words (and round to the cent alike).
    value = forms.CharField(
        help_text="In the KPI's unit.", widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate()


class MeasurementUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Header date,value; one row a day. A day already stored is replaced.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def text(self) -> str:
        """The file as text; refuses one too large or not UTF-8 (as a field error)."""
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB; split it or use the API.")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("The file is not UTF-8 text.") from exc


class HoldoutDataUploadForm(MeasurementUploadForm):
    file = forms.FileField(
        label="CSV file",
        help_text="Header date,group,users,conversions (or sum,sum_squares for a value holdout); "
        "one row per group (holdout, exposed) and day. A day sent again is replaced.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class HoldoutForm(forms.ModelForm):
    class Meta:
        model = Holdout
        fields = ["name", "segment", "share", "started_on", "kind", "objective", "notes"]
        widgets = {
            "started_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 2}),
            "share": forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "max": "0.99"}),
        }
        labels = {"share": "Share kept away", "objective": "Objective it checks (optional)"}
        help_texts = {"share": "0.05 keeps 5 % of the segment's users away from every change."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = Segment.objects.select_related("parent__parent")
        self.fields["objective"].queryset = Objective.objects.exclude(
            status=Objective.Status.RETIRED
        )

    def _post_clean(self):
        pass  # the service validates the model

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class EconomicsUploadForm(MeasurementUploadForm):
    file = forms.FileField(
        label="CSV file",
        help_text="Header period_start,period_end,customers_acquired,customer_value,"
        "acquisition_cost; one row per period. A period sent again is replaced.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class TeamForm(forms.Form):
    """A team's name, members and the segments it owns (``experiments.teams`` checks)."""

    name = forms.CharField(max_length=100)
    members = forms.ModelMultipleChoiceField(
        queryset=User.objects.exclude(role="").filter(is_active=True).order_by("username"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    segments = forms.ModelMultipleChoiceField(
        queryset=Segment.objects.select_related("owner_team").order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="A segment ticked here moves to this team; one left out must go to another "
        "team first.",
    )


class OperatorProfileForm(forms.Form):
    """An operator's L: channels across, specialities deep, and capacity."""

    user = forms.ModelChoiceField(
        queryset=User.objects.filter(role=Role.OPERATOR, is_active=True, operator_profile=None),
        label="Operator",
    )
    channels = forms.MultipleChoiceField(
        choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    specialities = forms.CharField(
        required=False, help_text="Comma-separated, e.g. pricing tests, onboarding."
    )
    capacity = forms.IntegerField(
        min_value=1, max_value=100, initial=3, help_text="Experiments they may own at once."
    )

    def __init__(self, *args, profile=None, **kwargs):
        if profile is not None:
            kwargs.setdefault(
                "initial",
                {
                    "channels": profile.channels,
                    "specialities": ", ".join(profile.specialities),
                    "capacity": profile.capacity,
                },
            )
        super().__init__(*args, **kwargs)
        if profile is not None:
            del self.fields["user"]  # a profile stays with its operator

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["specialities"] = [s.strip() for s in data["specialities"].split(",") if s.strip()]
        return data
