"""POST /analyse/, ``?format=csv`` exports, and result history in cursor pages."""

import csv
import io

import pytest
from rest_framework.test import APIClient

from analytics.analysis.pipeline import experiments_analyse
from analytics.api.results import RESULT_ROWS
from analytics.ingest.observations import observations_ingest
from analytics.stats import analyse
from tests.analytics.helpers import binomial_rows, running_experiment
from tests.api.problems import problem_errors
from tests.factories import ExperimentFactory, HypothesisFactory, UserFactory

pytestmark = pytest.mark.django_db

REQUEST = {
    "metric_type": "binomial",
    "variants": [
        {"name": "control", "users": 1000, "conversions": 100},
        {"name": "B", "users": 1000, "conversions": 120},
    ],
}


def rows_of(response):
    assert response["Content-Type"].startswith("text/csv"), response["Content-Type"]
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(content.decode())))


# --- analyse -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["cmo", "operator", "marketer", "analyst"])
def test_any_role_analyses_and_gets_the_engines_answer(cast, role):
    api = APIClient()
    api.force_authenticate(cast[role])
    response = api.post("/api/v1/analyse/", REQUEST, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == analyse({**REQUEST, "higher_is_better": True})


def test_analyse_stores_nothing(api):
    from analytics.models import Result

    api.post("/api/v1/analyse/", REQUEST, format="json")
    assert not Result.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**REQUEST, "alpha": 2}, "alpha"),
        ({**REQUEST, "colour": "red"}, "colour"),
        ({"metric_type": "binomial"}, "variants"),
        ([1, 2], "request"),
        (
            {
                **REQUEST,
                "variants": [{"name": "c", "users": 10, "conversions": 11}, REQUEST["variants"][1]],
            },
            "variants[0].conversions",
        ),
    ],
)
def test_bad_input_is_a_400_with_the_engines_errors(api, body, field):
    response = api.post("/api/v1/analyse/", body, format="json")
    assert response.status_code == 400, response.content
    errors = problem_errors(response)
    assert field in errors and isinstance(errors[field], list)
    assert response.json()["detail"]


@pytest.mark.parametrize("raw", [b"{", b'{"metric_type": NaN}', b"[" * 100000])
def test_unreadable_json_is_a_400(api, raw):
    response = api.generic("POST", "/api/v1/analyse/", raw, content_type="application/json")
    assert response.status_code == 400


def test_analyse_needs_a_role(db):
    api = APIClient()
    assert api.post("/api/v1/analyse/", REQUEST, format="json").status_code == 401
    api.force_authenticate(UserFactory(username="norole", role=""))
    assert api.post("/api/v1/analyse/", REQUEST, format="json").status_code == 403


# --- CSV -----------------------------------------------------------------------------


def test_experiments_export_as_csv_with_filters(api, operator):
    ExperimentFactory(owner=operator, name="=HYPERLINK(1)")
    ExperimentFactory(owner=operator, name="Second")
    response = api.get("/api/v1/experiments/?format=csv&ordering=name")
    assert response.status_code == 200
    rows = rows_of(response)
    assert [r["name"] for r in rows] == ["'=HYPERLINK(1)", "Second"]
    assert {"id", "status", "owner", "variants", "primary_metric"} <= set(rows[0])
    assert "control" in rows[0]["variants"]
    filtered = rows_of(api.get("/api/v1/experiments/?format=csv&search=second"))
    assert [r["name"] for r in filtered] == ["Second"]


def test_a_full_width_formula_is_written_as_text_in_an_export(api, operator):
    ExperimentFactory(owner=operator, name='＝HYPERLINK("https://evil.example")')
    rows = rows_of(api.get("/api/v1/experiments/?format=csv"))
    assert [r["name"] for r in rows] == ['\'＝HYPERLINK("https://evil.example")']


def test_hypotheses_export_as_csv(api):
    HypothesisFactory(title="Logos")
    rows = rows_of(api.get("/api/v1/hypotheses/?format=csv"))
    assert [(r["title"], r["ice_score"]) for r in rows] == [("Logos", "6.0")]


def test_a_csv_export_is_the_whole_list_up_to_its_limit(api, settings):
    ExperimentFactory.create_batch(3)
    assert len(rows_of(api.get("/api/v1/experiments/?format=csv&page_size=1"))) == 3
    settings.API_CSV_MAX_ROWS = 2
    response = api.get("/api/v1/experiments/?format=csv")
    assert response.status_code == 400
    assert "more than 2" in response.content.decode()
    assert not response.streaming


def test_an_empty_csv_export_is_its_header(api):
    response = api.get("/api/v1/experiments/?format=csv")
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode()
    assert content.startswith("id,key,status,") and content.count("\r\n") == 1


def _csv_cells(json_rows):
    """A JSON list as the CSV export writes it: lists and objects as JSON, null as empty,
    all text."""
    import json

    def cell(value):
        if value is None:
            return ""
        if isinstance(value, list | dict):
            return json.dumps(value, ensure_ascii=False)
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
            return "'" + value
        return str(value)

    return [{key: cell(value) for key, value in row.items()} for row in json_rows]


@pytest.mark.parametrize(
    ("url", "module"),
    [
        ("/api/v1/experiments/?ordering=name", "experiments.api"),
        ("/api/v1/hypotheses/?ordering=title", "experiments.api"),
    ],
)
def test_a_csv_export_streams_the_list_in_batches(api, operator, monkeypatch, url, module):
    """Read, presented and written a batch at a time: the same rows as the JSON list."""
    import importlib

    for n in range(5):
        ExperimentFactory(owner=operator, name=f"Test {n}", hypothesis__title=f"Idea {n}")
    monkeypatch.setattr(importlib.import_module(module), "CSV_BATCH", 2)
    listed = api.get(f"{url}&page_size=500").json()["results"]

    response = api.get(f"{url}&format=csv")

    assert response.status_code == 200 and response.streaming
    chunks = list(response.streaming_content)
    assert len(chunks) == 1 + 3  # the header, then three batches of at most two rows
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))
    assert rows == _csv_cells(listed)


def test_a_list_without_csv_says_404(api):
    assert api.get("/api/v1/metrics/?format=csv").status_code == 404


# --- results and their history -------------------------------------------------------


@pytest.fixture
def analysed(operator, analyst):
    experiment = running_experiment(operator)
    for day in ("2026-11-02", "2026-11-03", "2026-11-04"):
        observations_ingest(experiment_id=experiment.pk, actor=analyst, rows=binomial_rows(day))
        experiments_analyse([experiment.pk])
    return experiment


def test_results_export_as_csv(api, analysed, monkeypatch):
    rows = rows_of(api.get(f"/api/v1/experiments/{analysed.pk}/results/?format=csv"))
    assert [(r["variant"], r["look"]) for r in rows] == [("control", "3"), ("b", "3")]
    monkeypatch.setattr("analytics.api.results.CSV_BATCH", 4)
    url = f"/api/v1/experiments/{analysed.pk}/results/?history=1"
    response = api.get(f"{url}&format=csv")
    assert response.streaming
    history = rows_of(response)
    assert len(history) == 6
    assert history == _csv_cells(api.get(f"{url}&page_size=500").json()["results"])


def test_history_pages_by_cursor(api, analysed):
    url = f"/api/v1/experiments/{analysed.pk}/results/?history=1&page_size=4"
    first = api.get(url).json()
    assert len(first["results"]) == 4 and first["previous"] is None
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None
    looks = [r["look"] for r in first["results"] + second["results"]]
    assert looks == sorted(looks) == [1, 1, 2, 2, 3, 3]


def test_a_bad_cursor_is_a_404_not_a_500(api, analysed):
    response = api.get(f"/api/v1/experiments/{analysed.pk}/results/?history=1&cursor=zzz")
    assert response.status_code == 404


@pytest.mark.parametrize("query", ["", "?history=1", "?metric=nothing"])
def test_results_without_rows_export_as_the_header_alone(api, operator, query):
    experiment = running_experiment(operator)
    url = f"/api/v1/experiments/{experiment.pk}/results/{query}"
    separator = "&" if query else "?"

    response = api.get(f"{url}{separator}format=csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    assert text == ",".join(RESULT_ROWS.field_names) + "\r\n"
    assert text.startswith("metric,variant,look,computed_at,")
