"""The schema's refusals are the ones the API answers: 405 for a method a path does not list,
415 on the operations that read a body, 503 on the writes (``growthops.schema``)."""

import pytest
from django.db import OperationalError

from tests.api.problems import problem
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


class _AnyParameter(dict):
    def __missing__(self, key):
        return {"step": "pause", "task_id": "00000000-0000-0000-0000-000000000000"}.get(key, "1")


@pytest.fixture
def schema(cmo):
    return client_for(cmo).get("/api/schema/?format=json").json()


def test_every_method_a_path_does_not_list_is_a_405_naming_those_it_does(cmo, schema):
    api, wrong = client_for(cmo), []

    for template, operations in schema["paths"].items():
        listed = {m for m in METHODS if m in operations}
        url = template.format_map(_AnyParameter())
        for method in sorted(set(METHODS) - listed):
            response = api.generic(method.upper(), url)
            allowed = {m.strip().lower() for m in response.get("Allow", "").split(",")}
            if response.status_code != 405 or allowed - {"head", "options"} != listed:
                wrong.append(f"{method} {template}: {response.status_code} {allowed}")
            else:
                assert problem(response)["type"] == "urn:growthops:problem:method-not-allowed"

    assert wrong == [], "\n".join(wrong)
    assert "MethodNotAllowed" in schema["components"]["responses"]


def test_415_is_documented_on_the_operations_that_read_a_body_and_503_on_the_writes(schema):
    for template, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            where = f"{method} {template}"
            assert ("415" in responses) == (method in {"post", "put", "patch"}), where
            assert ("503" in responses) == (method in {"post", "put", "patch", "delete"}), where
            assert "405" not in responses, where
            if "503" in responses:
                assert "Retry-After" in responses["503"]["headers"], where
                assert list(responses["503"]["content"]) == ["application/problem+json"]


def test_a_delete_answers_503_while_the_database_is_busy(cmo, monkeypatch):
    from roles import tokens_api
    from roles.models import ServiceToken

    def locked(**kwargs):
        raise OperationalError("database is locked")

    api = client_for(cmo)
    made = api.post("/api/v1/tokens/", {"name": "ci", "scopes": ["read"]})
    assert made.status_code == 201, made.content
    monkeypatch.setattr(tokens_api, "service_token_revoke", locked)

    response = api.delete(f"/api/v1/tokens/{made.json()['id']}/")

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert problem(response)["type"] == "urn:growthops:problem:busy"
    assert ServiceToken.objects.get().revoked_at is None
