"""The agency partners page's forms: types only; ``roles.partners`` judges and saves."""

from django import forms

from roles.models import Partner
from roles.partners import PARTNER_FIELDS


class PartnerForm(forms.ModelForm):
    class Meta:
        model = Partner
        fields = list(PARTNER_FIELDS)
        labels = {
            "monthly_fee": "Monthly fee",
            "fee_currency": "Fee currency",
            "media_billing": "How media is billed",
            "media_markup": "Markup on media (%)",
            "contact_name": "Contact name",
            "contact_email": "Contact e-mail",
        }
        widgets = {
            "contract_start": forms.DateInput(attrs={"type": "date"}),
            "contract_end": forms.DateInput(attrs={"type": "date"}),
        }

    def validate_unique(self):
        """The service reports a taken name, beside the field."""

    def _post_clean(self):
        """Types only: the service runs the model's checks and reports them."""


class PartnerUserForm(forms.Form):
    username = forms.CharField(max_length=150, help_text="What they sign in with.")
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        help_text="Give it to them in person; they change it on first sign-in.",
    )
