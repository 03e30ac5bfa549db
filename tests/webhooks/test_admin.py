"""Admin: endpoints and deliveries are read-only lists; the CMO may switch an endpoint off."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from webhooks.models import WebhookDelivery

from .helpers import endpoint

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.com/growthops"


@pytest.fixture
def staff_cmo(cmo):
    cmo.is_staff = cmo.is_superuser = True
    cmo.save()
    return cmo


@pytest.fixture
def hook(cmo):
    hook = endpoint(URL, cmo)
    WebhookDelivery.objects.create(
        endpoint=hook, event="ping", source="ping:1", payload={}, response_code=500
    )
    return hook


@pytest.mark.parametrize("model", ["webhookendpoint", "webhookdelivery"])
def test_the_lists_render(client, staff_cmo, hook, model):
    client.force_login(staff_cmo)
    url = reverse(f"admin:webhooks_{model}_changelist")
    assert client.get(url).status_code == 200
    assert client.get(url, {"q": "example"}).status_code == 200


def test_nothing_can_be_added_or_changed_but_the_active_flag(client, staff_cmo, hook):
    client.force_login(staff_cmo)
    assert client.get(reverse("admin:webhooks_webhookendpoint_add")).status_code == 403
    assert client.get(reverse("admin:webhooks_webhookdelivery_add")).status_code == 403
    delivery = hook.deliveries.get()
    page = client.get(reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk]))
    assert page.status_code == 200 and b'name="status"' not in page.content

    response = client.post(
        reverse("admin:webhooks_webhookendpoint_change", args=[hook.pk]),
        {"active": "", "url": "http://10.0.0.1/", "events": '["srm.detected"]'},
    )

    assert response.status_code == 302
    hook.refresh_from_db()
    assert (hook.active, hook.url, hook.events) == (False, URL, ["experiment.approved"])


def test_a_superuser_without_the_cmo_role_only_reads(client, hook):
    admin = UserFactory(username="admin", role="", is_staff=True, is_superuser=True)
    client.force_login(admin)
    change = reverse("admin:webhooks_webhookendpoint_change", args=[hook.pk])
    assert client.get(change).status_code == 200
    client.post(change, {"active": ""})
    hook.refresh_from_db()
    assert hook.active
