"""The profile page's service tokens in a browser: create one, copy its secret, use it, revoke
it; the page has no serious accessibility violation."""

import pytest
from rest_framework.test import APIClient

from roles.models import ServiceToken
from tests.browser import PASSWORD, new_page, shoot, sign_in
from tests.factories import UserFactory
from tests.test_browser_polish import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_creates_uses_and_revokes_a_service_token(browser, live_server):
    user = UserFactory(username="analyst", role="analyst")
    user.set_password(PASSWORD)
    user.save()
    page = new_page(browser)
    sign_in(page, live_server, "analyst", at="/profile/")
    page.fill("#id_name", "Warehouse upload")
    page.check("input[name=scopes][value=read]")
    page.check("input[name=scopes][value=upload]")
    page.fill("#id_days", "30")
    page.click("text=Create service token")
    secret = page.inner_text("#new-service-secret")
    violations = axe_violations(page)
    shoot(page, "profile-service-tokens")

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/auth/me/").json()["username"] == "analyst"
    assert ServiceToken.objects.get().scopes == ["read", "upload"]
    assert violations == []

    page.goto(f"{live_server.url}/profile/")
    assert secret not in page.content()
    page.click('#service-tokens button:has-text("Revoke")')
    assert "is revoked" in page.inner_text("body")
    assert api.get("/api/v1/auth/me/").status_code == 401
    assert page.console_errors == []
