"""The warehouse set-up pages in headless Chromium: from the Strategy menu, the CMO adds a
DuckDB source, tests its connection, defines a metric in it and marks it official."""

import pytest

from experiments.models import Metric
from tests.browser import new_page, settle, shoot, sign_in
from warehouse.models import DataSource, MetricDefinition

from .engines import duckdb_file
from .helpers import ENV

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_cmo_sets_up_a_source_and_an_official_metric(
    browser, live_server, cmo, tmp_path, monkeypatch
):
    monkeypatch.setenv(ENV, duckdb_file(tmp_path))
    page = new_page(browser)
    sign_in(page, live_server, "cmo")
    navbar = page.locator("nav.app-navbar")
    assert navbar.evaluate("n => n.scrollWidth <= n.clientWidth")  # nothing spills at 1280 px

    page.click("#strategy-menu")
    page.click("#sources-link")
    settle(page)
    assert page.locator("h1").inner_text() == "Data sources"
    page.click("#add-source")
    page.fill("#id_name", "Local DuckDB")
    page.select_option("#id_kind", "duckdb")
    page.fill("#id_connection_ref", f"env:{ENV}")
    page.fill("#id_dimension_columns", "device=device_category")
    shoot(page, "warehouse-source-new")
    page.click("#source-form button[type=submit]")
    page.wait_for_selector("#sources")
    source = DataSource.objects.get()
    assert source.connection_ref == f"env:{ENV}"
    page.click("#sources button:has-text('Test connection')")
    page.wait_for_selector(".alert-success")
    assert "Connected: answered in" in page.locator(".alert-success").inner_text()
    shoot(page, "warehouse-sources")

    page.click("#strategy-menu")
    page.click("#metrics-link")
    settle(page)
    page.click("#define-metric")
    page.fill("#id_key", "purchases")
    page.fill("#id_name", "Purchases")
    page.select_option("#id_source", str(source.pk))
    page.fill("#id_fact_table", "events")
    page.select_option("#id_aggregation", "conversion")
    page.fill("#id_filters", '[{"column": "event_name", "op": "=", "value": "purchase"}]')
    shoot(page, "warehouse-metric-new")
    page.click("#metric-form button[type=submit]")
    page.wait_for_selector("#mark-official")
    metric = Metric.objects.get(key="purchases")
    assert metric.definitions.get().version == 1
    page.click("#mark-official")
    page.wait_for_selector("#official-badge")
    assert MetricDefinition.objects.get().official_by == cmo
    shoot(page, "warehouse-metric-detail")
    page.goto(f"{live_server.url}/metrics/")
    assert "Official" in page.locator("#metrics").inner_text()
    shoot(page, "warehouse-metrics")
    assert page.console_errors == []
