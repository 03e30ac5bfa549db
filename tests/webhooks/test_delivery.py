"""Sending one delivery: signature, retries with backoff, idempotency, URL rules at send time."""

import json

import pytest

from webhooks import delivery as delivery_module
from webhooks.models import WebhookDelivery
from webhooks.tasks import deliveries_queue, webhooks_deliver

from .helpers import documented_verify, endpoint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_private", "no_backoff")]


def make_delivery(target, cmo, **fields) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        endpoint=endpoint(target, cmo),
        event="experiment.approved",
        source="status_change:1",
        payload={"created_at": "2026-12-01T07:00:00+00:00", "data": {"note": "Ship it ✓"}},
        **fields,
    )


def test_it_posts_a_payload_the_documented_recipe_verifies(receiver, cmo):
    delivery = make_delivery(receiver, cmo)

    webhooks_deliver.delay(delivery.pk)

    [request] = receiver.requests
    assert request.path == "/hooks/growthops"
    assert documented_verify()("s3cret-for-tests", request.headers, request.body)
    assert not documented_verify()("another-secret", request.headers, request.body)
    assert not documented_verify()("s3cret-for-tests", request.headers, request.body + b" ")
    assert request.headers["X-GrowthOps-Event"] == "experiment.approved"
    assert request.headers["X-GrowthOps-Delivery"] == str(delivery.pk)
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body) == {
        "event": "experiment.approved",
        "id": delivery.pk,
        "created_at": "2026-12-01T07:00:00+00:00",
        "data": {"note": "Ship it ✓"},
    }
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 1, 200)
    assert delivery.delivered_at is not None and delivery.last_error == ""


def test_the_recipe_refuses_an_old_timestamp(receiver, cmo, monkeypatch):
    monkeypatch.setattr("webhooks.delivery.time.time", lambda: 1_000_000_000)
    webhooks_deliver.delay(make_delivery(receiver, cmo).pk)
    monkeypatch.undo()  # the receiver's clock is the real one
    [request] = receiver.requests
    assert request.headers["X-GrowthOps-Timestamp"] == "1000000000"
    assert not documented_verify()("s3cret-for-tests", request.headers, request.body)


def test_it_retries_after_a_500_and_records_every_try(receiver, cmo):
    receiver.answers = [500, 503]
    delivery = make_delivery(receiver, cmo)

    webhooks_deliver.delay(delivery.pk)

    assert len(receiver.requests) == 3
    assert len({r.headers["X-GrowthOps-Delivery"] for r in receiver.requests}) == 1
    assert len({r.body for r in receiver.requests}) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 3, 200)
    assert delivery.last_error == ""


def test_it_gives_up_after_six_tries_and_keeps_the_last_answer(receiver, cmo):
    receiver.answers = [500] * 10
    delivery = make_delivery(receiver, cmo)

    webhooks_deliver.delay(delivery.pk)

    assert len(receiver.requests) == delivery_module.MAX_ATTEMPTS == 6
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 6, 500)
    assert delivery.last_error == "HTTP 500: receiver says no"


def test_the_backoff_doubles_up_to_an_hour(monkeypatch):
    monkeypatch.undo()  # the real countdown, not no_backoff's
    from webhooks.delivery import retry_countdown

    assert [retry_countdown(n) for n in range(1, 6)] == [30, 60, 120, 240, 480]
    assert retry_countdown(20) == 3600


def test_it_schedules_the_retry_with_the_backoff(receiver, cmo, monkeypatch):
    monkeypatch.setattr("webhooks.delivery.retry_countdown", lambda attempts: 120)
    receiver.answers = [500]
    delivery = make_delivery(receiver, cmo)

    outcome = delivery_module.attempt(delivery.pk)

    assert outcome.retry_in == 120
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
    seconds = (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()
    assert 119 <= seconds <= 121
    # A copy of the task arriving before the retry is due sends nothing.
    assert delivery_module.attempt(delivery.pk) is None
    assert len(receiver.requests) == 1


def test_a_redirect_is_not_followed(receiver, cmo):
    receiver.answers = [302] * 6
    delivery = make_delivery(receiver, cmo)

    webhooks_deliver.delay(delivery.pk)

    assert all(r.path == "/hooks/growthops" for r in receiver.requests)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_code) == ("failed", 302)


def test_a_delivered_delivery_is_never_sent_again(receiver, cmo, committed):
    delivery = make_delivery(receiver, cmo)
    webhooks_deliver.delay(delivery.pk)

    webhooks_deliver.delay(delivery.pk)  # the broker hands the task out a second time
    committed(deliveries_queue, [delivery.pk])

    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)


def test_an_unreachable_receiver_is_a_failed_try(cmo):
    delivery = make_delivery("http://127.0.0.1:9/nobody-listens", cmo)

    delivery_module.attempt(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, None)
    assert "ConnectionRefusedError" in delivery.last_error


def test_an_inactive_endpoint_is_not_sent_to(receiver, cmo):
    delivery = make_delivery(receiver, cmo)
    delivery.endpoint.active = False
    delivery.endpoint.save()

    webhooks_deliver.delay(delivery.pk)

    assert receiver.requests == []
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == ("failed", "The endpoint is inactive.")


def test_it_refuses_at_delivery_time_a_host_whose_dns_now_points_inside(
    receiver, cmo, settings, monkeypatch
):
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = False
    monkeypatch.setattr("webhooks.safety.resolve", lambda host, port: ["10.0.0.7"])
    delivery = make_delivery("https://hooks.example.com/growthops", cmo)

    webhooks_deliver.delay(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error == (
        "hooks.example.com resolves to 10.0.0.7, which is a private address; "
        "webhooks go only to public hosts."
    )


def test_it_connects_to_the_address_it_checked(receiver, cmo, monkeypatch):
    """The request goes to the resolved address, with the registered host name in Host."""
    port = receiver.server.server_address[1]
    monkeypatch.setattr("webhooks.safety.resolve", lambda host, port: ["127.0.0.1"])
    delivery = make_delivery(f"http://hooks.example.com:{port}/in?src=growthops", cmo)

    webhooks_deliver.delay(delivery.pk)

    [request] = receiver.requests
    assert request.path == "/in?src=growthops"
    assert request.headers["Host"] == f"hooks.example.com:{port}"


def test_a_host_that_does_not_resolve_is_tried_again(cmo, monkeypatch):
    def no_dns(host, port):
        raise OSError("Name or service not known")

    monkeypatch.setattr("webhooks.safety.resolve", no_dns)
    delivery = make_delivery("https://hooks.example.com/growthops", cmo)

    delivery_module.attempt(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "does not resolve" in delivery.last_error
