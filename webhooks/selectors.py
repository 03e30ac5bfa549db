"""Reads of the webhooks app: the CMO sees every endpoint and every delivery."""

from django.db.models import OuterRef, QuerySet, Subquery

from roles.capabilities import can

from .models import WebhookDelivery, WebhookEndpoint


def endpoint_list(*, user) -> QuerySet[WebhookEndpoint]:
    """Every endpoint for those who manage webhooks (the CMO), none for anyone else."""
    if not can(user, "webhooks.manage"):
        return WebhookEndpoint.objects.none()
    return WebhookEndpoint.objects.select_related("created_by")


def delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return endpoint.deliveries.all()


def endpoint_list_with_last_delivery(*, user) -> QuerySet[WebhookEndpoint]:
    """The endpoints, each with its newest delivery's status, code and time (one query)."""
    newest = WebhookDelivery.objects.filter(endpoint=OuterRef("pk")).order_by("-created_at", "-id")
    return endpoint_list(user=user).annotate(
        last_status=Subquery(newest.values("status")[:1]),
        last_response_code=Subquery(newest.values("response_code")[:1]),
        last_delivery_at=Subquery(newest.values("created_at")[:1]),
    )
