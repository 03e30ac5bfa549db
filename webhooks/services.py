"""Writes of the webhooks app: the CMO's endpoints, and a test delivery to one of them.

Every endpoint service checks ``webhooks.manage`` and validates before writing: the URL must
be http(s) and, unless ``WEBHOOKS_ALLOW_PRIVATE_HOSTS``, resolve to public addresses only.
"""

import secrets
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from growthops.errors import ValidationFailed
from roles.capabilities import require

from .models import PING, WebhookDelivery, WebhookEndpoint
from .safety import url_problem
from .tasks import deliveries_queue

EDITABLE_FIELDS = ("url", "events", "description", "active")


def _validated(endpoint: WebhookEndpoint, *, check_url: bool = True) -> None:
    try:
        endpoint.full_clean()
    except ValidationError as exc:
        raise ValidationFailed(exc.message_dict) from exc
    problem = url_problem(endpoint.url) if check_url else None
    if problem:
        raise ValidationFailed({"url": problem})


def endpoint_create(
    *, actor, url: str, events: list[str], description: str = "", active: bool = True
) -> WebhookEndpoint:
    require(actor, "webhooks.manage")
    endpoint = WebhookEndpoint(
        url=url,
        events=events,
        description=description,
        active=active,
        created_by=actor,
        secret=secrets.token_urlsafe(32),
    )
    _validated(endpoint)
    endpoint.save()
    return endpoint


def endpoint_update(*, endpoint_id: int, actor, **fields) -> WebhookEndpoint:
    require(actor, "webhooks.manage")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed({name: "This field cannot be changed." for name in sorted(unknown)})
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
        for name, value in fields.items():
            setattr(endpoint, name, value)
        # The URL is checked again when it changes; deliveries check it before every try.
        _validated(endpoint, check_url="url" in fields)
        endpoint.save()
    return endpoint


def endpoint_rotate_secret(*, endpoint_id: int, actor) -> WebhookEndpoint:
    """A new signing secret; deliveries from now on are signed with it, the old one stops."""
    require(actor, "webhooks.manage")
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
        endpoint.secret = secrets.token_urlsafe(32)
        endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint


def endpoint_delete(*, endpoint_id: int, actor) -> None:
    """Deletes the endpoint and its delivery log; a try in flight finds nothing and stops."""
    require(actor, "webhooks.manage")
    WebhookEndpoint.objects.filter(pk=endpoint_id).delete()


def endpoint_ping(*, endpoint_id: int, actor) -> WebhookDelivery:
    """Queue a ``ping`` delivery to the endpoint (whatever events it subscribes to)."""
    require(actor, "webhooks.manage")
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    now = timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event=PING,
            source=f"ping:{uuid.uuid4().hex}",
            payload={
                "created_at": now.isoformat(),
                "data": {
                    "endpoint": endpoint.pk,
                    "message": f"A test delivery from GrowthOps, asked for by {actor}.",
                },
            },
        )
        deliveries_queue([delivery.pk])
    return delivery
