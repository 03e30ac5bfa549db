"""Every endpoint × method × role → the expected status; a refused write changes nothing.

Roles: the CMO, the operator who owns the experiments (``owner``), another operator, a
marketer, an analyst, and an anonymous caller. Each row names the status for the roles
allowed; every other role gets 403 (the capability table's reason) and anonymous gets 401.
"""

import pytest
from django.urls import resolve
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from analytics.models import Alert, Event, Notification, Observation, Result, SrmAcknowledgement
from experiments.models import (
    Comment,
    Experiment,
    ExperimentTemplate,
    Hypothesis,
    Metric,
    Objective,
    Segment,
    StatusChange,
    Variant,
)
from growthops.api_urls import router
from programme.models import PortfolioRollup
from roles.models import OperatorProfile, ServiceToken, Team, User
from tests.api.paths import AnyId
from tests.api.permission_table import ROLES, TABLE
from tests.api.permission_world import SNAPSHOT_MODELS, build_world, snapshot
from tests.conftest import built_once
from tests.helpers import world_copy
from webhooks.models import WebhookDelivery, WebhookEndpoint

CASES = [
    pytest.param(method, url, body, role, expected[role], id=f"{method} {url} {role}")
    for method, url, body, expected in TABLE
    for role in ROLES
]


@pytest.fixture(scope="module")
def built_world(django_db_setup, django_db_blocker):
    """The world is only read and written through the API, and each test's writes are rolled
    back: build it once for the module's tests."""
    yield from built_once(django_db_blocker, build_world)


@pytest.fixture
def world(built_world):
    return world_copy(built_world)


def test_the_snapshot_covers_the_models_a_write_could_change():
    covered = set(SNAPSHOT_MODELS)
    for model in (
        Objective, Segment, Hypothesis, Experiment, Variant, Comment, StatusChange, Observation,
        Event, Result, Notification, Alert, Token, Team, OperatorProfile, User, Metric,
        PortfolioRollup, SrmAcknowledgement, WebhookEndpoint, WebhookDelivery,
        Team.members.through, Experiment.secondary_metrics.through, ExperimentTemplate,
        ServiceToken,
    ):  # fmt: skip
        assert model in covered, model


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url", "body", "role", "expected"), CASES)
def test_every_endpoint_method_and_role(world, method, url, body, role, expected):
    api = APIClient()
    user = world["users"][role]
    if user is not None:
        api.force_authenticate(user)
    path = url.format(**{k: getattr(v, "pk", v) for k, v in world.items() if k != "users"})
    data = body(world) if callable(body) else body
    refused_write = method != "GET" and expected >= 400
    before = snapshot() if refused_write else None

    response = getattr(api, method.lower())(path, data, format="json")

    assert response.status_code == expected, (response.status_code, response.content[:300])
    if expected in (401, 403):
        assert response.data["detail"]
    if refused_write:
        assert snapshot() == before, "a refused write changed something"


def test_the_table_covers_every_route_and_method():
    from tests.webhooks.test_api import ROUTES as WEBHOOK_ROUTES  # the webhooks' own role table

    covered = set()
    for method, url, _, _ in TABLE:
        path = url.split("?")[0].format_map(AnyId())
        covered.add((resolve(path).url_name, method))
    for method, url, _ in WEBHOOK_ROUTES:
        covered.add((resolve(url.format_map(AnyId())).url_name, method.upper()))
    missing = []
    for prefix, viewset, basename in router.registry:
        for route in router.get_routes(viewset):
            for method, handler in route.mapping.items():
                if not hasattr(viewset, handler):
                    continue
                name = route.name.format(basename=basename)
                if (name, method.upper()) not in covered:
                    missing.append(f"{method.upper()} {prefix} ({name})")
    assert not missing, missing
