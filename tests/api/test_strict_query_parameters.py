"""Query parameters are strict on every list: an unknown one, a yes/no that is not one, a page
or a page size out of range is a 400 naming it (growthops.query_params)."""

import pytest

from tests.analytics.helpers import running_experiment
from tests.api.problems import problem_errors
from tests.factories import ExperimentFactory, HypothesisFactory

pytestmark = pytest.mark.django_db


def refused(response, name):
    assert response.status_code == 400, response.content
    errors = problem_errors(response)
    assert list(errors) == [name], errors
    assert response.json()["detail"].startswith(f"{name}: ")
    return errors[name][0]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/experiments/",
        "/api/v1/hypotheses/",
        "/api/v1/metrics/",
        "/api/v1/events/",
        "/api/v1/rollups/",
        "/api/v1/postmortems/",
        "/api/v1/experiments/{experiment}/observations/",
        "/api/v1/experiments/{experiment}/comments/",
        "/api/v1/experiments/{experiment}/results/",
        "/api/v1/experiments/{experiment}/results/?history=1",
        "/api/v1/experiments/{experiment}/results/?dimension=device",
        "/api/v1/results/",
    ],
)
def test_an_unknown_parameter_is_a_400_naming_it(api, operator, url):
    experiment = running_experiment(operator)
    path = url.format(experiment=experiment.pk)
    joiner = "&" if "?" in path else "?"
    message = refused(api.get(f"{path}{joiner}stauts=running"), "stauts")
    assert message.startswith("Not a parameter this list takes; it takes ")
    assert "page_size" in message and "format" in message


def test_the_message_lists_what_the_list_takes(api):
    message = refused(api.get("/api/v1/experiments/?colour=red"), "colour")
    taken = message.removeprefix("Not a parameter this list takes; it takes ").rstrip(".")
    assert {"key", "status", "search", "ordering", "start_date_after", "page"} <= set(
        taken.split(", ")
    )


def test_every_unknown_parameter_is_named(api):
    response = api.get("/api/v1/experiments/?colour=red&size=xl&status=running")
    assert response.status_code == 400
    assert sorted(problem_errors(response)) == ["colour", "size"]


def test_the_parameters_a_list_reads_are_taken(api, operator):
    experiment = ExperimentFactory(owner=operator, key="known")
    HypothesisFactory()
    query = (
        "key=known&status=draft&search=a&ordering=-created_at&start_date_after=2026-01-01"
        "&page=1&page_size=5&format=json"
    )
    assert api.get(f"/api/v1/experiments/?{query}").status_code == 200
    observations = f"/api/v1/experiments/{experiment.pk}/observations/?metric=signups&page=1"
    assert api.get(observations).status_code == 200
    history = f"/api/v1/experiments/{experiment.pk}/results/?history=true&metric=x&look_min=1"
    assert api.get(history).status_code == 200
    assert (
        api.get("/api/v1/hypotheses/?min_score=3&created_at_before=2030-01-01").status_code == 200
    )


@pytest.mark.parametrize("value", ["yes", "no", "2", "TRUEISH"])
def test_a_history_that_is_not_a_yes_or_no_is_a_400(api, operator, value):
    experiment = running_experiment(operator)
    response = api.get(f"/api/v1/experiments/{experiment.pk}/results/?history={value}")
    assert refused(response, "history") == "Use true or false (or 1 or 0)."


@pytest.mark.parametrize(("value", "paged"), [("0", False), ("false", False), ("TRUE", True)])
def test_history_true_or_false_chooses_the_answer(api, operator, value, paged):
    experiment = running_experiment(operator)
    body = api.get(f"/api/v1/experiments/{experiment.pk}/results/?history={value}").json()
    assert isinstance(body, dict) is paged


@pytest.mark.parametrize("url", ["/api/v1/experiments/", "/api/v1/events/"])
@pytest.mark.parametrize("size", ["0", "abc", "501", "-3"])
def test_a_page_size_out_of_range_is_a_400_on_page_and_cursor_lists(api, url, size):
    message = refused(api.get(f"{url}?page_size={size}"), "page_size")
    assert message == f"“{size}” is not a whole number from 1 to 500."


def test_a_page_that_is_no_number_is_a_400(api):
    message = refused(api.get("/api/v1/hypotheses/?page=abc"), "page")
    assert message == "“abc” is not a whole number from 1."


def test_a_strict_refusal_of_a_csv_export_is_a_problem_like_any_other(api):
    response = api.get("/api/v1/experiments/?format=csv&colour=red")
    assert response.status_code == 400
    assert list(problem_errors(response)) == ["colour"]
