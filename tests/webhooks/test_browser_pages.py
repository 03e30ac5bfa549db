"""The webhooks page in headless Chromium: from the user menu to a registered endpoint."""

import pytest

from tests.browser import new_page, shoot, sign_in
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser, monkeypatch):
    monkeypatch.setattr(
        "webhooks.safety.resolve", lambda host, port: ["93.184.215.14"]
    )  # a public address, without real DNS
    return new_page(browser)


def test_the_cmo_registers_a_webhook_from_the_user_menu(page, live_server, cmo):
    sign_in(page, live_server, "cmo")

    page.click("#user-menu")
    page.click("#webhooks-link")
    assert page.locator("h1").inner_text() == "Webhooks"
    shoot(page, "webhooks-empty")

    page.click("#register-endpoint")
    page.fill("#id_url", "https://hooks.example.com/growthops")
    page.check("input[value='experiment.approved']")
    page.check("input[value='srm.detected']")
    page.fill("#id_description", "CRM sync")
    shoot(page, "webhooks-new")
    page.click("#endpoint-form button[type=submit]")

    endpoint = WebhookEndpoint.objects.get()
    assert page.locator("#new-secret code").inner_text() == endpoint.secret
    for n, (state, code) in enumerate([("delivered", 200), ("failed", 503)]):
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event="srm.detected",
            source=f"alert:{n}",
            payload={},
            status=state,
            response_code=code,
            attempts=n + 1,
            last_error="" if code == 200 else "HTTP 503 from the receiver",
        )
    page.goto(f"{live_server.url}/webhooks/{endpoint.pk}/")
    assert "Failed · 503" in page.locator("#deliveries").inner_text()
    page.click("#rotate-secret")
    page.wait_for_selector("#rotate-confirm.show:not(.collapsing)")
    shoot(page, "webhooks-detail")
    page.click("#rotate-confirm-button")
    endpoint.refresh_from_db()
    assert page.locator("#new-secret code").inner_text() == endpoint.secret

    page.goto(f"{live_server.url}/webhooks/")
    shoot(page, "webhooks-list")
    assert page.console_errors == []
