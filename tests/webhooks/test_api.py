"""``/api/v1/webhooks/``: the CMO's, URLs checked at registration, deliveries visible."""

import json

import pytest

from tests.api.problems import problem_errors
from webhooks.models import WebhookDelivery, WebhookEndpoint

from .helpers import documented_verify, endpoint

pytestmark = pytest.mark.django_db

PUBLIC = "https://hooks.example.com/growthops"


@pytest.fixture
def public_dns(monkeypatch):
    """hooks.example.com resolves to a public address (no real DNS in tests)."""

    def resolve(host, port):
        return ["93.184.215.14"] if host == "hooks.example.com" else [host]

    monkeypatch.setattr("webhooks.safety.resolve", resolve)


# (method, path, body): every route; "{id}" is an existing endpoint.
ROUTES = [
    ("get", "/api/v1/webhooks/", None),
    ("post", "/api/v1/webhooks/", {"url": PUBLIC, "events": ["srm.detected"]}),
    ("get", "/api/v1/webhooks/{id}/", None),
    ("patch", "/api/v1/webhooks/{id}/", {"active": False}),
    ("put", "/api/v1/webhooks/{id}/", {"url": PUBLIC, "events": ["srm.detected"]}),
    ("delete", "/api/v1/webhooks/{id}/", None),
    ("get", "/api/v1/webhooks/{id}/deliveries/", None),
    ("post", "/api/v1/webhooks/{id}/test/", None),
    ("post", "/api/v1/webhooks/{id}/rotate-secret/", None),
]
ALLOWED_STATUS = {"get": 200, "post": 201, "patch": 200, "put": 200, "delete": 204}
ROLES = ["cmo", "operator", "marketer", "analyst", "outsider", "anonymous"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_only_the_cmo_manages_webhooks(
    anonymous_api, role, method, path, body, cast, outsider, public_dns, monkeypatch
):
    monkeypatch.setattr("webhooks.services.deliveries_queue", lambda ids: None)
    existing = endpoint(PUBLIC, cast["cmo"])
    if role != "anonymous":
        anonymous_api.force_authenticate({**cast, "outsider": outsider}[role])

    response = getattr(anonymous_api, method)(path.format(id=existing.pk), body, format="json")

    if role == "cmo":
        expected = {"/test/": 202, "/rotate-secret/": 200}.get(
            path[path.rindex("/", 0, -1) :], ALLOWED_STATUS[method]
        )
        assert response.status_code == expected, response.content
    else:
        assert response.status_code in (401, 403)
        assert list(WebhookEndpoint.objects.all()) == [existing]
        existing.refresh_from_db()
        assert existing.active and not WebhookDelivery.objects.exists()
        assert existing.secret == "s3cret-for-tests"
        assert "s3cret-for-tests" not in response.content.decode()


def test_the_cmo_registers_an_endpoint_and_gets_its_secret(anonymous_api, cmo, public_dns):
    anonymous_api.force_authenticate(cmo)

    response = anonymous_api.post(
        "/api/v1/webhooks/",
        {"url": PUBLIC, "events": ["experiment.approved", "srm.detected"], "description": "Slack"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    endpoint = WebhookEndpoint.objects.get()
    assert body["id"] == endpoint.pk
    assert body["secret"] == endpoint.secret and len(endpoint.secret) >= 40
    assert (endpoint.url, endpoint.events, endpoint.active, endpoint.created_by) == (
        PUBLIC,
        ["experiment.approved", "srm.detected"],
        True,
        cmo,
    )
    assert body["secret_ends_with"] == endpoint.secret[-4:]
    assert "no-store" in response["Cache-Control"]
    other = anonymous_api.post(
        "/api/v1/webhooks/", {"url": PUBLIC, "events": ["srm.detected"]}, format="json"
    )
    assert other.json()["secret"] != body["secret"]


def test_the_secret_is_not_shown_again(anonymous_api, cmo, public_dns):
    existing = endpoint(PUBLIC, cmo)
    anonymous_api.force_authenticate(cmo)

    answers = [
        anonymous_api.get("/api/v1/webhooks/"),
        anonymous_api.get(f"/api/v1/webhooks/{existing.pk}/"),
        anonymous_api.get("/api/v1/webhooks/?search=hooks"),
        anonymous_api.get(f"/api/v1/webhooks/{existing.pk}/?format=api"),
        anonymous_api.patch(
            f"/api/v1/webhooks/{existing.pk}/", {"description": "Slack"}, format="json"
        ),
        anonymous_api.put(
            f"/api/v1/webhooks/{existing.pk}/",
            {"url": PUBLIC, "events": ["srm.detected"]},
            format="json",
        ),
    ]

    for response in answers:
        assert response.status_code == 200, response.content
        assert "s3cret-for-tests" not in response.content.decode()
    assert answers[1].json()["secret_ends_with"] == "ests"  # s3cret-for-tests
    assert "secret" not in answers[1].json()
    existing.refresh_from_db()
    assert existing.secret == "s3cret-for-tests"


def test_rotating_the_secret_shows_the_new_one_once(anonymous_api, cmo):
    existing = endpoint(PUBLIC, cmo)
    anonymous_api.force_authenticate(cmo)

    response = anonymous_api.post(f"/api/v1/webhooks/{existing.pk}/rotate-secret/")

    assert response.status_code == 200
    existing.refresh_from_db()
    assert existing.secret != "s3cret-for-tests" and len(existing.secret) >= 40
    assert response.json()["secret"] == existing.secret
    assert response.json()["secret_ends_with"] == existing.secret[-4:]
    assert "no-store" in response["Cache-Control"]
    assert (
        existing.secret
        not in anonymous_api.get(f"/api/v1/webhooks/{existing.pk}/").content.decode()
    )
    assert anonymous_api.post("/api/v1/webhooks/999999/rotate-secret/").status_code == 404


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (
            "http://127.0.0.1:8000/hook",
            "127.0.0.1 is a loopback address; webhooks go only to public hosts.",
        ),
        ("http://[::1]/hook", "::1 is a loopback address; webhooks go only to public hosts."),
        (
            "http://10.1.2.3/hook",
            "10.1.2.3 is a private address; webhooks go only to public hosts.",
        ),
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254 is a link-local address; webhooks go only to public hosts.",
        ),
        (
            "http://0.0.0.0/",
            "0.0.0.0 is the unspecified address; webhooks go only to public hosts.",
        ),
        (
            "http://[::ffff:192.168.0.1]/",
            "::ffff:192.168.0.1 is a private address; webhooks go only to public hosts.",
        ),
        # IPv6 addresses that carry a packet to an IPv4 one: 6to4, NAT64, IPv4-compatible.
        (
            "http://[2002:7f00:1::1]/",
            "2002:7f00:1::1 is a loopback address; webhooks go only to public hosts.",
        ),
        (
            "http://[2002:c0a8:1::1]:8080/",
            "2002:c0a8:1::1 is a private address; webhooks go only to public hosts.",
        ),
        (
            "http://[64:ff9b::7f00:1]/",
            "64:ff9b::7f00:1 is a loopback address; webhooks go only to public hosts.",
        ),
        (
            "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
            "64:ff9b::a9fe:a9fe is a link-local address; webhooks go only to public hosts.",
        ),
        (
            "http://[::127.0.0.1]/",
            "::127.0.0.1 is a reserved address; webhooks go only to public hosts.",
        ),
        ("ftp://hooks.example.com/", "Only http:// and https:// URLs can receive webhooks."),
    ],
)
def test_it_refuses_a_url_that_is_not_public_http(anonymous_api, cmo, settings, url, problem):
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = False
    anonymous_api.force_authenticate(cmo)

    response = anonymous_api.post(
        "/api/v1/webhooks/", {"url": url, "events": ["srm.detected"]}, format="json"
    )

    assert response.status_code == 400
    assert problem_errors(response)["url"] == [problem]
    assert not WebhookEndpoint.objects.exists()


def test_it_refuses_a_host_name_that_resolves_inside(anonymous_api, cmo, settings, monkeypatch):
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = False
    monkeypatch.setattr(
        "webhooks.safety.resolve", lambda host, port: ["93.184.215.14", "192.168.1.10"]
    )
    anonymous_api.force_authenticate(cmo)

    response = anonymous_api.post(
        "/api/v1/webhooks/", {"url": PUBLIC, "events": ["srm.detected"]}, format="json"
    )

    assert response.status_code == 400
    assert problem_errors(response)["url"] == [
        "hooks.example.com resolves to 192.168.1.10, which is a private address; "
        "webhooks go only to public hosts."
    ]


def test_it_refuses_a_host_name_that_resolves_to_a_6to4_address_inside(
    anonymous_api, cmo, settings, monkeypatch
):
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = False
    monkeypatch.setattr("webhooks.safety.resolve", lambda host, port: ["2002:a00:1::1"])
    anonymous_api.force_authenticate(cmo)

    response = anonymous_api.post(
        "/api/v1/webhooks/", {"url": PUBLIC, "events": ["srm.detected"]}, format="json"
    )

    assert response.status_code == 400
    assert problem_errors(response)["url"] == [
        "hooks.example.com resolves to 2002:a00:1::1, which is a private address; "
        "webhooks go only to public hosts."
    ]
    assert not WebhookEndpoint.objects.exists()


def test_a_nat64_address_of_a_public_host_is_accepted(anonymous_api, cmo, settings, monkeypatch):
    """On an IPv6-only network DNS64 answers 64:ff9b::<IPv4>: judged by the IPv4 it reaches."""
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = False
    monkeypatch.setattr("webhooks.safety.resolve", lambda host, port: ["64:ff9b::5db8:d70e"])
    anonymous_api.force_authenticate(cmo)

    response = anonymous_api.post(
        "/api/v1/webhooks/", {"url": PUBLIC, "events": ["srm.detected"]}, format="json"
    )

    assert response.status_code == 201, response.json()


def test_the_setting_allows_private_hosts(anonymous_api, cmo, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = True
    anonymous_api.force_authenticate(cmo)
    response = anonymous_api.post(
        "/api/v1/webhooks/", {"url": "http://127.0.0.1:8000/hook", "events": ["srm.detected"]}
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("events", "problem"),
    [
        (["experiment.exploded"], "Unknown event(s): experiment.exploded. Events: experiment."),
        ([], "Name at least one event."),
        (["srm.detected", "srm.detected"], "Name each event once."),
    ],
)
def test_it_refuses_unknown_events(anonymous_api, cmo, public_dns, events, problem):
    anonymous_api.force_authenticate(cmo)
    response = anonymous_api.post(
        "/api/v1/webhooks/", {"url": PUBLIC, "events": events}, format="json"
    )
    assert response.status_code == 400
    assert problem in json.dumps(problem_errors(response)["events"])
    assert not WebhookEndpoint.objects.exists()


def test_a_changed_url_is_checked_again(anonymous_api, cmo, public_dns, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = False
    existing = endpoint(PUBLIC, cmo)
    anonymous_api.force_authenticate(cmo)

    response = anonymous_api.patch(
        f"/api/v1/webhooks/{existing.pk}/", {"url": "http://10.0.0.1/"}, format="json"
    )
    assert response.status_code == 400
    existing.refresh_from_db()
    assert existing.url == PUBLIC

    response = anonymous_api.patch(
        f"/api/v1/webhooks/{existing.pk}/", {"events": ["guardrail.worse"]}, format="json"
    )
    assert response.status_code == 200
    existing.refresh_from_db()
    assert existing.events == ["guardrail.worse"]
    assert existing.secret == "s3cret-for-tests"


def test_deleting_an_endpoint_deletes_its_deliveries(anonymous_api, cmo):
    existing = endpoint(PUBLIC, cmo)
    WebhookDelivery.objects.create(endpoint=existing, event="ping", source="ping:1", payload={})
    anonymous_api.force_authenticate(cmo)
    assert anonymous_api.delete(f"/api/v1/webhooks/{existing.pk}/").status_code == 204
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()


@pytest.mark.usefixtures("allow_private", "no_backoff")
def test_a_test_ping_is_delivered_and_shows_in_the_log(anonymous_api, cmo, receiver, committed):
    receiver.answers = [500]
    existing = endpoint(receiver, cmo, events=["srm.detected"])
    anonymous_api.force_authenticate(cmo)

    response = committed(anonymous_api.post, f"/api/v1/webhooks/{existing.pk}/test/")

    assert response.status_code == 202
    assert response.json()["event"] == "ping"
    assert len(receiver.requests) == 2
    request = receiver.requests[-1]
    assert request.headers["X-GrowthOps-Event"] == "ping"
    assert documented_verify()(existing.secret, request.headers, request.body)
    assert json.loads(request.body)["data"]["endpoint"] == existing.pk

    log = anonymous_api.get(f"/api/v1/webhooks/{existing.pk}/deliveries/").json()
    [row] = log["results"]
    assert (row["event"], row["status"], row["attempts"], row["response_code"]) == (
        "ping",
        "delivered",
        2,
        200,
    )


def test_a_deliveries_log_is_the_endpoints_own(anonymous_api, cmo):
    mine, other = endpoint(PUBLIC, cmo), endpoint(PUBLIC, cmo)
    WebhookDelivery.objects.create(endpoint=other, event="ping", source="ping:1", payload={})
    anonymous_api.force_authenticate(cmo)
    assert anonymous_api.get(f"/api/v1/webhooks/{mine.pk}/deliveries/").json()["results"] == []
    assert anonymous_api.get("/api/v1/webhooks/999999/deliveries/").status_code == 404
