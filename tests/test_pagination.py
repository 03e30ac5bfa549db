"""Every API list pages with ``?limit``/``?offset``; no value of either gives a 500."""

import pytest
from rest_framework.test import APIClient

from tests.factories import ExperimentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(analyst):
    client = APIClient()
    client.force_authenticate(analyst)
    return client


@pytest.mark.parametrize(
    "query", ["limit=99999999999999999999", "offset=99999999999999999999", "limit=-1&offset=-5"]
)
def test_a_huge_page_is_clamped(api, query):
    ExperimentFactory()
    response = api.get(f"/api/v1/experiments/?{query}")

    assert response.status_code == 200, response.content
    assert response.json()["count"] == 1
    assert len(response.json()["results"]) <= 500


def test_a_page_is_at_most_the_maximum(api):
    ExperimentFactory.create_batch(4)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("growthops.pagination.Pagination.max_limit", 2)
        body = api.get("/api/v1/experiments/?limit=99999999999999999999").json()
    assert len(body["results"]) == 2 and body["count"] == 4
    assert "limit=2" in body["next"]
