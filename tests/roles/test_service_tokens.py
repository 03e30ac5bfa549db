"""Service tokens: hashed at rest, the secret shown once, expiry, revoking, last use, the
``Bearer`` header, and a throttle counted per token."""

import datetime as dt
import hashlib
import os
import uuid

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from growthops.errors import NotPermitted, ValidationFailed
from growthops.throttling import UserThrottle
from roles.models import ServiceToken
from roles.services import service_token_create, service_token_revoke

pytestmark = pytest.mark.django_db


def bearer(secret):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return api


def test_it_stores_only_the_prefix_and_the_sha256_of_the_secret(analyst):
    token, secret = service_token_create(actor=analyst, name="Nightly", scopes=["read"], days=30)
    token.refresh_from_db()

    assert secret.startswith(f"go_{token.prefix}_") and len(secret) > 40
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(v) for v in ServiceToken.objects.values_list(flat=False).get()]
    assert not any(secret in value or secret.split("_", 2)[2] in value for value in stored)
    assert token.scopes == ["read"] and token.name == "Nightly"
    assert token.expires_at - timezone.now() > dt.timedelta(days=29, hours=23)
    assert token.last_used_at is None and token.revoked_at is None


def test_it_refuses_an_empty_name_no_scope_an_unknown_scope_and_a_bad_lifetime(analyst):
    with pytest.raises(ValidationFailed) as failure:
        service_token_create(actor=analyst, name=" ", scopes=["write"], days=0)
    assert set(failure.value.errors) == {"name", "scopes", "days"}
    assert failure.value.errors["scopes"] == ["Unknown scope(s): write."]
    with pytest.raises(ValidationFailed):
        service_token_create(actor=analyst, name="x", scopes=[], days=400)
    assert not ServiceToken.objects.exists()


def test_the_api_shows_the_secret_once_and_lists_only_ones_own(analyst, cmo):
    own = APIClient()
    own.force_authenticate(analyst)
    service_token_create(actor=cmo, name="CMO's", scopes=["read"], days=5)

    created = own.post(
        "/api/v1/tokens/",
        {"name": "Upload", "scopes": ["upload", "read"], "days": 7},
        format="json",
    )
    listed = own.get("/api/v1/tokens/")

    assert created.status_code == 201, created.content
    body = created.json()
    token = ServiceToken.objects.get(user=analyst)
    assert body["id"] == token.pk and body["scopes"] == ["read", "upload"]
    assert body["secret"].startswith(f"go_{token.prefix}_")
    assert token.digest == hashlib.sha256(body["secret"].encode()).hexdigest()
    assert listed.status_code == 200
    assert [row["name"] for row in listed.json()["results"]] == ["Upload"]
    assert "secret" not in listed.json()["results"][0]
    assert bearer(body["secret"]).get("/api/v1/auth/me/").json()["username"] == "analyst"


def test_the_api_refuses_a_bad_body_and_writes_nothing(analyst):
    api = APIClient()
    api.force_authenticate(analyst)
    for body in (
        {"name": "x", "scopes": ["everything"]},
        {"name": "x", "scopes": []},
        {"name": "", "scopes": ["read"]},
        {"name": "x", "scopes": ["read"], "days": 367},
    ):
        response = api.post("/api/v1/tokens/", body, format="json")
        assert response.status_code == 400, body
    assert not ServiceToken.objects.exists()


def test_bearer_works_beside_token(analyst):
    _, secret = service_token_create(actor=analyst, name="n", scopes=["read"], days=1)
    key = Token.objects.create(user=analyst).key
    personal = APIClient()
    personal.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert bearer(secret).get("/api/v1/auth/me/").json()["username"] == "analyst"
    assert personal.get("/api/v1/auth/me/").json()["username"] == "analyst"


def test_a_personal_token_sent_as_bearer_works_too(analyst):
    key = Token.objects.create(user=analyst).key
    response = bearer(key).get("/api/v1/auth/me/")
    assert response.status_code == 200 and response.json()["username"] == "analyst"


@pytest.mark.parametrize(
    "header",
    ["Bearer go_nope_abc", "Bearer not-a-token", "Bearer", "Bearer a b", "Bearer go_"],
)
def test_an_unknown_or_malformed_bearer_is_a_401(analyst, header):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get("/api/v1/auth/me/")
    assert response.status_code == 401
    assert response.json()["detail"]


def test_a_wrong_secret_with_a_real_prefix_is_a_401(analyst):
    token, secret = service_token_create(actor=analyst, name="n", scopes=["read"], days=1)
    response = bearer(secret[:-2] + "xx").get("/api/v1/auth/me/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_an_expired_token_is_a_401_saying_so(analyst):
    token, secret = service_token_create(actor=analyst, name="n", scopes=["read"], days=1)
    ServiceToken.objects.filter(pk=token.pk).update(
        expires_at=dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC)
    )
    response = bearer(secret).get("/api/v1/auth/me/")
    assert response.status_code == 401
    assert response.json()["detail"] == "This token expired on 2026-01-02 03:04 UTC."
    assert response["WWW-Authenticate"] == "Token"


def test_a_revoked_token_is_a_401_saying_so_and_revoking_twice_is_a_no_op(analyst):
    token, secret = service_token_create(actor=analyst, name="n", scopes=["read"], days=1)
    api = APIClient()
    api.force_authenticate(analyst)

    first = api.delete(f"/api/v1/tokens/{token.pk}/")
    token.refresh_from_db()
    revoked_at = token.revoked_at
    again = api.delete(f"/api/v1/tokens/{token.pk}/")
    token.refresh_from_db()
    response = bearer(secret).get("/api/v1/auth/me/")

    assert first.status_code == 204 and again.status_code == 204
    assert revoked_at is not None and token.revoked_at == revoked_at
    assert response.status_code == 401
    assert response.json()["detail"].startswith("This token was revoked on ")


def test_no_one_revokes_anothers_token(analyst, cmo):
    token, secret = service_token_create(actor=cmo, name="n", scopes=["read"], days=1)
    api = APIClient()
    api.force_authenticate(analyst)

    assert api.delete(f"/api/v1/tokens/{token.pk}/").status_code == 404
    with pytest.raises(ServiceToken.DoesNotExist):
        service_token_revoke(actor=analyst, token_id=token.pk)
    token.refresh_from_db()
    assert token.revoked_at is None
    assert bearer(secret).get("/api/v1/auth/me/").status_code == 200


def test_a_service_token_may_not_manage_tokens(analyst):
    token, secret = service_token_create(
        actor=analyst, name="n", scopes=["read", "upload", "steps", "admin"], days=1
    )
    api = bearer(secret)

    listed = api.get("/api/v1/tokens/")
    created = api.post("/api/v1/tokens/", {"name": "more", "scopes": ["admin"]}, format="json")
    revoked = api.delete(f"/api/v1/tokens/{token.pk}/")

    assert [listed.status_code, created.status_code, revoked.status_code] == [403, 403, 403]
    assert "service token may not" in created.json()["detail"]
    assert ServiceToken.objects.get().revoked_at is None


def test_last_used_is_written_on_use_at_most_once_a_minute(analyst, django_assert_num_queries):
    token, secret = service_token_create(actor=analyst, name="n", scopes=["read"], days=1)
    api = bearer(secret)

    api.get("/api/v1/auth/me/")
    token.refresh_from_db()
    first = token.last_used_at
    api.get("/api/v1/auth/me/")
    token.refresh_from_db()

    assert first is not None and timezone.now() - first < dt.timedelta(seconds=30)
    assert token.last_used_at == first  # the second request, within a minute, writes nothing
    ServiceToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(minutes=5))
    api.get("/api/v1/auth/me/")
    token.refresh_from_db()
    assert token.last_used_at > first


def test_the_role_check_still_applies_to_a_token_with_every_scope(marketer):
    _, secret = service_token_create(
        actor=marketer, name="n", scopes=["read", "upload", "steps", "admin"], days=1
    )
    response = bearer(secret).get("/api/v1/webhooks/")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only CMO may register webhooks and see their deliveries."


def test_webhooks_need_the_admin_scope_even_to_read(cmo):
    _, reader = service_token_create(actor=cmo, name="r", scopes=["read", "steps"], days=1)
    _, admin = service_token_create(actor=cmo, name="a", scopes=["admin"], days=1)

    refused = bearer(reader).get("/api/v1/webhooks/")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "This token lacks the 'admin' scope."
    assert bearer(admin).get("/api/v1/webhooks/").status_code == 200


def test_the_throttle_counts_per_token_not_per_person(analyst, settings):
    settings.API_THROTTLE_RATES = {"user": "2/minute", "anon": "100/minute"}
    cache.clear()
    try:
        first, one = service_token_create(actor=analyst, name="1", scopes=["read"], days=1)
        _, two = service_token_create(actor=analyst, name="2", scopes=["read"], days=1)
        a, b = bearer(one), bearer(two)

        statuses = [a.get("/api/v1/auth/me/").status_code for _ in range(3)]
        other = b.get("/api/v1/auth/me/").status_code

        assert statuses == [200, 200, 429]
        assert other == 200  # another token of the same person has its own allowance
        assert cache.get(f"throttle_user_token-{first.pk}") is not None
        assert cache.get(f"throttle_user_{analyst.pk}") is None
    finally:
        cache.clear()


def test_the_throttle_key_names_the_token_or_else_the_user(analyst, rf):
    token, _ = service_token_create(actor=analyst, name="1", scopes=["read"], days=1)
    request = rf.get("/")
    request.user, request.auth = analyst, token
    assert UserThrottle().get_cache_key(request, None) == f"throttle_user_token-{token.pk}"
    request.auth = None
    assert UserThrottle().get_cache_key(request, None) == f"throttle_user_{analyst.pk}"


def test_a_role_without_the_ability_cannot_create_one(db):
    from tests.factories import UserFactory

    no_role = UserFactory(username="admin-only", role="")
    with pytest.raises(NotPermitted):
        service_token_create(actor=no_role, name="n", scopes=["read"], days=1)


# The profile page.


def test_the_page_creates_a_token_and_shows_the_secret_once(client, analyst):
    client.force_login(analyst)
    response = client.post(
        reverse("roles:service-token-create"),
        {"name": "Warehouse", "scopes": ["read", "upload"], "days": "30"},
    )
    token = ServiceToken.objects.get(user=analyst)
    page = response.content.decode()
    secret = page.split('id="new-service-secret">')[1].split("<")[0]

    assert response.status_code == 200
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert token.scopes == ["read", "upload"]
    later = client.get(reverse("roles:profile")).content.decode()
    assert secret not in later and "Warehouse" in later and f"go_{token.prefix}_" in later


def test_the_page_keeps_what_was_typed_when_the_form_is_wrong(client, analyst):
    client.force_login(analyst)
    response = client.post(reverse("roles:service-token-create"), {"name": "Kept", "days": "9"})
    assert response.status_code == 400
    assert 'value="Kept"' in response.content.decode()
    assert not ServiceToken.objects.exists()


def test_the_page_revokes_ones_own_token_only(client, analyst, cmo):
    own, _ = service_token_create(actor=analyst, name="Mine", scopes=["read"], days=1)
    theirs, _ = service_token_create(actor=cmo, name="Theirs", scopes=["read"], days=1)
    client.force_login(analyst)

    refused = client.post(reverse("roles:service-token-revoke", args=[theirs.pk]))
    done = client.post(reverse("roles:service-token-revoke", args=[own.pk]))
    own.refresh_from_db()
    theirs.refresh_from_db()

    assert refused.status_code == 404 and done.status_code == 302
    assert own.revoked_at is not None and theirs.revoked_at is None
    assert "<td>Mine</td>" not in client.get(reverse("roles:profile")).content.decode()


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (set REDIS_URL)")
def test_on_redis_the_count_per_token_outlives_the_process_cache(analyst, settings):
    """Counted in Redis, not in the process: the count sits in Redis under the token's key,
    where every web process reads it."""
    import redis
    from django.core.cache import caches

    prefix = f"tokens-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": prefix,
        }
    }
    settings.API_THROTTLE_RATES = {"user": "2/minute", "anon": "100/minute"}
    token, secret = service_token_create(actor=analyst, name="1", scopes=["read"], days=1)
    try:
        first = [bearer(secret).get("/api/v1/auth/me/").status_code for _ in range(2)]
        third = bearer(secret).get("/api/v1/auth/me/")
        stored = redis.Redis.from_url(os.environ["REDIS_URL"]).keys(f"{prefix}:*")

        assert first == [200, 200]
        assert third.status_code == 429
        assert stored == [f"{prefix}:1:throttle_user_token-{token.pk}".encode()]
    finally:
        caches["default"].clear()


def test_the_admin_lists_and_revokes_tokens_without_showing_the_hash(
    client, superuser_cmo, analyst
):
    token, secret = service_token_create(actor=analyst, name="Warehouse", scopes=["read"], days=1)
    client.force_login(superuser_cmo)
    url = reverse("admin:roles_servicetoken_changelist")

    page = client.get(url)
    detail = client.get(reverse("admin:roles_servicetoken_change", args=[token.pk]))
    revoked = client.post(url, {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()

    assert page.status_code == 200 and "Warehouse" in page.content.decode()
    assert detail.status_code == 200 and token.digest not in detail.content.decode()
    assert revoked.status_code == 302 and token.revoked_at is not None
    assert bearer(secret).get("/api/v1/auth/me/").status_code == 401
