"""The filters of an endpoint's delivery log (``?status=failed``)."""

import django_filters as filters

from growthops.filters import FilterSet, InstantRangeFilter

from .models import PING, WebhookDelivery, WebhookEvent


class DeliveryFilter(FilterSet):
    status = filters.MultipleChoiceFilter(
        choices=WebhookDelivery.Status.choices,
        help_text="The outcome so far: pending (waiting or retrying), delivered, failed.",
    )
    event = filters.MultipleChoiceFilter(choices=[*WebhookEvent.choices, (PING, "Test ping")])
    response_code = filters.NumberFilter(help_text="The HTTP status the receiver last answered.")
    created_at = InstantRangeFilter(
        help_text="created_at_after / created_at_before (ISO 8601 date and time, inclusive)"
    )

    class Meta:
        model = WebhookDelivery
        fields = ["status", "event", "response_code", "created_at"]
