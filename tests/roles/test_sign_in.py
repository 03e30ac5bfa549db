"""Sign-in: repeated failures lock a user out (page, admin and token endpoint), demo accounts
stay in demos, and the API answers only to someone the capability table lets read."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from roles.backends import DEMO_PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"
LIMIT = 5


@pytest.fixture(autouse=True)
def _failure_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


def _fail(client, url, username, times):
    for _ in range(times):
        client.post(url, {"username": username, "password": "wrong"})


@pytest.mark.parametrize("url_name", ["login", "admin:login"])
def test_it_locks_out_after_repeated_wrong_passwords(client, cmo, url_name):
    url = reverse(url_name)
    _fail(client, url, "cmo", LIMIT)

    response = client.post(url, {"username": "cmo", "password": PASSWORD})

    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    assert "locked out" in page and "15 minutes" in page


@pytest.mark.parametrize("url", ["/api/v1/auth/token/", "/accounts/login/"])
def test_a_new_x_forwarded_for_each_time_does_not_escape_the_lock_out(cmo, url):
    """150 wrong passwords, each with a new address in the header: refused after the limit."""
    api = APIClient(REMOTE_ADDR="198.51.100.7")
    sent = "json" if url.startswith("/api/") else "multipart"  # what each one reads
    codes = [
        api.post(
            url,
            {"username": "cmo", "password": "wrong"},
            format=sent,
            HTTP_X_FORWARDED_FOR=f"10.{n // 250}.{n % 250}.1",
        ).status_code
        for n in range(150)
    ]
    refused_on_the_page = 200  # the login page shows the form again with its error
    wrong = 400 if url.startswith("/api/") else refused_on_the_page
    # The failure that reaches the limit is answered with the lock-out already.
    assert codes == [wrong] * (LIMIT - 1) + [429] * (150 - LIMIT + 1)
    right = api.post(
        url, {"username": "cmo", "password": PASSWORD}, format=sent, HTTP_X_FORWARDED_FOR="1.1.1.1"
    )
    assert right.status_code == 429
    assert not Token.objects.exists()


def test_a_failure_or_two_does_not_lock_out(client, cmo):
    _fail(client, reverse("login"), "cmo", LIMIT - 2)
    response = client.post(reverse("login"), {"username": "cmo", "password": PASSWORD})
    assert response.status_code == 302


def test_the_token_endpoint_answers_a_token_for_the_right_password(cmo):
    api = APIClient()
    response = api.post("/api/v1/auth/token/", {"username": "cmo", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=cmo).key}


def test_the_token_endpoint_refuses_a_wrong_password_with_400(cmo):
    api = APIClient()
    response = api.post("/api/v1/auth/token/", {"username": "cmo", "password": "wrong"})
    assert response.status_code == 400
    assert not Token.objects.exists()


def test_the_token_endpoint_locks_out_after_repeated_wrong_passwords(cmo):
    api = APIClient()
    for _ in range(LIMIT):
        api.post("/api/v1/auth/token/", {"username": "cmo", "password": "wrong"})

    response = api.post("/api/v1/auth/token/", {"username": "cmo", "password": PASSWORD})

    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)
    assert "locked out" in response.json()["detail"]
    assert not Token.objects.exists()


def test_the_lock_outs_retry_after_is_the_axes_cool_off(cmo, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=7, seconds=30)
    api = APIClient()
    for _ in range(LIMIT):
        api.post("/api/v1/auth/token/", {"username": "cmo", "password": "wrong"})

    # Locked out now, even with the right password; a wrong one is refused the same way.
    for password in (PASSWORD, "wrong"):
        response = api.post("/api/v1/auth/token/", {"username": "cmo", "password": password})
        assert response.status_code == 429
        assert response["Retry-After"] == "450"
        assert "7 minutes" in response.json()["detail"]
    assert not Token.objects.exists()


# --- demo accounts -----------------------------------------------------------------------


@pytest.fixture
def demo_analyst():
    user = UserFactory(username="analyst", role="analyst", is_demo=True)
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


@override_settings(DEBUG=False)
def test_a_demo_accounts_token_is_refused_with_debug_off(demo_analyst):
    token = Token.objects.create(user=demo_analyst)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.get("/api/v1/experiments/")
    # 401 with a challenge: the first authentication class (token) sends WWW-Authenticate.
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "Demo accounts are refused" in response.json()["detail"]


@override_settings(DEBUG=False)
def test_a_demo_accounts_session_is_refused_with_debug_off(client, demo_analyst):
    client.force_login(demo_analyst)
    assert client.get(reverse("programme:home")).status_code == 302
    assert client.get("/api/v1/experiments/").status_code == 401


@override_settings(DEBUG=False)
def test_a_demo_account_cannot_sign_in_even_with_a_changed_password(client, demo_analyst):
    demo_analyst.set_password(PASSWORD)
    demo_analyst.save()
    response = client.post(reverse("login"), {"username": "analyst", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@override_settings(DEBUG=True)
def test_demo_accounts_work_with_debug_on(client, demo_analyst):
    token = Token.objects.create(user=demo_analyst)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/experiments/").status_code == 200
    response = client.post(reverse("login"), {"username": "analyst", "password": DEMO_PASSWORD})
    assert response.status_code == 302


# --- the API answers only to a role that may read ----------------------------------------


@pytest.fixture
def roleless(db):
    return UserFactory(username="no-role", role="")


@pytest.mark.parametrize("url", ["/api/v1/", "/api/docs/"])
def test_a_signed_in_user_without_a_role_is_refused(client, roleless, url):
    client.force_login(roleless)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", ["/api/v1/", "/api/schema/", "/api/docs/"])
def test_a_reader_gets_the_api_root_schema_and_docs(client, marketer, url):
    client.force_login(marketer)
    assert client.get(url).status_code == 200


def test_options_on_the_docs_page_is_not_a_server_error(client, marketer):
    client.force_login(marketer)
    response = client.options("/api/docs/")
    assert response.status_code == 200
    assert "GET" in response["Allow"]


def test_every_api_view_names_its_ability():
    from django.urls import get_resolver
    from rest_framework.views import APIView

    def walk(patterns):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                yield from walk(p.url_patterns)
            else:
                yield p

    missing = []
    for pattern in walk(get_resolver().url_patterns):
        view = getattr(pattern.callback, "cls", None)
        if view is None or not issubclass(view, APIView):
            continue
        # Open to everyone: how one signs in, and the schema a client is generated from.
        if view.__name__ in ("TokenViewSet", "SchemaView"):
            continue
        named = getattr(view, "required_ability", None) or getattr(view, "required_abilities", None)
        if not named:
            missing.append(f"{pattern.pattern} ({view.__name__})")
    assert not missing, missing


# --- Content-Security-Policy -------------------------------------------------------------


def test_pages_carry_a_content_security_policy(client, marketer):
    responses = {reverse("login"): client.get(reverse("login"))}
    client.force_login(marketer)
    for url in [reverse("programme:home"), "/api/docs/"]:
        responses[url] = client.get(url)
    for url, response in responses.items():
        assert response.status_code == 200
        policy = response.get("Content-Security-Policy", "")
        assert "default-src 'self'" in policy, url
        # Images may be data: URLs (Bootstrap's icons); nothing else may.
        assert "img-src 'self' data:" in policy, url
        assert policy.count("data:") == 1, url
        assert "unsafe-inline" not in policy.split("script-src")[-1].split(";")[0], url
