"""One error shape everywhere, and request rates per user and per anonymous address."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.api.problems import problem, problem_errors
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(settings):
    settings.API_THROTTLE_RATES = {"user": "3/minute", "anon": "2/minute"}
    cache.clear()
    yield
    cache.clear()


def test_a_user_over_the_rate_gets_429_with_retry_after(low_rates, analyst, marketer):
    api = APIClient()
    api.force_authenticate(analyst)
    codes = [api.get("/api/v1/metrics/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = api.get("/api/v1/metrics/")
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "throttled" in problem(refused)["detail"]
    assert problem(refused)["type"] == "urn:growthops:problem:throttled"
    # The rate is per user: another account is not held back.
    api.force_authenticate(marketer)
    assert api.get("/api/v1/metrics/").status_code == 200


def test_anonymous_requests_are_counted_per_address(low_rates):
    one, other = APIClient(REMOTE_ADDR="10.0.0.1"), APIClient(REMOTE_ADDR="10.0.0.2")
    body = {"username": "nobody", "password": "wrong"}
    codes = [one.post("/api/v1/auth/token/", body, format="json").status_code for _ in range(3)]
    assert codes == [400, 400, 429]
    assert one.post("/api/v1/auth/token/", body, format="json").has_header("Retry-After")
    assert other.post("/api/v1/auth/token/", body, format="json").status_code == 400


def test_a_new_x_forwarded_for_each_time_does_not_reset_the_anonymous_rate(settings):
    """150 wrong sign-ins at the default 100 an hour, each naming a new address in the header
    (and a new username, so that the lock-out stays out of it): the last 50 are refused."""
    settings.API_THROTTLE_RATES = {"user": None, "anon": "100/hour"}
    cache.clear()
    api = APIClient(REMOTE_ADDR="198.51.100.7")
    codes = [
        api.post(
            "/api/v1/auth/token/",
            {"username": f"user{n}", "password": "wrong"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"10.{n // 250}.{n % 250}.1",
        ).status_code
        for n in range(150)
    ]
    cache.clear()
    assert codes == [400] * 100 + [429] * 50


def test_rates_come_from_the_environment_with_defaults():
    from growthops import settings

    assert set(settings.API_THROTTLE_RATES) == {"user", "anon"}
    assert all(rate.count("/") == 1 for rate in settings.API_THROTTLE_RATES.values())


# --- the error shape -----------------------------------------------------------------


def test_401_without_credentials(db):
    response = APIClient().get("/api/v1/experiments/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert problem(response)["detail"] == "Authentication credentials were not provided."


def test_401_with_a_wrong_token(db):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api.get("/api/v1/experiments/").status_code == 401


def test_400_has_detail_and_errors_by_field(analyst):
    api = APIClient()
    api.force_authenticate(analyst)
    response = api.post("/api/v1/hypotheses/", {"title": ""}, format="json")
    body = problem(response)
    assert set(body) == {"type", "title", "status", "detail", "errors"}
    assert body["type"] == "urn:growthops:problem:validation" and body["status"] == 400
    assert all({"field", "code", "message"} == set(e) for e in body["errors"])
    assert {"field": "title", "code": "blank", "message": "This field may not be blank."} in (
        body["errors"]
    )
    assert "title" in body["detail"]


def test_403_is_the_capability_tables_reason(marketer):
    api = APIClient()
    api.force_authenticate(marketer)
    response = api.post("/api/v1/objectives/", {}, format="json")
    assert response.status_code == 403
    assert response.json() == {
        "type": "urn:growthops:problem:not-permitted",
        "title": "Not permitted.",
        "status": 403,
        "detail": "Only CMO may create and edit objectives and targets.",
    }


def test_404_for_what_does_not_exist(analyst):
    api = APIClient()
    api.force_authenticate(analyst)
    response = api.get("/api/v1/experiments/999999/")
    assert problem(response)["detail"] == "No Experiment matches the given query."
    assert problem(response)["type"] == "urn:growthops:problem:not-found"


def test_409_for_a_stale_step(cmo, operator):
    experiment = put_in_status(ExperimentFactory(owner=operator), "approved")
    api = APIClient()
    api.force_authenticate(cmo)
    response = api.post(
        f"/api/v1/experiments/{experiment.pk}/steps/kill/",
        {"expected_status": "running", "reason": "harmful", "note": "x"},
        format="json",
    )
    assert response.status_code == 409 and problem(response)["detail"]
    assert problem(response)["type"] == "urn:growthops:problem:transition-not-allowed"
    experiment.refresh_from_db()
    assert experiment.status == "approved"


def test_nested_errors_are_flat_field_names(operator):
    from tests.factories import HypothesisFactory

    api = APIClient()
    api.force_authenticate(operator)
    body = {
        "hypothesis": HypothesisFactory().pk,
        "name": "N",
        "key": "n",
        "variants": [{"key": "a", "name": "A", "weight": 1}, {"key": "b", "weight": "x"}],
    }
    response = api.post("/api/v1/experiments/", body, format="json")
    assert response.status_code == 400
    errors = problem_errors(response)
    assert set(errors) == {"variants[1].name", "variants[1].weight"}
    assert all(isinstance(m, str) for ms in errors.values() for m in ms)


def test_unreadable_json_has_the_error_shape(analyst):
    api = APIClient()
    api.force_authenticate(analyst)
    response = api.generic(
        "POST", "/api/v1/hypotheses/", b"{not json", content_type="application/json"
    )
    assert response.status_code == 400
    [error] = problem(response)["errors"]
    assert (error["field"], error["code"]) == ("body", "parse_error")


@pytest.mark.parametrize(
    "url", ["/api/v1/no-such-thing/", "/api/v1/experiments/1/no-such-action/", "/api/nowhere"]
)
def test_an_unknown_api_path_is_a_problem_not_a_page(analyst, url):
    api = APIClient()
    api.force_authenticate(analyst)
    response = api.get(url)
    assert response.status_code == 404
    assert "No endpoint at" in problem(response)["detail"]


def test_a_method_a_route_does_not_take_is_a_problem(analyst):
    api = APIClient()
    api.force_authenticate(analyst)
    response = api.delete("/api/v1/metrics/")
    assert response.status_code == 405 and "GET" in response["Allow"]
    assert problem(response)["detail"] == 'Method "DELETE" not allowed.'


def test_a_pages_404_stays_a_page(client, analyst):
    client.force_login(analyst)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/problem+json")
