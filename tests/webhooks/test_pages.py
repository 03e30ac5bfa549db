"""The CMO's webhooks page (/webhooks/): register, edit, disable, rotate the secret, read deliveries.

Everyone else gets the 403 page and changes nothing; the secret shows once.
"""

import pytest
from django.test import Client

from tests.helpers import signed_in
from webhooks.models import WebhookDelivery, WebhookEndpoint

from .helpers import endpoint

pytestmark = pytest.mark.django_db

PUBLIC = "https://hooks.example.com/growthops"


@pytest.fixture(autouse=True)
def public_dns(monkeypatch):
    """hooks.example.com resolves to a public address (no real DNS in tests)."""

    def resolve(host, port):
        return ["93.184.215.14"] if host.endswith("example.com") else [host]

    monkeypatch.setattr("webhooks.safety.resolve", resolve)


def snapshot():
    return (
        sorted(WebhookEndpoint.objects.values_list(), key=str),
        sorted(WebhookDelivery.objects.values_list(), key=str),
    )


PAGES = [
    ("get", "/webhooks/"),
    ("get", "/webhooks/new/"),
    ("post", "/webhooks/new/"),
    ("get", "/webhooks/{id}/"),
    ("post", "/webhooks/{id}/"),
    ("post", "/webhooks/{id}/secret/"),
    ("post", "/webhooks/{id}/active/"),
    ("post", "/webhooks/{id}/test/"),
]


@pytest.mark.parametrize("role", ["operator", "marketer", "analyst"])
@pytest.mark.parametrize(("method", "url"), PAGES)
def test_only_the_cmo_may_open_or_post(cast, cmo, role, method, url):
    existing = endpoint(PUBLIC, cmo)
    before = snapshot()
    body = {"url": "https://hooks.example.com/other", "events": ["srm.detected"]}
    client = signed_in(cast[role])
    response = getattr(client, method)(url.format(id=existing.pk), body)
    assert response.status_code == 403
    assert "Only CMO may register webhooks" in response.content.decode()
    assert snapshot() == before


def test_anonymous_is_sent_to_sign_in(cmo):
    response = Client().get("/webhooks/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_cmo_finds_it_in_the_user_menu_and_others_do_not(cast):
    assert 'id="webhooks-link"' in signed_in(cast["cmo"]).get("/").content.decode()
    for role in ("operator", "marketer", "analyst"):
        assert 'id="webhooks-link"' not in signed_in(cast[role]).get("/").content.decode()


def test_the_cmo_registers_an_endpoint_and_sees_the_secret_once(cmo):
    client = signed_in(cmo)
    response = client.post(
        "/webhooks/new/",
        {"url": PUBLIC, "events": ["srm.detected", "experiment.approved"], "active": "on"},
    )
    assert response.status_code == 200
    created = WebhookEndpoint.objects.get()
    assert (created.url, created.events, created.active, created.created_by) == (
        PUBLIC,
        ["srm.detected", "experiment.approved"],
        True,
        cmo,
    )
    assert created.secret in response.content.decode()
    again = client.get(f"/webhooks/{created.pk}/").content.decode()
    assert created.secret not in again
    assert f"…{created.secret[-4:]}" in again


def test_a_refused_url_keeps_what_was_typed_and_writes_nothing(cmo):
    response = signed_in(cmo).post(
        "/webhooks/new/",
        {"url": "http://127.0.0.1:9000/hook", "events": ["srm.detected"], "description": "Mine"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was saved" in page
    assert 'value="http://127.0.0.1:9000/hook"' in page and 'value="Mine"' in page
    assert "not public" in page or "private" in page or "loopback" in page
    assert not WebhookEndpoint.objects.exists()


def test_no_event_is_refused(cmo):
    response = signed_in(cmo).post("/webhooks/new/", {"url": PUBLIC})
    assert "This field is required." in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_cmo_edits_an_endpoint(cmo):
    existing = endpoint(PUBLIC, cmo, events=["srm.detected"])
    response = signed_in(cmo).post(
        f"/webhooks/{existing.pk}/",
        {
            "url": PUBLIC + "/v2",
            "events": ["guardrail.worse"],
            "description": "CRM",
            "active": "on",
        },
    )
    assert response.status_code == 302
    existing.refresh_from_db()
    assert (existing.url, existing.events, existing.description) == (
        PUBLIC + "/v2",
        ["guardrail.worse"],
        "CRM",
    )


def test_disabling_and_enabling(cmo):
    existing = endpoint(PUBLIC, cmo)
    client = signed_in(cmo)
    client.post(f"/webhooks/{existing.pk}/active/")
    existing.refresh_from_db()
    assert existing.active is False
    client.post(f"/webhooks/{existing.pk}/active/")
    existing.refresh_from_db()
    assert existing.active is True


def test_rotating_the_secret_shows_the_new_one_once(cmo):
    existing = endpoint(PUBLIC, cmo)
    old = existing.secret
    response = signed_in(cmo).post(f"/webhooks/{existing.pk}/secret/")
    existing.refresh_from_db()
    assert existing.secret != old and len(existing.secret) >= 32
    page = response.content.decode()
    assert existing.secret in page and old not in page


def test_the_page_lists_deliveries_with_their_response_codes(cmo, django_assert_max_num_queries):
    existing = endpoint(PUBLIC, cmo)
    for n, (state, code) in enumerate([("delivered", 200), ("failed", 500), ("pending", None)]):
        WebhookDelivery.objects.create(
            endpoint=existing,
            event="srm.detected",
            source=f"alert:{n}",
            payload={},
            status=state,
            response_code=code,
            attempts=1,
        )
    client = signed_in(cmo)
    with django_assert_max_num_queries(12):
        page = client.get(f"/webhooks/{existing.pk}/").content.decode()
    assert "Delivered · 200" in page and "Failed · 500" in page and "Pending" in page
    listing = client.get("/webhooks/").content.decode()
    assert "Pending" in listing  # the newest delivery's state beside the endpoint


def test_the_list_runs_a_fixed_number_of_queries(cmo, django_assert_max_num_queries):
    for n in range(30):
        existing = endpoint(f"{PUBLIC}/{n}", cmo)
        WebhookDelivery.objects.create(
            endpoint=existing, event="ping", source=f"ping:{n}", payload={}, response_code=204
        )
    client = signed_in(cmo)
    with django_assert_max_num_queries(10):
        response = client.get("/webhooks/")
    assert response.content.decode().count('href="/webhooks/') >= 25


def test_a_test_ping_is_queued(cmo, django_capture_on_commit_callbacks, monkeypatch):
    existing = endpoint(PUBLIC, cmo)
    queued = []
    monkeypatch.setattr("webhooks.tasks.webhooks_deliver.delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(cmo).post(f"/webhooks/{existing.pk}/test/")
    assert response.status_code == 302
    delivery = WebhookDelivery.objects.get(endpoint=existing)
    assert delivery.event == "ping" and queued == [delivery.pk]
