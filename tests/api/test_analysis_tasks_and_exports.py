"""Uploads name their analysis task, ``POST …/analyse/`` queues one, and observations and
events export as CSV (``?format=csv``)."""

import csv
import io

import pytest

from analytics.models import AnalysisState, Event, Observation, Result
from tests.analytics.helpers import START, binomial_rows, running_experiment
from tests.api.problems import problem, problem_errors
from tests.conftest import client_for
from tests.factories import ExperimentFactory

pytestmark = pytest.mark.django_db


def rows_of(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8", response["Content-Type"]
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(content.decode())))


@pytest.fixture
def experiment(operator):
    return running_experiment(operator)


def upload(api, experiment, rows, capture):
    with capture(execute=True):
        return api.post(f"/api/v1/experiments/{experiment.pk}/observations/", rows, format="json")


# --- the analysis task ---------------------------------------------------------------


def test_an_upload_answers_with_the_analysis_task_that_ran(
    experiment, analyst, django_capture_on_commit_callbacks
):
    api = client_for(analyst)
    response = upload(api, experiment, binomial_rows(), django_capture_on_commit_callbacks)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["written"] == 2 and body["results_stale"] is True
    task = api.get(f"/api/v1/tasks/{body['analysis_task_id']}/").json()
    assert task["state"] == "SUCCESS" and task["percent"] == 100.0
    assert Result.objects.filter(experiment=experiment, look=1).count() == 2  # sign-ups × 2


def test_asking_for_an_analysis_queues_it_and_answers_202_with_its_task(
    experiment, analyst, operator, django_capture_on_commit_callbacks
):
    upload(client_for(analyst), experiment, binomial_rows(), django_capture_on_commit_callbacks)
    Result.objects.filter(experiment=experiment).delete()

    api = client_for(operator)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = api.post(f"/api/v1/experiments/{experiment.pk}/analyse/")

    assert response.status_code == 202, response.content
    assert len(queued) == 1
    task_id = response.json()["analysis_task_id"]
    assert api.get(f"/api/v1/tasks/{task_id}/").json()["state"] == "SUCCESS"
    assert Result.objects.filter(experiment=experiment, look=1).count() == 2
    assert AnalysisState.objects.get(experiment=experiment).stale is False


def test_an_analysis_of_no_data_is_a_conflict_and_marks_nothing(operator):
    draft = ExperimentFactory(owner=operator)
    response = client_for(operator).post(f"/api/v1/experiments/{draft.pk}/analyse/")
    assert response.status_code == 409
    assert "no data yet" in response.json()["detail"]
    assert not AnalysisState.objects.filter(experiment=draft).exists()


def test_only_who_may_upload_asks_for_an_analysis(experiment, marketer, operator2):
    AnalysisState.objects.create(experiment=experiment, data_version=1)
    for user in (marketer, operator2):
        response = client_for(user).post(f"/api/v1/experiments/{experiment.pk}/analyse/")
        assert response.status_code == 403
    assert AnalysisState.objects.get(experiment=experiment).stale is False


def test_an_analysis_request_takes_no_body(experiment, operator):
    AnalysisState.objects.create(experiment=experiment, data_version=1)
    response = client_for(operator).post(
        f"/api/v1/experiments/{experiment.pk}/analyse/", {"now": True}, format="json"
    )
    assert response.status_code == 400
    assert problem_errors(response) == {"now": ["Not a field this request takes."]}
    assert AnalysisState.objects.get(experiment=experiment).stale is False


# --- CSV exports ---------------------------------------------------------------------


def test_observations_export_as_one_csv_table_with_the_json_names(
    experiment, analyst, django_capture_on_commit_callbacks
):
    api = client_for(analyst)
    upload(api, experiment, binomial_rows(), django_capture_on_commit_callbacks)
    upload(api, experiment, binomial_rows("2026-11-03"), django_capture_on_commit_callbacks)
    url = f"/api/v1/experiments/{experiment.pk}/observations/"

    rows = rows_of(api.get(url, {"format": "csv", "page_size": 1}))  # no pages in a CSV

    as_json = api.get(url, {"page_size": 10}).json()["results"]
    assert len(rows) == 4 == Observation.objects.filter(experiment=experiment).count()
    assert list(rows[0]) == list(as_json[0])
    assert [(r["date"], r["variant"], r["users"], r["conversions"]) for r in rows] == [
        ("2026-11-02", "b", "1000", "120"),
        ("2026-11-02", "control", "1000", "100"),
        ("2026-11-03", "b", "1000", "120"),
        ("2026-11-03", "control", "1000", "100"),
    ]
    assert rows[0]["date"] == as_json[0]["date"] and rows[0]["variant"] == as_json[0]["variant"]


def test_an_observation_export_follows_the_filters_and_names_its_columns_when_empty(
    experiment, analyst
):
    url = f"/api/v1/experiments/{experiment.pk}/observations/?format=csv"
    response = client_for(analyst).get(url)
    content = b"".join(response.streaming_content).decode()
    assert content.splitlines()[0].startswith("date,variant,metric,users,conversions,sum,")
    assert rows_of(client_for(analyst).get(url)) == []


def events_for(experiment, count):
    variant = experiment.variants.get(key="control")
    return Event.objects.bulk_create(
        Event(
            experiment=experiment,
            variant=variant,
            user_id=f"u{n}",
            kind=Event.Kind.EXPOSURE,
            timestamp=START.isoformat() + f"T10:00:0{n}Z",
        )
        for n in range(count)
    )


def test_events_export_as_one_csv_table_oldest_first(experiment, analyst):
    events_for(experiment, 3)
    api = client_for(analyst)

    rows = rows_of(api.get("/api/v1/events/", {"format": "csv", "page_size": 1}))

    assert [row["user_id"] for row in rows] == ["u0", "u1", "u2"]
    assert list(rows[0]) == [
        "id",
        "experiment",
        "variant",
        "user_id",
        "kind",
        "metric",
        "value",
        "timestamp",
    ]
    assert rows[0]["experiment"] == experiment.key and rows[0]["kind"] == "exposure"
    assert rows[0]["metric"] == "" and rows[0]["timestamp"] == "2026-11-01T10:00:00Z"
    filtered = rows_of(api.get("/api/v1/events/", {"format": "csv", "kind": "conversion"}))
    assert filtered == []


def test_an_export_too_large_for_one_file_is_refused(experiment, analyst, settings):
    settings.API_CSV_MAX_ROWS = 2
    events_for(experiment, 3)
    response = client_for(analyst).get("/api/v1/events/?format=csv")
    assert response.status_code == 400
    assert "more than 2" in problem(response)["detail"]  # a problem, not a CSV table


def test_the_schema_describes_the_exports_as_csv_text(analyst):
    schema = client_for(analyst).get("/api/schema/?format=json").json()
    for path in ("/api/v1/experiments/{id}/observations/", "/api/v1/events/"):
        content = schema["paths"][path]["get"]["responses"]["200"]["content"]
        assert content["text/csv"]["schema"] == {"type": "string"}
        assert content["application/json"]["schema"]["$ref"].startswith("#/components/schemas/P")
    posted = schema["paths"]["/api/v1/experiments/{id}/observations/"]["post"]["responses"]
    assert list(posted["201"]["content"]) == ["application/json"]
    written = schema["components"]["schemas"]["ObservationsWritten"]["properties"]
    assert written["analysis_task_id"]["nullable"] is True
    analyse = schema["paths"]["/api/v1/experiments/{id}/analyse/"]["post"]["responses"]
    assert analyse["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AnalysisQueued"
    }
