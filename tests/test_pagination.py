"""Every API list pages with ``?page`` and ``?page_size`` (at most 500); no value gives a 500."""

import pytest

from tests.api.problems import problem_errors
from tests.factories import ExperimentFactory

pytestmark = pytest.mark.django_db


def test_it_pages_with_page_and_page_size(api):
    ExperimentFactory.create_batch(5)
    first = api.get("/api/v1/experiments/?page_size=2").json()
    assert first["count"] == 5 and len(first["results"]) == 2
    assert "page=2" in first["next"] and "page_size=2" in first["next"]
    assert first["previous"] is None
    last = api.get("/api/v1/experiments/?page_size=2&page=3").json()
    assert len(last["results"]) == 1 and last["next"] is None
    seen = {
        r["id"]
        for p in (1, 2, 3)
        for r in api.get(f"/api/v1/experiments/?page_size=2&page={p}").json()["results"]
    }
    assert len(seen) == 5


def test_the_last_page_may_be_asked_for_by_name(api):
    ExperimentFactory.create_batch(3)
    body = api.get("/api/v1/experiments/?page_size=2&page=last").json()
    assert len(body["results"]) == 1


@pytest.mark.parametrize("page", ["3", "99999999999999999999"])
def test_a_page_past_the_end_is_a_404_that_says_so(api, page):
    ExperimentFactory.create_batch(2)
    response = api.get(f"/api/v1/experiments/?page_size=1&page={page}")
    assert response.status_code == 404, response.content
    assert f"Page “{page}” does not exist" in response.json()["detail"]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "٣", ""])
def test_a_page_that_is_not_a_whole_number_from_1_is_a_400_naming_it(api, page):
    ExperimentFactory.create_batch(2)
    response = api.get(f"/api/v1/experiments/?page_size=1&page={page}")
    assert response.status_code == 400, response.content
    assert problem_errors(response) == {"page": [f"“{page}” is not a whole number from 1."]}


@pytest.mark.parametrize("size", ["99999999999999999999", "-1", "0", "abc", "1e3", "501"])
def test_a_page_size_out_of_range_or_unreadable_is_a_400_naming_it(api, size):
    ExperimentFactory()
    response = api.get(f"/api/v1/experiments/?page_size={size}")
    assert response.status_code == 400, response.content
    assert problem_errors(response) == {
        "page_size": [f"“{size}” is not a whole number from 1 to 500."]
    }


def test_a_page_is_at_most_the_maximum(api):
    ExperimentFactory.create_batch(4)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("growthops.pagination.Pagination.max_page_size", 2)
        body = api.get("/api/v1/experiments/?page_size=2").json()
        refused = api.get("/api/v1/experiments/?page_size=3")
    assert len(body["results"]) == 2 and body["count"] == 4
    assert "page=2" in body["next"]
    assert refused.status_code == 400


def test_the_last_page_is_named_last(api):
    ExperimentFactory.create_batch(3)
    body = api.get("/api/v1/experiments/?page_size=2&page=last").json()
    assert len(body["results"]) == 1 and body["next"] is None


def test_the_maximum_is_500():
    from growthops.pagination import HistoryPagination, Pagination

    assert Pagination.max_page_size == HistoryPagination.max_page_size == 500


def test_an_empty_list_is_page_one_not_a_404(api):
    response = api.get("/api/v1/experiments/?page=1")
    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}
