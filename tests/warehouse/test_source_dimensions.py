"""Dimensions chosen per data source: the exposure table's columns a source slices by, checked
when it is saved (API and page), written by its refreshes whatever the organisation's list
says, and read by its experiments' results (``?dimension=``) and results panel."""

import pytest
from django.utils import timezone

from analytics.analysis.pipeline import experiments_analyse
from analytics.models import Observation
from analytics.slices import results_computed
from tests.api.problems import problem, problem_errors
from tests.conftest import client_for, person
from warehouse.models import DataSource
from warehouse.refresh import refresh_experiment

from .data import by_hand, query, tables
from .engines import duckdb_file
from .helpers import ENV, warehouse_experiment, warehouse_source

pytestmark = pytest.mark.django_db

SOURCE = {"name": "Sliced", "kind": "duckdb", "connection_ref": f"env:{ENV}"}


@pytest.fixture(scope="module")
def warehouse_path(tmp_path_factory):
    return duckdb_file(tmp_path_factory.mktemp("dimensions"))


@pytest.fixture
def world(warehouse_path, monkeypatch, settings):
    monkeypatch.setenv(ENV, warehouse_path)
    # "form_factor" is on no organisation-wide list: only the source names it.
    settings.RESULT_DIMENSIONS = ["device", "country"]
    source = warehouse_source(dimension_columns=["form_factor=device_category"])
    experiment = warehouse_experiment(person("operator"), source)
    return {"source": source, "experiment": experiment, "analyst": person("analyst")}


def results_url(experiment, query=""):
    return f"/api/v1/experiments/{experiment.pk}/results/{query}"


# --- the source records its dimensions --------------------------------------------------------


def test_an_analyst_sets_a_sources_dimensions_over_the_api():
    api = client_for(person("analyst"))
    created = api.post(
        "/api/v1/datasources/",
        {**SOURCE, "dimension_columns": ["device=device_category", "country"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["dimension_columns"] == ["device=device_category", "country"]
    source_id = created.json()["id"]
    changed = api.patch(
        f"/api/v1/datasources/{source_id}/",
        {"dimension_columns": ["browser_name"]},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    assert DataSource.objects.get(pk=source_id).dimension_columns == ["browser_name"]


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (["Device_Category"], "a dimension's name is lower-case letters"),
        (["device=device category"], "Letters, digits and _ only"),
        (["device=a; DROP TABLE x"], "Letters, digits and _ only"),
        (["device=device_category", "device=device_model"], "each named once"),
        (["d" * 33 + "=device_category"], "at most 32"),
        ([f"c{n}" for n in range(11)], "no more than 10"),
        ("device", "Expected a list"),
    ],
)
def test_a_bad_dimension_column_is_a_400_naming_the_field_and_writes_nothing(columns, message):
    api = client_for(person("analyst"))
    response = api.post(
        "/api/v1/datasources/", {**SOURCE, "dimension_columns": columns}, format="json"
    )
    assert response.status_code == 400, response.content
    errors = problem_errors(response)
    assert any(message in m for m in errors["dimension_columns"]), errors
    assert not DataSource.objects.exists()


# --- refreshed and read per source ------------------------------------------------------------


def test_a_refresh_writes_the_sources_own_dimension_and_its_slices_add_up(world):
    run = refresh_experiment(world["experiment"].pk, actor=None)
    assert run.status == "succeeded", run.error
    # One query, by form_factor: the overall rows are its rows summed (each user has one value).
    assert [s["dimension"] for s in run.statements] == ["form_factor"]
    sliced = Observation.objects.filter(experiment=world["experiment"]).sliced("form_factor")
    assert {o.dimension_value for o in sliced} == {"mobile", "desktop"}
    overall = Observation.objects.filter(experiment=world["experiment"], metric__key="revenue")
    for row in overall.overall():
        parts = sliced.filter(metric__key="revenue", variant=row.variant, date=row.date)
        assert sum(p.users for p in parts) == row.users
        assert sum(p.sum for p in parts) == pytest.approx(row.sum)


def test_the_results_read_the_sources_dimension_corrected_across_its_slices(world):
    refresh_experiment(world["experiment"].pk, actor=None)
    api = client_for(world["analyst"])
    response = api.get(results_url(world["experiment"], "?dimension=form_factor&metric=revenue"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dimension"] == "form_factor" and body["correction"] == "holm"
    assert sorted(s["value"] for s in body["slices"]) == ["desktop", "mobile"]
    assert "2 slices of form_factor" in body["warning"] and "Holm" in body["warning"]
    # The slices' users are the overall users, split by the exposure table's column.
    exposures, events = tables()
    hand = by_hand(exposures, events, query("sum", end=timezone.localdate()))
    overall_users = sum(c[0] for c in hand.values())
    assert sum(s["users"] for s in body["slices"]) == overall_users
    treated = [s["results"][1] for s in body["slices"]]
    assert all(r["variant"] == "treatment" for r in treated)
    raw = sorted(r["p_value"] for r in treated)
    corrected = sorted(r["p_value_across_slices"] for r in treated)
    assert corrected[0] == pytest.approx(min(1.0, 2 * raw[0]))  # Holm over two slices


def test_an_unknown_dimension_is_a_400_listing_the_experiments_dimensions(world):
    refresh_experiment(world["experiment"].pk, actor=None)
    response = client_for(world["analyst"]).get(results_url(world["experiment"], "?dimension=os"))
    assert response.status_code == 400
    assert problem(response)["status"] == 400
    [message] = problem_errors(response)["dimension"]
    assert "“os”" in message and "the known ones: form_factor, device, country" in message


def test_the_panel_offers_the_sources_dimension_and_draws_its_slices(world, client):
    refresh_experiment(world["experiment"].pk, actor=None)
    experiments_analyse([world["experiment"].pk])  # the panel offers slices beside results
    client.force_login(world["analyst"])
    url = f"/experiments/{world['experiment'].pk}/results/"
    html = client.get(url).content.decode()
    assert '<option value="form_factor">form factor</option>' in html
    assert '<option value="device">device</option>' in html
    sliced = client.get(
        url + "?dimension=form_factor", headers={"HX-Request": "true", "HX-Target": "slices"}
    ).content.decode()
    assert 'data-slice="mobile" data-variant="treatment"' in sliced
    assert "2 slices of form_factor" in sliced


def test_the_selector_reads_the_sources_dimension(world):
    refresh_experiment(world["experiment"].pk, actor=None)
    computed = results_computed(world["experiment"], user=world["analyst"], dimension="form_factor")
    assert {s.value for s in computed.slices} == {"mobile", "desktop"}
    assert computed.correction == "holm"


def test_an_upload_still_names_only_the_organisations_dimensions(world):
    refresh_experiment(world["experiment"].pk, actor=None)
    row = {
        "date": "2026-11-02",
        "variant": "control",
        "metric": "purchases",
        "users": 10,
        "conversions": 1,
        "dimension": "form_factor",
        "dimension_value": "tablet",
    }
    response = client_for(world["analyst"]).post(
        f"/api/v1/experiments/{world['experiment'].pk}/observations/", [row], format="json"
    )
    assert response.status_code == 400
    [message] = problem_errors(response)["row 1"]
    assert message.startswith("dimension: ") and "the known ones: device, country" in message
    assert not Observation.objects.filter(dimension_value="tablet").exists()
