from django import forms

from .models import Scope
from .services import SERVICE_TOKEN_MAX_DAYS


class ServiceTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What uses it, e.g. “nightly warehouse upload”."
    )
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="It never does more than your role allows, whatever the scopes.",
    )
    days = forms.IntegerField(
        label="Valid for (days)", min_value=1, max_value=SERVICE_TOKEN_MAX_DAYS, initial=90
    )
