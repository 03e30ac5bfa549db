"""The experiment page's warehouse panel: source, last run with its SQL and time, Refresh."""

import pytest

from tests.conftest import person
from tests.helpers import signed_in

from .engines import duckdb_file
from .helpers import ENV, warehouse_experiment, warehouse_source

pytestmark = pytest.mark.django_db


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


def test_an_operator_names_changes_and_removes_the_exposure_source_on_the_panel():
    from warehouse.models import ExperimentSource

    source = warehouse_source()
    experiment = warehouse_experiment(person("operator"), source)
    ExperimentSource.objects.filter(experiment=experiment).delete()
    page = signed_in(person("operator"))
    url = f"/experiments/{experiment.pk}/warehouse/source/"
    panel = page.get(f"/experiments/{experiment.pk}/warehouse/").content.decode()
    assert "No exposure source" in panel and 'id="exposure-source-form"' in panel

    answer = page.post(
        url, {"source": source.pk, "experiment_key": "ga4-key"}, HTTP_HX_REQUEST="true"
    )
    assert answer.status_code == 200
    link = ExperimentSource.objects.get(experiment=experiment)
    assert (link.source, link.experiment_key) == (source, "ga4-key")
    assert "Exposures from <strong>Test DuckDB</strong>" in answer.content.decode()

    assert page.post(url, {"source": source.pk, "experiment_key": ""}).status_code == 302
    assert ExperimentSource.objects.get(experiment=experiment).key == experiment.key

    answer = page.post(url, {"source": "999999"}, HTTP_HX_REQUEST="true")
    assert "Select a valid choice" in answer.content.decode()
    assert ExperimentSource.objects.get(experiment=experiment).source == source

    page.post(url, {"source": ""})
    assert not ExperimentSource.objects.filter(experiment=experiment).exists()


def test_a_marketer_sees_no_source_form_and_cannot_name_a_source():
    from warehouse.models import ExperimentSource

    source = warehouse_source()
    experiment = warehouse_experiment(person("operator"), source)
    page = signed_in(person("marketer"))
    panel = page.get(f"/experiments/{experiment.pk}/warehouse/").content.decode()
    assert 'id="exposure-source-form"' not in panel
    answer = page.post(f"/experiments/{experiment.pk}/warehouse/source/", {"source": ""})
    assert answer.status_code == 403
    assert ExperimentSource.objects.filter(experiment=experiment, source=source).exists()


def test_the_progress_bar_counts_the_statements_sent():
    from warehouse.models import RefreshRun

    experiment = warehouse_experiment(person("operator"), warehouse_source())
    run = RefreshRun.objects.create(
        experiment=experiment, status="running", statements_planned=3, statements_sent=1
    )
    panel = signed_in(person("operator")).get(f"/experiments/{experiment.pk}/warehouse/")
    html = panel.content.decode()
    assert "1 of 3 queries done" in html and 'value="25" max="100"' in html
    assert RefreshRun.objects.get(pk=run.pk).progress == 25
    run.status = "queued"
    assert run.progress == 0
    run.status = "failed"
    assert run.progress == 100
