"""The webhook endpoint form of the CMO's page: it parses; ``webhooks.services`` decides."""

from django import forms

from .models import WebhookEvent


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="URL",
        max_length=500,
        help_text="An http(s) address on the public internet that accepts POSTs.",
        widget=forms.URLInput(attrs={"placeholder": "https://hooks.example.com/growthops"}),
    )
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text="The events this URL receives.",
    )
    description = forms.CharField(max_length=200, required=False)
    active = forms.BooleanField(
        required=False, initial=True, help_text="Inactive endpoints receive nothing."
    )

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)
