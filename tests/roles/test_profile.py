"""The profile page: a person sees, creates (regenerates) and revokes their own API token."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_it_needs_a_login(client):
    for method, name in [("get", "profile"), ("post", "token-generate"), ("post", "token-revoke")]:
        response = getattr(client, method)(reverse(f"roles:{name}"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert not Token.objects.exists()


def test_the_navbar_links_to_it(client, marketer):
    client.force_login(marketer)
    page = client.get(reverse("programme:home")).content.decode()
    assert f'href="{reverse("roles:profile")}"' in page


def test_without_a_token_it_offers_to_create_one(client, analyst):
    client.force_login(analyst)
    page = client.get(reverse("roles:profile")).content.decode()
    assert "You have no API token" in page and "Create token" in page
    assert "Revoke token" not in page


def test_creating_shows_the_key_once_and_it_works(client, analyst):
    client.force_login(analyst)
    response = client.post(reverse("roles:token-generate"))
    token = Token.objects.get(user=analyst)
    assert response.status_code == 200
    assert token.key in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")

    later = client.get(reverse("roles:profile")).content.decode()
    assert token.key not in later and f"…{token.key[-4:]}" in later
    # Regenerating asks first: the token in use stops working at once.
    assert 'data-confirm="Regenerate your API token? The one you have stops working' in later

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/experiments/").status_code == 200


def test_regenerating_replaces_the_old_token(client, analyst):
    client.force_login(analyst)
    client.post(reverse("roles:token-generate"))
    old = Token.objects.get(user=analyst).key
    client.post(reverse("roles:token-generate"))
    new = Token.objects.get(user=analyst).key
    assert new != old and Token.objects.filter(user=analyst).count() == 1
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert api.get("/api/v1/experiments/").status_code == 401


def test_revoking_deletes_only_my_token(client, analyst, marketer):
    Token.objects.create(user=marketer)
    mine = Token.objects.create(user=analyst)
    client.force_login(analyst)
    response = client.post(reverse("roles:token-revoke"), follow=True)
    assert "revoked" in response.content.decode()
    assert not Token.objects.filter(key=mine.key).exists()
    assert Token.objects.filter(user=marketer).exists()
    again = client.post(reverse("roles:token-revoke"), follow=True)
    assert "You had no API token" in again.content.decode()


def test_get_does_not_change_tokens(client, analyst):
    client.force_login(analyst)
    assert client.get(reverse("roles:token-generate")).status_code == 405
    assert client.get(reverse("roles:token-revoke")).status_code == 405
    assert not Token.objects.exists()


def test_the_page_has_no_inline_script_or_style(client, analyst):
    client.force_login(analyst)
    page = client.post(reverse("roles:token-generate")).content.decode()
    assert "<script>" not in page and "style=" not in page and "<style" not in page
    assert "default-src 'self'" in client.get(reverse("roles:profile"))["Content-Security-Policy"]
