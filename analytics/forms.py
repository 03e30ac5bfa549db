"""The results panel's slicing form: a dimension and a window of days (``?dimension=&from=&to=``,
the API's parameters)."""

from django import forms

from .dimensions import known_dimensions


class SlicesForm(forms.Form):
    dimension = forms.ChoiceField(
        required=False,
        label="Slice by",
        help_text="Each value's own results, corrected across the values.",
    )

    def __init__(self, *args, dimensions: list[str] | None = None, **kwargs):
        """``dimensions``: the experiment's (``analytics.dimensions.experiment_dimensions``);
        by default the organisation's list."""
        super().__init__(*args, **kwargs)
        self.fields["dimension"].choices = [
            ("", "No dimension (overall)"),
            *((d, d.replace("_", " ")) for d in (dimensions or known_dimensions())),
        ]
        # "from" and "to" are Python keywords: fields added by name.
        self.fields["from"] = forms.DateField(
            required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
        )
        self.fields["to"] = forms.DateField(
            required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
        )

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("from"), cleaned.get("to")
        if first and last and first > last:
            self.add_error("from", f"{first} is after the last day ({last}).")
        return cleaned

    def asked(self) -> bool:
        """Whether anything beyond the stored results was asked for."""
        return self.is_valid() and any(
            self.cleaned_data.get(name) for name in ("dimension", "from", "to")
        )

    def selector_arguments(self) -> dict:
        return {
            "dimension": self.cleaned_data.get("dimension") or "",
            "date_from": self.cleaned_data.get("from"),
            "date_to": self.cleaned_data.get("to"),
        }
