"""The metric library, data sources and refresh over the API."""

import pytest

from tests.conftest import client_for, person
from warehouse.models import DataSource, MetricDefinition, RefreshRun

from .engines import duckdb_file
from .helpers import ENV, warehouse_experiment, warehouse_source

pytestmark = pytest.mark.django_db


def metric_body(source, **changes):
    body = {
        "key": "purchases_v",
        "name": "Purchases",
        "source": source.pk,
        "fact_table": "events",
        "user_column": "user_pseudo_id",
        "time_column": "event_timestamp",
        "aggregation": "conversion",
        "filters": [{"column": "event_name", "op": "=", "value": "purchase"}],
    }
    body.update(changes)
    return body


def test_each_change_is_a_new_version_and_only_the_cmo_marks_official():
    analyst, cmo = person("analyst"), person("cmo")
    source = warehouse_source()
    created = client_for(analyst).post("/api/v1/metrics/", metric_body(source), format="json")
    assert created.status_code == 201, created.content
    metric_id = created.json()["id"]
    assert created.json()["kind"] == "binomial"
    assert created.json()["definition"]["version"] == 1
    changed = client_for(analyst).patch(
        f"/api/v1/metrics/{metric_id}/", {"conversion_window_hours": 24}, format="json"
    )
    assert [v["version"] for v in changed.json()["versions"]] == [2, 1]
    assert changed.json()["definition"]["conversion_window_hours"] == 24
    assert (
        MetricDefinition.objects.get(metric_id=metric_id, version=1).conversion_window_hours == 72
    )
    refused = client_for(analyst).post(f"/api/v1/metrics/{metric_id}/official/", {}, format="json")
    assert refused.status_code == 403
    marked = client_for(cmo).post(f"/api/v1/metrics/{metric_id}/official/", {}, format="json")
    assert marked.json()["definition"]["official"] is True
    assert marked.json()["definition"]["official_by"] == str(cmo)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"value_expression": "(SELECT secret FROM users)"}, "no queries"),
        ({"filters": [{"column": "x; DROP", "op": "=", "value": 1}]}, "not a column name"),
        ({"fact_table": "a b"}, "Letters, digits"),
        ({"aggregation": "median"}, "not a valid choice"),
    ],
)
def test_a_bad_definition_is_refused_and_writes_nothing(changes, message):
    source = warehouse_source()
    response = client_for(person("analyst")).post(
        "/api/v1/metrics/", metric_body(source, **changes), format="json"
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not MetricDefinition.objects.exists()


def test_a_data_source_never_shows_its_connection_settings(monkeypatch):
    monkeypatch.setenv("WAREHOUSE_SECRET_DSN", "postgresql://reader:hunter2@db/warehouse")
    api = client_for(person("cmo"))
    created = api.post(
        "/api/v1/datasources/",
        {"name": "PG", "kind": "postgres", "connection_ref": "env:WAREHOUSE_SECRET_DSN"},
        format="json",
    )
    assert created.status_code == 201
    tested = api.post(f"/api/v1/datasources/{created.json()['id']}/test/")
    assert tested.status_code == 200
    assert tested.json()["last_test_ok"] is False
    for response in (created, tested, api.get("/api/v1/datasources/")):
        assert "hunter2" not in response.content.decode()
    refused = api.post(
        "/api/v1/datasources/",
        {"name": "Clear", "kind": "postgres", "connection_ref": "postgresql://u:p@h/db"},
        format="json",
    )
    assert refused.status_code == 400 and "never stored" in refused.content.decode()
    assert DataSource.objects.count() == 1


def test_the_connection_test_answers_for_a_real_warehouse(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, duckdb_file(tmp_path))
    source = warehouse_source()
    tested = client_for(person("analyst")).post(f"/api/v1/datasources/{source.pk}/test/")
    assert tested.json()["last_test_ok"] is True
    assert "Connected" in tested.json()["last_test_message"]


def test_refresh_answers_202_with_its_task_and_the_run_shows_the_sql(
    tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setenv(ENV, duckdb_file(tmp_path))
    operator = person("operator")
    experiment = warehouse_experiment(operator, warehouse_source())
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(operator).post(f"/api/v1/experiments/{experiment.pk}/refresh/")
    assert response.status_code == 202
    task_id = response.json()["task_id"]
    run = RefreshRun.objects.get(task_id=task_id)
    assert run.status == "succeeded" and run.written > 0
    runs = client_for(person("marketer")).get(f"/api/v1/experiments/{experiment.pk}/refreshes/")
    assert runs.json()[0]["status"] == "succeeded"
    assert "GROUP BY" in runs.json()[0]["statements"][0]["sql"]
    # The numbers and the results name the definition version that computed them.
    reader = client_for(person("analyst"))
    results = reader.get(f"/api/v1/experiments/{experiment.pk}/results/").json()
    assert results and {r["metric_version"] for r in results} == {1}
    observations = reader.get(f"/api/v1/experiments/{experiment.pk}/observations/").json()
    rows = observations["results"] if isinstance(observations, dict) else observations
    assert rows and {o["metric_version"] for o in rows} == {1}


def test_refresh_without_an_exposure_source_is_refused(tmp_path):
    from tests.analytics.helpers import running_experiment

    operator = person("operator")
    experiment = running_experiment(operator)
    response = client_for(operator).post(f"/api/v1/experiments/{experiment.pk}/refresh/")
    assert response.status_code == 400
    assert "exposure source" in response.content.decode()
    assert not RefreshRun.objects.exists()
