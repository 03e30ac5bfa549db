"""Schemathesis against the served OpenAPI schema, in-process over WSGI, on the demo data.

Every operation of ``/api/schema/`` gets a few generated requests (``SCHEMA_FUZZ_EXAMPLES``, 3
by default; docs/testing.md says how to run it longer), sent as each role: the CMO, an operator,
a marketer and an analyst. It has no database marker: ``make test`` runs it on SQLite and CI on
PostgreSQL. Path ids point at real rows most of the time, so the requests reach the views, not
only the 404.
A response passes when it is not a 5xx, its status is one the schema documents, and its body
matches the schema for that status.

Below it, bad input that a schema cannot rule out (a malformed CSV, negative counts, more
conversions than users, an unknown variant, forbidden or refused actions) is sent on purpose:
each must be a documented 4xx in the one error shape, and must write nothing.
"""

import copy
import functools
import os
import random
import traceback

import pytest
import schemathesis
from django.core.signals import got_request_exception
from django.core.wsgi import get_wsgi_application
from django.dispatch import receiver
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from analytics.models import Notification
from experiments.models import Comment, Experiment, Hypothesis, Metric, Objective, Segment
from roles.models import OperatorProfile, Team, User
from tests.analytics.helpers import running_experiment
from tests.api.problems import problem_errors
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "3"))
# Every role: each sees other rows, other fields and other refusals.
ROLES = ["cmo", "operator", "marketer", "analyst"]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# The real rows a ``{id}`` of each collection may name.
ROWS_BY_COLLECTION = {
    "objectives": Objective,
    "segments": Segment,
    "teams": Team,
    "operators": OperatorProfile,
    "metrics": Metric,
    "hypotheses": Hypothesis,
    "experiments": Experiment,
    "notifications": Notification,
    "ledger": Objective,
    "webhooks": WebhookEndpoint,
    "comments": Comment,
}


@pytest.fixture(autouse=True)
def _real_wsgi_handler(keep_the_test_connection):
    """Requests go through the real WSGI handler."""


def _real_ids(path: str) -> list[int]:
    collection = path.removeprefix("/api/v1/").split("/")[0]
    model = ROWS_BY_COLLECTION.get(collection)
    return list(model.objects.values_list("pk", flat=True)[:50]) if model else []


crashes: list[str] = []


@receiver(got_request_exception)
def _remember_crash(sender, request=None, **kwargs):
    crashes.append(traceback.format_exc(limit=-4))


def _fuzz(operation, headers) -> list[str]:
    """Send the operation's examples; the failures as readable lines."""
    ids = _real_ids(operation.path)
    failures: list[str] = []
    for case, pick, generated in _examples(operation):
        for name, value in generated.items():  # as generated, whoever sent it before
            setattr(case, name, _copied(value))
        if ids and "id" in (case.path_parameters or {}) and pick < 8:
            case.path_parameters["id"] = random.Random(pick).choice(ids)
        crashes.clear()
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                failures.append(
                    f"{case.method} {operation.path} → {response.status_code}: {failure.title}\n"
                    f"    {str(getattr(failure, 'message', ''))[:400]}\n"
                    f"    {case.formatted_path} {case.query or ''} {str(case.body)[:200]}\n"
                    f"    {response.text[:300]}" + (f"\n    {crashes[-1]}" if crashes else "")
                )
    return failures


_drawn_by_operation: dict[str, list] = {}


def _examples(operation) -> list[tuple]:
    """The operation's generated requests, each with a number that picks a real id for its
    path, drawn once per process: the seed is fixed, so they depend on the schema alone and
    every role sends the same ones (drawing them again for each role was two fifths of this
    test's time)."""
    if operation.label not in _drawn_by_operation:
        drawn: list[tuple] = []

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(), pick=st.integers(0, 9))
        def draw(case, pick):
            drawn.append(_as_drawn(case, pick))

        draw()
        _drawn_by_operation[operation.label] = drawn
    return _drawn_by_operation[operation.label]


# What a case sends, and what sending it may change (its path id, in place).
SENT = ("path_parameters", "headers", "cookies", "query", "body")


def _as_drawn(case, pick):
    """The case and its pick, with a copy of what it sends as generated."""
    return case, pick, {name: _copied(getattr(case, name)) for name in SENT}


def _copied(value):
    # Schemathesis tells an absent body by identity: NOT_SET stays itself.
    return copy.deepcopy(value, {id(NOT_SET): NOT_SET})


@functools.cache
def _served_schema():
    """The served schema, read once per process: it is public and the same for every role
    (reading and parsing it took about a second for each role)."""
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


def _signed_in(user) -> tuple[object, dict]:
    """The served schema, and the headers that carry the user's token on every request."""
    token, _ = Token.objects.get_or_create(user=user)
    return _served_schema(), {"Authorization": f"Token {token.key}"}


class TestOnTheDemoData:
    """Every role fuzzes the same demo, seeded once for the class (each test's writes are rolled
    back, and the whole after the last test)."""

    @pytest.fixture
    def demo(self, demo_for_class, settings):
        settings.DEBUG = True  # the demo accounts sign in only in debug mode
        return {name: User.objects.get(username=name) for name in ROLES}

    @pytest.mark.parametrize("role", ROLES)
    def test_every_operation_answers_within_its_schema(self, demo, role):
        schema, headers = _signed_in(demo[role])
        failures = []
        operations = 0
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1
            failures.extend(_fuzz(operation, headers))
        assert operations > 40
        distinct = list(dict.fromkeys(failures))
        assert not distinct, f"{len(distinct)} failures:\n" + "\n".join(distinct[:60])


# --- bad input the schema cannot rule out: each a documented 4xx, nothing written ------------


@pytest.fixture
def world(cmo, operator, analyst):
    """A running experiment (variants ``control`` and ``b``), its owner, the CMO, an analyst."""
    experiment = running_experiment(operator)
    return {"cmo": cmo, "analyst": analyst, "experiment": experiment}


def _running(world):
    return world["experiment"], "control", "b"


def _row(experiment, variant, **changes):
    row = {
        "date": experiment.start_date.isoformat(),
        "variant": variant,
        "metric": experiment.primary_metric.key,
        "users": 100,
        "conversions": 10,
    }
    return {**row, **changes}


def _csv(text):
    return {"body": text, "media_type": "text/csv"}


def _rows(*rows):
    return {"body": list(rows), "media_type": "application/json"}


OBSERVATIONS = ("/api/v1/experiments/{id}/observations/", "POST")
BAD_UPLOADS = [
    # (name, request, status, the field the errors name)
    ("malformed csv", lambda e, c, t: _csv('date,variant\n"2026-11-02,control\n'), 400, "csv"),
    (
        "csv with only a header",
        lambda e, c, t: _csv("date,variant,metric,users,conversions,sum,sum_squares\n"),
        400,
        "csv",
    ),
    ("negative users", lambda e, c, t: _rows(_row(e, c, users=-5)), 400, "row 1"),
    (
        "conversions above users",
        lambda e, c, t: _rows(_row(e, c), _row(e, t, users=10, conversions=11)),
        400,
        "row 2",
    ),
    ("unknown variant", lambda e, c, t: _rows(_row(e, "nobody")), 400, "row 1"),
]


def _call(schema, path, method, headers, **request):
    operation = schema[path][method]
    case = operation.Case(**request)
    response = case.call(headers=headers)
    # The status is one the schema documents for this operation and the body matches it.
    case.validate_response(response, checks=CHECKS, headers=headers)
    return response


@pytest.mark.parametrize(("name", "request_for", "code", "field"), BAD_UPLOADS)
def test_a_bad_upload_is_a_documented_400_naming_the_problem(world, name, request_for, code, field):
    from analytics.models import Observation

    schema, headers = _signed_in(world["analyst"])
    experiment, control, treatment = _running(world)
    before = Observation.objects.filter(experiment=experiment).count()

    response = _call(
        schema,
        *OBSERVATIONS,
        headers,
        path_parameters={"id": experiment.pk},
        **request_for(experiment, control, treatment),
    )

    assert response.status_code == code, response.content
    errors = problem_errors(response)
    assert field in errors and errors[field], errors
    assert response.json()["detail"]
    assert Observation.objects.filter(experiment=experiment).count() == before


MEASUREMENTS = ("/api/v1/objectives/{id}/measurements/", "POST")
BAD_MEASUREMENTS = [
    # (name, request, the field the errors name)
    # An unclosed quote swallows the rest of the file into one cell: the row names it.
    ("unclosed quote", _csv('date,value\n"2026-11-02,5\n'), "row 1"),
    ("csv with only a header", _csv("date,value\n"), "csv"),
    ("wrong header", _csv("day,value\n2026-11-02,5\n"), "csv"),
    ("bad date", _csv("date,value\n2026-11-02,5\n2026-02-30,5\n"), "row 2"),
    ("not a number", _rows({"date": "2026-11-02", "value": "5 EUR"}), "row 1"),
    ("duplicate dates", _rows(*[{"date": "2026-11-02", "value": 5}] * 2), "row 2"),
    ("empty batch", _rows(), "rows"),
]


@pytest.mark.parametrize(("name", "request_for", "field"), BAD_MEASUREMENTS)
def test_a_bad_measurement_upload_is_a_documented_400(world, name, request_for, field):
    from programme.models import ObjectiveMeasurement
    from tests.factories import ObjectiveFactory

    schema, headers = _signed_in(world["analyst"])
    objective = ObjectiveFactory(owner=world["cmo"])

    response = _call(
        schema, *MEASUREMENTS, headers, path_parameters={"id": objective.pk}, **request_for
    )

    assert response.status_code == 400, response.content
    errors = problem_errors(response)
    assert field in errors and errors[field], errors
    assert not ObjectiveMeasurement.objects.exists()


def test_an_unknown_variant_in_events_is_a_documented_400(world):
    from analytics.models import Event

    schema, headers = _signed_in(world["analyst"])
    experiment, _, _ = _running(world)
    event = {
        "experiment": experiment.key,
        "variant": "nobody",
        "user_id": "u1",
        "kind": "exposure",
        "timestamp": f"{experiment.start_date.isoformat()}T10:00:00Z",
    }
    response = _call(
        schema, "/api/v1/events/", "POST", headers, body=[event], media_type="application/json"
    )
    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(0, "variant")]
    assert not Event.objects.exists()


def test_an_impossible_analysis_is_a_documented_400(world):
    schema, headers = _signed_in(world["analyst"])
    body = {
        "metric_type": "binomial",
        "variants": [
            {"name": "control", "users": 10, "conversions": 11},
            {"name": "b", "users": -1, "conversions": 0},
        ],
    }
    response = _call(
        schema, "/api/v1/analyse/", "POST", headers, body=body, media_type="application/json"
    )
    assert response.status_code == 400
    assert problem_errors(response)


FORBIDDEN = [
    # (who, path, method, request for the running experiment, status)
    ("analyst", "/api/v1/experiments/{id}/steps/{step}/", "POST", "kill", 403),
    ("cmo", "/api/v1/experiments/{id}/steps/{step}/", "POST", "pause", 403),
    ("cmo", *OBSERVATIONS, "rows", 403),
    ("analyst", "/api/v1/experiments/", "POST", "create", 403),
    ("cmo", "/api/v1/experiments/{id}/steps/{step}/", "POST", "approve", 409),
]


@pytest.mark.parametrize(("who", "path", "method", "what", "code"), FORBIDDEN)
def test_a_forbidden_or_refused_action_is_documented_and_changes_nothing(
    world, who, path, method, what, code
):
    from experiments.models import StatusChange

    schema, headers = _signed_in(world[who])
    experiment, control, _ = _running(world)
    request = {"path_parameters": {"id": experiment.pk}, "media_type": "application/json"}
    if "steps" in path:
        request["path_parameters"]["step"] = what
        request["body"] = {
            "expected_status": "running" if what != "approve" else "in_review",
            "reason": "other",
            "note": "Stop",
        }
    elif what == "rows":
        request["body"] = [_row(experiment, control)]
    else:
        request = {"body": {"hypothesis": experiment.hypothesis_id, "name": "X", "key": "x-1"}}
        request["media_type"] = "application/json"
    changes = StatusChange.objects.count()
    experiments = Experiment.objects.count()

    response = _call(schema, path, method, headers, **request)

    assert response.status_code == code, response.content
    assert response.json()["detail"]
    experiment.refresh_from_db()
    assert experiment.status == "running"
    assert StatusChange.objects.count() == changes
    assert Experiment.objects.count() == experiments
