"""A partner's people never reach another partner's data: every endpoint of the router and
every page, walked with another agency's experiments in every status.

The permission table's world (tests/api/permission_world.py) is handed to a second
partner, Brightline: each of its experiments, hypotheses and what hangs off them become
Brightline's. A person of Northwind then calls every route of the table (which covers every
route of the router) and every page of the site with each of Brightline's ids: the answer is a
refusal (403, 404, 405, or 400 for a write naming them), or a page that names none of
Brightline's experiments, and a refused write changes nothing.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from experiments.models import Experiment, Hypothesis
from tests.api.permission_table import TABLE
from tests.api.permission_world import build_world, snapshot
from tests.conftest import built_once
from tests.factories import ExperimentFactory, HypothesisFactory, PartnerFactory, UserFactory
from tests.helpers import world_copy

REFUSED = {400, 403, 404, 405}


def partner_world():
    world = build_world()
    theirs = world["partner_record"]  # Brightline
    Experiment.objects.update(executed_by="agency", partner=theirs)
    mine = PartnerFactory(name="Northwind")
    me = UserFactory(username="northwind_person", role="partner", partner=mine)
    them = UserFactory(username="brightline_person", role="partner", partner=theirs)
    # The other partner's people logged its ideas.
    Hypothesis.objects.update(author=them)
    # Northwind's own test, so its lists are not empty for want of anything.
    own = ExperimentFactory(
        name="Northwind own test",
        key="northwind-own",
        owner=me,
        executed_by="agency",
        partner=mine,
        hypothesis=HypothesisFactory(title="Northwind own idea", author=me),
    )
    secrets = [
        *(re.escape(key) for key in Experiment.objects.exclude(pk=own.pk).values_list("key", flat=True)),
        *(re.escape(name) for name in Experiment.objects.exclude(pk=own.pk).values_list("name", flat=True)),
        *(re.escape(t) for t in Hypothesis.objects.exclude(pk=own.hypothesis_id).values_list("title", flat=True)),
    ]  # fmt: skip
    world["users"] = {**world["users"], "me": me, "them": them}
    world["own"] = own
    world["secrets"] = re.compile(r"(?<![\w-])(" + "|".join(secrets) + r")(?![\w-])")
    return world


@pytest.fixture(scope="module")
def built_world(django_db_setup, django_db_blocker):
    yield from built_once(django_db_blocker, partner_world)


@pytest.fixture
def world(built_world):
    return world_copy(built_world)


def _path(url, world):
    ids = {k: getattr(v, "pk", v) for k, v in world.items() if k not in ("users", "secrets")}
    return url.format(**ids)


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


API_CASES = [
    pytest.param(method, url, body, id=f"{method} {url}")
    for method, url, body, _ in TABLE
    if not url.startswith("/api/v1/auth/token")
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url", "body"), API_CASES)
def test_a_partner_is_refused_another_partners_data_on_every_endpoint(world, method, url, body):
    api = APIClient()
    api.force_authenticate(world["users"]["me"])
    data = body(world) if callable(body) else body
    before = snapshot()

    response = getattr(api, method.lower())(_path(url, world), data, format="json")

    text = _body(response)
    if response.status_code in REFUSED:
        if method != "GET":
            assert snapshot() == before, "a refused write changed something"
        return
    assert response.status_code in (200, 201, 202), (response.status_code, text[:300])
    assert not world["secrets"].search(text), world["secrets"].search(text).group(0)


@pytest.mark.django_db
def test_the_other_partner_reads_its_own(world):
    """The refusals above are the scope's, not the world's: Brightline's person reads them."""
    api = APIClient()
    api.force_authenticate(world["users"]["them"])
    for url in (
        "/api/v1/experiments/{running}/",
        "/api/v1/experiments/{running}/results/",
        "/api/v1/experiments/{running}/observations/",
        "/api/v1/objectives/{objective}/",
        "/api/v1/segments/{segment}/",
        "/api/v1/partners/{partner_record}/",
    ):
        assert api.get(_path(url, world)).status_code == 200, url
    listed = api.get("/api/v1/experiments/").json()["results"]
    assert "northwind-own" not in {row["key"] for row in listed}
    assert world["running"].key in {row["key"] for row in listed}


def _pages():
    def walk(patterns, prefix="", namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(
                    pattern.url_patterns,
                    prefix + str(pattern.pattern),
                    pattern.namespace or namespace,
                )
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    for route in walk(get_resolver().url_patterns):
        if route.startswith(("api/", "admin/", "accounts/", "r/", "healthz", "favicon")):
            continue
        yield route


PAGES = sorted(set(_pages()))
# Every object of the other partner's an id in a page's address could name.
ID_KEYS = ["running", "draft", "in_review", "approved", "paused", "completed", "killed",
           "decided_bare", "idea", "backlog", "stream", "objective", "segment", "share",
           "partner_record"]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("route", PAGES)
def test_a_partner_sees_no_page_of_another_partners(client, world, route):
    client.force_login(world["users"]["me"])
    names = re.findall(r"<(?:\w+:)?(\w+)>", route)
    targets = [world[key].pk for key in ID_KEYS] if names else [None]
    for pk in targets:
        path = "/" + re.sub(
            r"<(?:\w+:)?(\w+)>",
            lambda m, pk=pk: "launch" if m.group(1) in ("step", "name") else str(pk),
            route,
        )
        for method in ("get", "post"):
            before = snapshot() if method == "post" else None
            response = getattr(client, method)(path)
            text = _body(response)
            if response.status_code in REFUSED:
                if method == "post":
                    assert snapshot() == before, f"POST {path} changed something"
                continue
            if response.status_code == 302:
                if method == "post":
                    assert snapshot() == before or not names, f"POST {path} changed something"
                continue
            assert response.status_code == 200, (path, response.status_code)
            found = world["secrets"].search(text)
            assert not found, (method, path, found and found.group(0))
