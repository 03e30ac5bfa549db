"""``GET /api/v1/results/``: the latest results of many experiments in one paged call."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.analysis.pipeline import experiments_analyse
from analytics.api.results import latest_results_presented
from analytics.ingest.observations import observations_ingest
from tests.analytics.helpers import START, binomial_rows, running_experiment
from tests.api.problems import problem, problem_errors
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory, MetricFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(operator, analyst):
    first = running_experiment(operator)
    second = running_experiment(operator)
    for experiment, treated in ((first, 120), (second, 90)):
        for day in (1, 2):
            observations_ingest(
                experiment_id=experiment.pk,
                actor=analyst,
                rows=binomial_rows(
                    (START + dt.timedelta(days=day)).isoformat(),
                    control=(1000, 100),
                    treatment=(1000, treated),
                    metric=experiment.primary_metric.key,
                ),
            )
            experiments_analyse([experiment.pk])
    draft = ExperimentFactory(owner=operator)
    paused = put_in_status(running_experiment(operator), "paused", start_date=START)
    return {"first": first, "second": second, "draft": draft, "paused": paused}


def test_running_experiments_come_with_their_newest_results(api, world):
    response = api.get("/api/v1/results/?status=running&ordering=key")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 2
    by_id = {row["experiment"]: row for row in body["results"]}
    assert set(by_id) == {world["first"].pk, world["second"].pk}
    for name in ("first", "second"):
        experiment = world[name]
        row = by_id[experiment.pk]
        assert (row["key"], row["status"], row["look"]) == (experiment.key, "running", 2)
        # Exactly what the experiment's own results endpoint answers.
        assert row["results"] == latest_results_presented(experiment.pk)
        assert api.get(f"/api/v1/experiments/{experiment.pk}/results/").json() == row["results"]
    lifts = [by_id[world[n].pk]["results"][1]["lift"] for n in ("first", "second")]
    assert lifts == pytest.approx([0.2, -0.1])


def test_without_a_filter_every_readable_experiment_is_listed_results_or_not(api, world):
    body = api.get("/api/v1/results/?page_size=500").json()
    rows = {row["experiment"]: row for row in body["results"]}
    assert set(rows) >= {world[n].pk for n in ("first", "second", "draft", "paused")}
    assert rows[world["draft"].pk]["results"] == [] and rows[world["draft"].pk]["look"] is None


def test_several_statuses_and_the_list_filters(api, world, operator):
    body = api.get("/api/v1/results/?status=running&status=paused").json()
    assert body["count"] == 3
    owned = api.get(f"/api/v1/results/?owner={operator.pk}&status=running").json()
    assert owned["count"] == 2
    searched = api.get(f"/api/v1/results/?search={world['first'].key}").json()
    assert [row["experiment"] for row in searched["results"]] == [world["first"].pk]


def test_the_metric_filter_keeps_the_experiments_measuring_it_and_its_results(api, world):
    other = MetricFactory(key="other-metric")
    world["second"].guardrail_metrics.add(other)
    body = api.get("/api/v1/results/?metric=other-metric").json()
    assert [row["experiment"] for row in body["results"]] == [world["second"].pk]
    assert body["results"][0]["results"] == []  # no result of that metric yet
    key = world["first"].primary_metric.key  # "signups": the three running_experiment()s'
    body = api.get(f"/api/v1/results/?metric={key}&ordering=key").json()
    assert {row["experiment"] for row in body["results"]} == {
        world[n].pk for n in ("first", "second", "paused")
    }
    assert {r["metric"] for row in body["results"] for r in row["results"]} == {key}


@pytest.mark.parametrize(
    ("query", "name"),
    [("?status=runing", "status"), ("?stauts=running", "stauts"), ("?page_size=0", "page_size")],
)
def test_a_bad_parameter_is_a_400_naming_it(api, world, query, name):
    response = api.get(f"/api/v1/results/{query}")
    assert response.status_code == 400
    assert name in response.content.decode()


def test_only_signed_in_readers(anonymous_api, world):
    assert anonymous_api.get("/api/v1/results/").status_code == 401


# --- the same list as one CSV table ---------------------------------------------------------


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_is_one_row_per_experiment_and_snapshot_with_the_same_filters(api, world):
    response = api.get("/api/v1/results/?status=running&ordering=key&format=csv")
    rows = csv_rows(response)
    assert list(rows[0])[:9] == [
        "experiment",
        "key",
        "name",
        "status",
        "method",
        "start_date",
        "end_date",
        "metric",
        "variant",
    ]
    json_body = api.get("/api/v1/results/?status=running&ordering=key").json()
    expected = [
        (str(row["experiment"]), row["key"], r["metric"], r["variant"], str(r["look"]), r["users"])
        for row in json_body["results"]
        for r in row["results"]
    ]
    assert [
        (r["experiment"], r["key"], r["metric"], r["variant"], r["look"], int(r["users"]))
        for r in rows
    ] == expected
    assert {r["status"] for r in rows} == {"running"}
    treated = {r["key"]: float(r["lift"]) for r in rows if r["variant"] == "b" and r["metric"]}
    by_key = {world[n].key: n for n in ("first", "second")}
    lifts = {by_key[key]: lift for key, lift in treated.items() if key in by_key}
    assert lifts == pytest.approx({"first": 0.2, "second": -0.1})


def test_an_experiment_without_results_is_one_row_of_its_own_columns(api, world):
    rows = csv_rows(api.get(f"/api/v1/results/?search={world['draft'].key}&format=csv"))
    assert len(rows) == 1
    row = rows[0]
    assert (row["experiment"], row["status"]) == (str(world["draft"].pk), "draft")
    assert row["metric"] == row["variant"] == row["look"] == row["p_value"] == ""


def test_the_csv_is_asked_by_accept_and_keeps_the_metric_filter(api, world):
    key = world["first"].primary_metric.key
    response = api.get(
        f"/api/v1/results/?metric={key}&status=running", headers={"Accept": "text/csv"}
    )
    rows = csv_rows(response)
    assert {r["metric"] for r in rows} == {key}
    assert len(rows) == 2 * 2  # two running experiments × control and treatment


def test_a_bad_filter_on_the_csv_is_a_problem(api, world):
    response = api.get("/api/v1/results/?status=runing&format=csv")
    assert response.status_code == 400
    assert "status" in problem_errors(response)


def test_a_csv_too_large_for_one_file_is_refused(api, world, settings):
    settings.API_CSV_MAX_ROWS = 1
    response = api.get("/api/v1/results/?status=running&format=csv")
    assert response.status_code == 400
    assert "more than 1" in problem(response)["detail"]


def test_the_schema_describes_the_csv_beside_the_pages(api):
    schema = api.get("/api/schema/?format=json").json()
    get = schema["paths"]["/api/v1/results/"]["get"]
    content = get["responses"]["200"]["content"]
    assert content["text/csv"]["schema"] == {"type": "string"}
    assert content["application/json"]["schema"]["$ref"].endswith("PaginatedExperimentResultsList")
    assert "format" in {p["name"] for p in get["parameters"]}


def test_the_csv_reads_the_same_queries_for_more_experiments(api, world, operator):
    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            rows = csv_rows(api.get("/api/v1/results/?format=csv"))
        return len(captured), len(rows)

    few, rows_before = queries()
    for _ in range(5):
        running_experiment(operator)
    more, rows_after = queries()
    assert rows_after == rows_before + 5  # each new experiment, without results: one row
    assert more == few
