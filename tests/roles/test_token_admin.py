"""The admin's API tokens (DRF's token admin): a superuser sees, creates and revokes anyone's
token; anyone else cannot reach them."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_the_token_list_shows_each_users_token(client, superuser_cmo, analyst, operator):
    analysts = Token.objects.create(user=analyst)
    operators = Token.objects.create(user=operator)
    client.force_login(superuser_cmo)

    page = client.get(reverse("admin:authtoken_tokenproxy_changelist"))
    found = client.get(reverse("admin:authtoken_tokenproxy_changelist"), {"q": "analyst"})

    assert page.status_code == 200
    assert {t.key for t in page.context["cl"].result_list} == {analysts.key, operators.key}
    assert [t.key for t in found.context["cl"].result_list] == [analysts.key]


def test_the_admin_revokes_a_token_and_it_no_longer_signs_in(client, superuser_cmo, analyst):
    token = Token.objects.create(user=analyst)
    other = Token.objects.create(user=superuser_cmo)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/auth/me/").status_code == 200
    client.force_login(superuser_cmo)

    response = client.post(
        reverse("admin:authtoken_tokenproxy_delete", args=[analyst.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Token.objects.filter(user=analyst).exists()
    assert list(Token.objects.all()) == [other]
    assert api.get("/api/v1/auth/me/").status_code == 401


def test_the_admin_creates_a_token_for_a_user(client, superuser_cmo, analyst):
    client.force_login(superuser_cmo)

    response = client.post(reverse("admin:authtoken_tokenproxy_add"), {"user": analyst.pk})

    assert response.status_code == 302, response.content[:500]
    token = Token.objects.get(user=analyst)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/auth/me/").json()["username"] == "analyst"


@pytest.mark.parametrize("staff", [False, True])
def test_no_one_else_reaches_the_tokens(client, cmo, analyst, staff):
    """A CMO who is not a superuser: without staff status the admin asks them to sign in; as
    staff without the token permissions it refuses. Either way the token stays."""
    cmo.is_staff = staff
    cmo.save()
    token = Token.objects.create(user=analyst)
    client.force_login(cmo)

    listing = client.get(reverse("admin:authtoken_tokenproxy_changelist"))
    deleting = client.post(
        reverse("admin:authtoken_tokenproxy_delete", args=[analyst.pk]), {"post": "yes"}
    )

    expected = 403 if staff else 302
    assert (listing.status_code, deleting.status_code) == (expected, expected)
    assert list(Token.objects.all()) == [token]
