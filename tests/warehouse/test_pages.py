"""The experiment page's warehouse panel: source, last run with its SQL and time, Refresh."""

import pytest
from django.test import Client

from tests.conftest import person

from .engines import duckdb_file
from .helpers import ENV, warehouse_experiment, warehouse_source

pytestmark = pytest.mark.django_db


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_panel_shows_the_sql_that_ran_and_refreshes(
    tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setenv(ENV, duckdb_file(tmp_path))
    operator = person("operator")
    experiment = warehouse_experiment(operator, warehouse_source())
    page = signed_in(operator)
    before = page.get(f"/experiments/{experiment.pk}/warehouse/").content.decode()
    assert "Not refreshed yet" in before and "Refresh from the warehouse" in before
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post(f"/experiments/{experiment.pk}/warehouse/refresh/")
    assert response.status_code == 302
    after = page.get(f"/experiments/{experiment.pk}/warehouse/").content.decode()
    assert "Succeeded" in after and "purchases v1" in after
    assert "GROUP BY" in after and " ms" in after
    detail = page.get(f"/experiments/{experiment.pk}/").content.decode()
    assert f"/experiments/{experiment.pk}/warehouse/" in detail
    # Each metric's results say which definition version computed them.
    results = page.get(f"/experiments/{experiment.pk}/results/").content.decode()
    assert results.count('data-metric-version="1"') == 2


def test_a_marketer_reads_the_panel_without_a_refresh_button_and_cannot_force_one(tmp_path):
    experiment = warehouse_experiment(person("operator"), warehouse_source())
    page = signed_in(person("marketer"))
    panel = page.get(f"/experiments/{experiment.pk}/warehouse/").content.decode()
    assert "Test DuckDB" in panel and "Refresh from the warehouse" not in panel
    assert page.post(f"/experiments/{experiment.pk}/warehouse/refresh/").status_code == 403


def test_a_failed_refresh_says_why_on_the_panel(monkeypatch):
    from warehouse.refresh import refresh_experiment

    monkeypatch.delenv(ENV, raising=False)
    operator = person("operator")
    experiment = warehouse_experiment(operator, warehouse_source())
    refresh_experiment(experiment.pk, actor=None)
    panel = signed_in(operator).get(f"/experiments/{experiment.pk}/warehouse/").content.decode()
    assert "Nothing was written" in panel and f"{ENV} is not set" in panel
