"""Experiments by key: ``?key=`` on the list, and the key wherever a path takes the id."""

import pytest

from experiments.by_key import experiment_ref
from tests.analytics.helpers import binomial_rows, running_experiment
from tests.conftest import client_for
from tests.factories import ExperimentFactory

pytestmark = pytest.mark.django_db


def test_the_list_filters_by_key(operator, analyst):
    wanted = ExperimentFactory(owner=operator, key="spring-pricing")
    ExperimentFactory(owner=operator, key="spring-pricing-2")
    body = client_for(analyst).get("/api/v1/experiments/", {"key": "spring-pricing"}).json()
    assert [row["id"] for row in body["results"]] == [wanted.pk]
    nothing = client_for(analyst).get("/api/v1/experiments/", {"key": "no-such-key"}).json()
    assert nothing["count"] == 0 and nothing["results"] == []


def test_a_key_reaches_the_same_experiment_as_its_id(operator, analyst):
    experiment = ExperimentFactory(owner=operator, key="onboarding_v2")
    api = client_for(analyst)
    by_id = api.get(f"/api/v1/experiments/{experiment.pk}/").json()
    by_key = api.get("/api/v1/experiments/onboarding_v2/").json()
    assert by_key == by_id and by_key["key"] == "onboarding_v2"
    timeline = api.get("/api/v1/experiments/onboarding_v2/timeline/")
    assert timeline.status_code == 200
    assert timeline.json() == api.get(f"/api/v1/experiments/{experiment.pk}/timeline/").json()


def test_the_data_actions_take_the_key(operator, analyst):
    experiment = running_experiment(operator, key="checkout-copy")
    api = client_for(analyst)
    written = api.post(
        "/api/v1/experiments/checkout-copy/observations/", binomial_rows(), format="json"
    )
    assert written.status_code == 201, written.content
    assert written.json()["written"] == 2
    rows = api.get("/api/v1/experiments/checkout-copy/observations/").json()["results"]
    assert [(r["variant"], r["users"]) for r in rows] == [("b", 1000), ("control", 1000)]
    assert api.get("/api/v1/experiments/checkout-copy/results/").status_code == 200
    assert experiment.observations.count() == 2


def test_the_nested_shares_and_the_post_mortem_take_the_key(operator, cmo):
    ExperimentFactory(owner=operator, key="hero-banner")
    api = client_for(cmo)
    assert api.get("/api/v1/experiments/hero-banner/shares/").json() == []
    # Not decided yet: the post-mortem is a 404 by key as by id.
    assert api.get("/api/v1/experiments/hero-banner/postmortem/").status_code == 404


def test_a_key_one_may_not_see_or_that_is_not_there_is_a_404(operator, analyst):
    ExperimentFactory(owner=operator, key="seen")
    api = client_for(analyst)
    assert api.get("/api/v1/experiments/unknown-key/").status_code == 404
    assert api.get("/api/v1/experiments/unknown-key/results/").status_code == 404
    assert api.get(f"/api/v1/experiments/{10**30}/").status_code == 404


def test_digits_are_an_id_and_anything_else_a_key():
    assert experiment_ref("42") == {"pk": 42}
    assert experiment_ref("spring-42") == {"key": "spring-42"}
    assert experiment_ref("٤٢") == {"key": "٤٢"}  # Arabic-Indic digits are no id


def test_the_schema_types_the_path_parameter_as_an_id_or_a_key(analyst):
    schema = client_for(analyst).get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/experiments/{id}/",
        "/api/v1/experiments/{id}/results/",
        "/api/v1/experiments/{id}/postmortem/",
    ):
        (parameter,) = [p for p in schema["paths"][path]["get"]["parameters"] if p["in"] == "path"]
        assert parameter["schema"] == {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"}
        assert "or its key" in parameter["description"]
    listed = schema["paths"]["/api/v1/experiments/"]["get"]["parameters"]
    assert {"in": "query", "name": "key", "schema": {"type": "string"}} in listed
