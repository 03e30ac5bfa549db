"""Every write operation of the served schema refuses a lone surrogate, a NUL and deep nesting
with a 400, and writes nothing.

The operations are read from ``/api/schema/`` (every POST, PUT and PATCH); each has here a
valid request by a role allowed to make it, signed with that user's token (the permission
table's bodies, on its world, plus the webhooks' and a sign-in). Every value of that request
and every property the operation's schema documents is poisoned in turn: as JSON, as a form
where the operation takes forms, as NDJSON or CSV where it takes those; a key is poisoned, and
the body is nested 5,000 deep. After each request every table holds the rows it held; at the
end every project row is as it was, and the valid request itself then succeeds, so the
refusals came from the poison and not from the role, the body or the object.
"""

import copy
import json
from urllib.parse import urlencode

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import resolve
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.api.hostile import DEEPLY_NESTED, LONE_SURROGATE, NUL, json_text, table_counts
from tests.api.paths import AnyId
from tests.api.permission_table import TABLE, WITH_A_ROLE
from tests.api.permission_world import build_world, snapshot
from tests.api.problems import problem
from tests.conftest import built_once
from tests.helpers import world_copy
from tests.webhooks.helpers import endpoint
from tests.webhooks.test_api import PUBLIC

pytestmark = pytest.mark.django_db

WRITES = ("POST", "PUT", "PATCH")
BAD_TEXT = {"lone surrogate": LONE_SURROGATE, "nul": NUL}
PLACEHOLDER = "deeply nested JSON goes here"


def _operation(url: str) -> str:
    return resolve(url.split("?")[0].format_map(AnyId())).url_name


def _valid_requests() -> dict[tuple[str, str], tuple[str, str, object, int]]:
    """(operation, method) → (role, url, body, status) for one request that succeeds: the
    permission table's first row that a role passes, and the writes it cannot make."""
    found = {}
    for method, url, body, expected in TABLE:
        role = next((r for r in WITH_A_ROLE if 200 <= expected[r] < 300), None)
        if method in WRITES and role is not None:
            found.setdefault((_operation(url), method), (role, url, body, expected[role]))
    webhook = {"url": PUBLIC, "events": ["srm.detected"]}
    for method, url, body, status in [
        ("POST", "/api/v1/webhooks/", webhook, 201),
        ("PUT", "/api/v1/webhooks/{webhook}/", webhook, 200),
        ("PATCH", "/api/v1/webhooks/{webhook}/", {"active": False}, 200),
        ("POST", "/api/v1/webhooks/{webhook}/test/", None, 202),
        ("POST", "/api/v1/webhooks/{webhook}/rotate-secret/", None, 200),
        ("POST", "/api/v1/auth/token/", {"username": "cmo", "password": "pw-for-tests-only"}, 200),
    ]:
        found[(_operation(url), method)] = ("cmo", url, body, status)
    return found


VALID = _valid_requests()


def _build():
    world = build_world()
    cmo = world["users"]["cmo"]
    world["webhook"] = endpoint(PUBLIC, cmo, events=["srm.detected"])
    world["tokens"] = {
        role: Token.objects.get_or_create(user=user)[0].key
        for role, user in world["users"].items()
        if user is not None
    }
    client = APIClient(HTTP_AUTHORIZATION=f"Token {world['tokens']['cmo']}")
    world["schema"] = client.get("/api/schema/?format=json").json()
    return world


@pytest.fixture(scope="module")
def built_world(django_db_setup, django_db_blocker):
    yield from built_once(django_db_blocker, _build)


@pytest.fixture
def world(built_world, monkeypatch):
    # A valid webhook request resolves its host and queues a delivery: neither leaves here.
    monkeypatch.setattr("webhooks.safety.resolve", lambda host, port: ["93.184.215.14"])
    monkeypatch.setattr("webhooks.services.deliveries_queue", lambda ids: None)
    # The schema is only read: copying its thousands of nested dicts was a fifth of the CPU.
    world = world_copy({key: value for key, value in built_world.items() if key != "schema"})
    return {**world, "schema": built_world["schema"]}


def _write_operations(schema) -> dict[tuple[str, str], dict]:
    return {
        (_operation(path), method.upper()): operation
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method.upper() in WRITES
    }


def test_every_write_operation_of_the_schema_has_a_valid_request_here(world):
    operations = _write_operations(world["schema"])

    assert len(operations) >= 25
    assert sorted(set(operations) - set(VALID)) == []


# --- the poisoned requests -----------------------------------------------------------------


def _leaves(body, path=()):
    """The path of every value that is not a container (an empty one counts as a value)."""
    items = body.items() if isinstance(body, dict) else enumerate(body)
    for key, value in items:
        if isinstance(value, dict | list) and value:
            yield from _leaves(value, (*path, key))
        else:
            yield (*path, key)


def _with(body, path, value):
    changed = copy.deepcopy(body)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


def _documented_properties(schema, operation) -> set[str]:
    """The properties of the operation's JSON body (of one item, for an array)."""
    content = operation.get("requestBody", {}).get("content", {})
    body = content.get("application/json", {}).get("schema", {})
    body = body.get("items", body)
    if "$ref" in body:
        body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    return set(body.get("properties", {}))


def _json_poisons(schema, operation, body):
    """(what, JSON text) for every value, documented property and key poisoned, and deep."""
    if body is None:  # an action that takes no body gets one anyway
        body = {"note": "x"}
    item = (0,) if isinstance(body, list) else ()
    for name, bad in BAD_TEXT.items():
        for path in _leaves(body):
            yield f"{name} in {path}", json_text(_with(body, path, bad))
        fields = copy.deepcopy(body[0]) if item else body
        for prop in sorted(_documented_properties(schema, operation) - set(fields)):
            yield f"{name} in {prop}", json_text(_with(body, (*item, prop), bad))
        yield f"{name} as a key", json_text(_with(body, (*item, bad), 1))
    yield "nested 5,000 deep", DEEPLY_NESTED
    first = next(_leaves(body))
    text = json_text(_with(body, first, PLACEHOLDER))
    yield f"nested 5,000 deep in {first}", text.replace(json_text(PLACEHOLDER), DEEPLY_NESTED)


def _form_poisons(operation, body):
    """A NUL in each field of a form (a form cannot carry a lone surrogate: it is U+FFFD)."""
    content = operation.get("requestBody", {}).get("content", {})
    if "application/x-www-form-urlencoded" not in content or not isinstance(body, dict):
        return
    for field in body:
        form = {k: "" if v is None else v for k, v in _with(body, (field,), NUL).items()}
        yield f"nul in form field {field}", urlencode(form, doseq=True)


def _text_poisons(world, url, body):
    """Events as NDJSON; observations, measured KPIs and holdout data as CSV: a bad value in
    each field or cell."""
    if url == "/api/v1/events/":
        for name, bad in BAD_TEXT.items():
            for field in body[0]:
                line = json_text(_with(body[0], (field,), bad))
                yield f"{name} in NDJSON {field}", line, "application/x-ndjson"
    csv_columns = {
        "/observations/": [
            "date",
            "variant",
            "metric",
            "users",
            "conversions",
            "sum",
            "sum_squares",
        ],
        "/measurements/": ["date", "value"],
        "/data/": ["date", "group", "users", "conversions"],
    }
    columns = next((c for end, c in csv_columns.items() if url.endswith(end)), None)
    if columns is not None:
        for row in body[:1]:
            cells = [str(row.get(column, "")) for column in columns]
            for i, column in enumerate(columns):
                bad = [*cells[:i], cells[i] + "\x00", *cells[i + 1 :]]
                text = ",".join(columns) + "\n" + ",".join(bad) + "\n"
                yield f"nul in CSV {column}", text, "text/csv"
            # UTF-8 has no lone surrogate; the bytes Python's "surrogatepass" would write.
            text = (",".join(columns) + "\n" + ",".join(cells) + "\n").encode()
            first = cells[1 if url.endswith("/observations/") else 0].encode()
            yield "surrogate bytes in CSV", text.replace(first, b"\xed\xa0\x80", 1), "text/csv"


def _requests(world, operation, url, body):
    schema = world["schema"]
    for what, text in _json_poisons(schema, operation, body):
        yield what, text, "application/json"
    for what, text in _form_poisons(operation, body):
        yield what, text, "application/x-www-form-urlencoded"
    if body is not None:
        yield from _text_poisons(world, url, body)


@pytest.mark.parametrize(("key", "request_"), VALID.items(), ids=[f"{m} {n}" for n, m in VALID])
def test_a_write_refuses_bad_text_and_deep_nesting_and_writes_nothing(world, key, request_):
    role, template, body, succeeds = request_
    operation = _write_operations(world["schema"])[key]
    method = key[1]
    url = template.format(**{k: getattr(v, "pk", v) for k, v in world.items() if k != "users"})
    body = body(world) if callable(body) else body
    client = APIClient()
    if template != "/api/v1/auth/token/":
        client.credentials(HTTP_AUTHORIZATION=f"Token {world['tokens'][role]}")
    counts, rows = table_counts(), snapshot()
    sent, wrong = 0, []

    for what, text, media_type in _requests(world, operation, template, body):
        response = client.generic(method, url, text, content_type=media_type)
        sent += 1
        if response.status_code != 400 or not response.json().get("detail"):
            wrong.append(f"{what}: {response.status_code} {response.content[:200]!r}")
        if table_counts() != counts:
            wrong.append(f"{what}: the row counts changed")
            counts = table_counts()

    assert sent >= 5
    assert wrong == []
    assert snapshot() == rows, "a refused request changed a row"
    valid = client.generic(method, url, json.dumps(body or {}), content_type="application/json")
    assert valid.status_code == succeeds, valid.content


# --- bodies of a media type the operation does not take -------------------------------------

FORM = "application/x-www-form-urlencoded"


def _as_form_fields(body) -> dict[str, str]:
    """The request's top-level fields as a form would carry them (one made up for an action
    that takes no body, or a JSON array)."""
    if not isinstance(body, dict) or not body:
        return {"note": "x"}
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}


@pytest.mark.parametrize(("key", "request_"), VALID.items(), ids=[f"{m} {n}" for n, m in VALID])
def test_a_write_refuses_a_form_or_multipart_body_with_a_415_and_writes_nothing(
    world, key, request_
):
    role, template, body, _ = request_
    operation = _write_operations(world["schema"])[key]
    url = template.format(**{k: getattr(v, "pk", v) for k, v in world.items() if k != "users"})
    fields = _as_form_fields(body(world) if callable(body) else body)
    client = APIClient()
    if template != "/api/v1/auth/token/":
        client.credentials(HTTP_AUTHORIZATION=f"Token {world['tokens'][role]}")
    counts, rows = table_counts(), snapshot()

    for media_type, text in [
        (FORM, urlencode(fields)),
        (MULTIPART_CONTENT, encode_multipart(BOUNDARY, fields)),
    ]:
        response = client.generic(key[1], url, text, content_type=media_type)

        assert response.status_code == 415, (media_type, response.content[:300])
        assert problem(response)["type"] == "urn:growthops:problem:unsupported-media-type"
        assert media_type.split(";")[0] in problem(response)["detail"]
        assert table_counts() == counts
    documented = operation["responses"]["415"]["content"]
    assert list(documented) == ["application/problem+json"]
    assert snapshot() == rows
