"""The permission table's routes, asked with service tokens: a token never does more than its
scopes and its owner's role allow.

For every route and method of :data:`tests.api.permission_table.TABLE` (the sign-in
aside), asked as ``Authorization: Bearer <secret>`` by the first role the table lets through:

- a ``read``-only token gets the table's status on reads and a 403 naming the missing scope on
  every write (the analysis, which writes nothing, aside), and the write changes nothing;
- a token holding only the scope the write needs gets the table's status;
- a token holding every scope but that one is refused with a 403 naming it;
- a token holding every scope, of a role the table refuses, is still refused (403);
- a token without ``read`` is refused every read;
- every webhook route (the webhooks' own role table) needs ``admin``, reads included;
- a method a route does not take is its 405 whatever the token holds: there is nothing to
  guard (the scope cases below are the methods the routes take).
"""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from roles.models import Scope, ServiceToken
from roles.services import service_token_create
from tests.api.permission_table import TABLE, WITH_A_ROLE
from tests.api.permission_world import build_world, snapshot
from tests.conftest import built_once
from tests.helpers import world_copy
from tests.webhooks.helpers import endpoint
from tests.webhooks.test_api import PUBLIC
from tests.webhooks.test_api import ROUTES as WEBHOOK_ROUTES
from webhooks.models import WebhookEndpoint

ALL_SCOPES = list(Scope.values)
# The sign-in route and the public schema take no token.
ROWS = [row for row in TABLE if not row[1].startswith(("/api/v1/auth/token/", "/api/schema/"))]
UPLOADS = ("/observations/", "/events/", "/measurements/", "/data/", "/analyse/", "/economics/")


def scope_of(method: str, url: str) -> str | None:
    """The scope each route needs, stated independently of roles.tokens (None: no token may)."""
    if url.startswith("/api/v1/tokens/"):
        return None
    if method == "GET" or url == "/api/v1/analyse/":  # the stateless engine writes nothing
        return "read"
    if method == "POST" and url.split("?")[0].endswith(UPLOADS):
        return "upload"
    return "steps"


def first_allowed(expected) -> str:
    return next(role for role in WITH_A_ROLE if expected[role] not in (401, 403))


def first_refused(expected) -> str | None:
    return next((role for role in WITH_A_ROLE if expected[role] == 403), None)


def _case(method, url, body, expected):
    return pytest.param(method, url, body, expected, id=f"{method} {url}")


def taken(row) -> bool:
    return row[3][first_allowed(row[3])] != 405


CASES = [_case(*row) for row in ROWS]
# Writes a token may make at all (no service token manages tokens: the read-only case covers
# those), and routes some role is refused (where a token's scopes could widen a role).
WRITES = [
    _case(*row) for row in ROWS if row[0] != "GET" and scope_of(row[0], row[1]) and taken(row)
]
REFUSED = [
    _case(*row) for row in ROWS if first_refused(row[3]) and scope_of(row[0], row[1]) is not None
]


@pytest.fixture(scope="module")
def built_world(django_db_setup, django_db_blocker):
    yield from built_once(django_db_blocker, build_world)


@pytest.fixture
def world(built_world):
    return world_copy(built_world)


def ask(world, role, scopes, method, url, body):
    user = world["users"][role]
    token, secret = service_token_create(actor=user, name="Program", scopes=scopes, days=1)
    # Used a moment ago: the request itself then writes nothing to the token's row.
    ServiceToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    path = url.format(**{k: getattr(v, "pk", v) for k, v in world.items() if k != "users"})
    data = body(world) if callable(body) else body
    before = snapshot()
    response = getattr(api, method.lower())(path, data, format="json")
    return response, before


def refused_for_scope(response, scope):
    assert response.status_code == 403, (response.status_code, response.content[:300])
    if scope is None:
        assert "service token may not" in response.data["detail"]
    else:
        assert response.data["detail"] == f"This token lacks the '{scope}' scope."


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url", "body", "expected"), CASES)
def test_a_read_only_token_reads_and_is_refused_every_write(world, method, url, body, expected):
    role = first_allowed(expected)
    scope = scope_of(method, url)

    response, before = ask(world, role, ["read"], method, url, body)

    if scope == "read" or expected[role] == 405:
        assert response.status_code == expected[role], response.content[:300]
    else:
        refused_for_scope(response, scope)
        assert snapshot() == before, "a refused write changed something"


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url", "body", "expected"), WRITES)
def test_the_scope_a_write_needs_is_enough_and_needed(world, method, url, body, expected):
    role = first_allowed(expected)
    scope = scope_of(method, url)

    lacking, before = ask(world, role, [s for s in ALL_SCOPES if s != scope], method, url, body)
    refused_for_scope(lacking, scope)
    assert snapshot() == before
    enough, _ = ask(world, role, [scope], method, url, body)
    assert enough.status_code == expected[role], enough.content[:300]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url", "body", "expected"), REFUSED)
def test_every_scope_never_widens_the_role(world, method, url, body, expected):
    role = first_refused(expected)

    response, before = ask(world, role, ALL_SCOPES, method, url, body)

    assert response.status_code == 403, response.content[:300]
    assert "scope" not in response.data["detail"]
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "url", "body", "expected"),
    [c for c in CASES if c.values[0] == "GET" and taken(c.values)],
)
def test_a_token_without_read_reads_nothing(world, method, url, body, expected):
    role = first_allowed(expected)
    response, _ = ask(world, role, ["upload", "steps"], method, url, body)
    refused_for_scope(response, scope_of(method, url))


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "body"), WEBHOOK_ROUTES)
def test_every_webhook_route_needs_the_admin_scope(method, path, body, cmo, monkeypatch):
    monkeypatch.setattr("webhooks.services.deliveries_queue", lambda ids: None)
    monkeypatch.setattr("webhooks.safety.resolve", lambda host, port: ["93.184.215.14"])
    existing = endpoint(PUBLIC, cmo)
    _, without = service_token_create(
        actor=cmo, name="w", scopes=["read", "upload", "steps"], days=1
    )
    _, admin = service_token_create(actor=cmo, name="a", scopes=["admin"], days=1)

    def call(secret):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return getattr(api, method)(path.format(id=existing.pk), body, format="json")

    refused = call(without)
    existing.refresh_from_db()
    assert refused.status_code == 403
    assert refused.data["detail"] == "This token lacks the 'admin' scope."
    assert list(WebhookEndpoint.objects.all()) == [existing] and existing.active
    assert existing.secret == "s3cret-for-tests"
    assert call(admin).status_code in (200, 201, 202, 204)
