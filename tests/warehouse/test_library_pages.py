"""The set-up pages of the warehouse: data sources (/data-sources/) and the metric library
(/metrics/). Who may open and post them follows the capability table; every write goes through
the services (a changed definition is a new version); bad input is explained and writes nothing.
"""

import re

import pytest
from django.test import Client

from experiments.models import Metric
from tests.factories import MetricFactory
from tests.helpers import signed_in
from warehouse.models import DataSource, MetricDefinition

from .engines import duckdb_file
from .helpers import ENV, definition, warehouse_source

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        sorted(DataSource.objects.values_list(), key=str),
        sorted(Metric.objects.values_list(), key=str),
        sorted(MetricDefinition.objects.values_list(), key=str),
    )


SOURCE = {
    "name": "Analytics warehouse",
    "kind": "postgres",
    "connection_ref": "env:ANALYTICS_DSN",
    "read_only_role": "growthops_reader",
    "statement_timeout_seconds": "30",
    "row_cap": "50000",
    "exposure_table": "analytics.exposures",
    "experiment_column": "experiment_key",
    "variant_column": "variant_key",
    "user_column": "user_pseudo_id",
    "time_column": "exposed_at",
    "dimension_columns": "device=device_category, country",
}


def metric_body(of, **changes):
    body = {
        "key": "checkout_conversion",
        "name": "Checkout conversion",
        "description": "Users who bought.",
        "source": str(of.pk),
        "fact_table": "analytics.events_flat",
        "user_column": "user_pseudo_id",
        "time_column": "event_timestamp",
        "aggregation": "conversion",
        "value_expression": "1",
        "denominator_expression": "",
        "filters": '[{"column": "event_name", "op": "=", "value": "purchase"}]',
        "conversion_window_hours": "72",
        "covariate_days": "14",
        "direction": "higher",
        "unit": "%",
        "note": "First definition",
    }
    body.update(changes)
    return body


SOURCE_PAGES = [
    ("get", "/data-sources/"),
    ("get", "/data-sources/new/"),
    ("post", "/data-sources/new/"),
    ("get", "/data-sources/{source}/"),
    ("post", "/data-sources/{source}/"),
    ("post", "/data-sources/{source}/test/"),
]
METRIC_PAGES = [
    ("get", "/metrics/"),
    ("get", "/metrics/new/"),
    ("post", "/metrics/new/"),
    ("get", "/metrics/{metric}/"),
    ("get", "/metrics/{metric}/edit/"),
    ("post", "/metrics/{metric}/edit/"),
]


@pytest.mark.parametrize("role", ["operator", "marketer"])
@pytest.mark.parametrize(("method", "url"), SOURCE_PAGES)
def test_only_the_cmo_and_analysts_may_open_or_post_the_sources_pages(cast, role, method, url):
    source = warehouse_source()
    before = snapshot()
    response = getattr(signed_in(cast[role]), method)(url.format(source=source.pk), SOURCE)
    assert response.status_code == 403
    assert "Only Analyst, CMO may add and edit data sources" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("role", ["operator", "marketer"])
@pytest.mark.parametrize(("method", "url"), METRIC_PAGES)
def test_only_the_cmo_and_analysts_may_open_or_post_the_metric_pages(cast, role, method, url):
    source = warehouse_source()
    metric = MetricFactory(key="purchases", kind=Metric.Kind.BINOMIAL)
    definition(metric, source, "conversion")
    before = snapshot()
    client = signed_in(cast[role])
    response = getattr(client, method)(url.format(metric=metric.pk), metric_body(source))
    assert response.status_code == 403
    assert "Only Analyst, CMO may create and edit metrics" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("role", ["operator", "marketer", "analyst"])
def test_only_the_cmo_marks_a_version_official(cast, role):
    metric = MetricFactory(key="purchases", kind=Metric.Kind.BINOMIAL)
    definition(metric, warehouse_source(), "conversion")
    response = signed_in(cast[role]).post(f"/metrics/{metric.pk}/official/", {"version": "1"})
    assert response.status_code == 403
    assert "Only CMO may mark a metric" in response.content.decode()
    assert MetricDefinition.objects.get().official_at is None


def test_anonymous_is_sent_to_sign_in(cmo):
    for url in ("/data-sources/", "/metrics/"):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_links_show_only_for_those_who_may(cast):
    for role in ("cmo", "analyst"):
        page = signed_in(cast[role]).get("/").content.decode()
        assert 'id="metrics-link"' in page and 'id="sources-link"' in page
    for role in ("operator", "marketer"):
        page = signed_in(cast[role]).get("/").content.decode()
        assert 'id="metrics-link"' not in page and 'id="sources-link"' not in page


def test_the_source_form_says_what_the_setting_holds_for_every_kind(analyst):
    html = signed_in(analyst).get("/data-sources/new/").content.decode()
    explained = re.search(r'<dl class="mb-2" id="setting-by-kind">(.*?)</dl>', html, re.S)
    names = re.findall(r"<dt>(.*?)</dt>", explained.group(1))
    assert names == [label.split(" (")[0] for label in DataSource.Kind.labels]
    assert "bigquery://PROJECT/DATASET" in explained.group(1)
    assert "clickhouse://" in explained.group(1)


def test_an_analyst_adds_and_edits_a_source_and_the_list_shows_the_reference_only(
    analyst, monkeypatch
):
    monkeypatch.setenv("ANALYTICS_DSN", "postgresql://reader:s3cret-value@db/warehouse")
    client = signed_in(analyst)
    response = client.post("/data-sources/new/", SOURCE)
    assert response.status_code == 302
    source = DataSource.objects.get()
    assert (source.name, source.kind, source.connection_ref, source.created_by) == (
        "Analytics warehouse",
        "postgres",
        "env:ANALYTICS_DSN",
        analyst,
    )
    assert source.dimension_columns == ["device=device_category", "country"]
    listing = client.get("/data-sources/").content.decode()
    assert "Analytics warehouse" in listing and "env:ANALYTICS_DSN" in listing
    assert "s3cret-value" not in listing
    edit = client.get(f"/data-sources/{source.pk}/").content.decode()
    assert "device=device_category, country" in edit and "s3cret-value" not in edit

    response = client.post(f"/data-sources/{source.pk}/", {**SOURCE, "row_cap": "1000"})
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.row_cap == 1000


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("connection_ref", "postgresql://reader:pw@db/x", "Name an environment variable"),
        ("exposure_table", "x; DROP TABLE y", "Letters, digits"),
        ("dimension_columns", "device, device", "each named once"),
        ("dimension_columns", "bad column", "Letters, digits and _ only"),
        ("dimension_columns", "Device_Category", "a dimension&#x27;s name is lower-case"),
        ("row_cap", "0", "greater than or equal to 1"),
    ],
)
def test_a_bad_source_is_explained_next_to_the_field_and_nothing_is_written(
    cmo, field, value, message
):
    client = signed_in(cmo)
    response = client.post("/data-sources/new/", {**SOURCE, field: value})
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="id_{field}_errors"' in page and message in page
    assert value.split(",")[0] in page  # what was typed is kept
    assert not DataSource.objects.exists()


def test_test_connection_shows_the_result_as_a_message(cmo, tmp_path, monkeypatch):
    source = warehouse_source()
    client = signed_in(cmo)
    monkeypatch.delenv(ENV, raising=False)
    failed = client.post(f"/data-sources/{source.pk}/test/", follow=True).content.decode()
    assert f"{ENV} is not set" in failed
    source.refresh_from_db()
    assert source.last_test_ok is False

    monkeypatch.setenv(ENV, duckdb_file(tmp_path))
    ok = client.post(f"/data-sources/{source.pk}/test/", follow=True).content.decode()
    assert "Connected: answered in" in ok
    source.refresh_from_db()
    assert source.last_test_ok is True
    assert client.get(f"/data-sources/{source.pk}/test/").status_code == 405


def test_an_analyst_defines_a_metric_and_each_change_is_a_new_version(analyst):
    source = warehouse_source()
    client = signed_in(analyst)
    response = client.post("/metrics/new/", metric_body(source))
    metric = Metric.objects.get(key="checkout_conversion")
    assert response.status_code == 302 and response["Location"] == f"/metrics/{metric.pk}/"
    first = metric.definitions.get()
    assert (first.version, first.fact_table, first.aggregation, first.created_by) == (
        1,
        "analytics.events_flat",
        "conversion",
        analyst,
    )
    assert first.filters == [{"column": "event_name", "op": "=", "value": "purchase"}]
    assert metric.kind == Metric.Kind.BINOMIAL

    edit_page = client.get(f"/metrics/{metric.pk}/edit/").content.decode()
    assert "analytics.events_flat" in edit_page
    changed = metric_body(source, conversion_window_hours="48", note="Two days")
    response = client.post(f"/metrics/{metric.pk}/edit/", changed, follow=True)
    assert "Saved as version 2" in response.content.decode()
    versions = list(
        metric.definitions.order_by("version").values_list("version", "conversion_window_hours")
    )
    assert versions == [(1, 72), (2, 48)]

    same = client.post(f"/metrics/{metric.pk}/edit/", changed, follow=True).content.decode()
    assert "unchanged: no new version" in same
    assert metric.definitions.count() == 2

    listing = client.get("/metrics/").content.decode()
    assert "Checkout conversion" in listing and "v2" in listing and source.name in listing
    detail = client.get(f"/metrics/{metric.pk}/").content.decode()
    assert "v1" in detail and "v2" in detail and "Two days" in detail
    assert 'id="mark-official"' not in detail  # analysts do not stamp


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"value_expression": "(SELECT 1)"}, "value_expression", ""),
        ({"filters": "not json"}, "filters", "Enter a valid JSON"),
        ({"fact_table": "a b"}, "fact_table", "Letters, digits"),
        ({"source": "999999"}, "source", "Select a valid choice"),
        ({"conversion_window_hours": "0"}, "conversion_window_hours", "greater than"),
    ],
)
def test_a_bad_definition_is_explained_next_to_the_field_and_nothing_is_written(
    cmo, changes, field, message
):
    source = warehouse_source()
    before = snapshot()
    response = signed_in(cmo).post("/metrics/new/", metric_body(source, **changes))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="id_{field}_errors"' in page and message in page
    assert "Nothing was saved" in page
    assert snapshot() == before


def test_the_key_of_a_metric_never_changes_on_edit(cmo):
    source = warehouse_source()
    metric = MetricFactory(key="purchases", kind=Metric.Kind.BINOMIAL)
    definition(metric, source, "conversion")
    signed_in(cmo).post(f"/metrics/{metric.pk}/edit/", metric_body(source, key="other"))
    metric.refresh_from_db()
    assert metric.key == "purchases"


def test_the_cmo_marks_the_latest_version_official(cmo):
    source = warehouse_source()
    metric = MetricFactory(key="purchases", kind=Metric.Kind.BINOMIAL)
    definition(metric, source, "conversion")
    definition(metric, source, "conversion", version=2, conversion_window_hours=24)
    client = signed_in(cmo)
    assert 'id="mark-official"' in client.get(f"/metrics/{metric.pk}/").content.decode()
    response = client.post(f"/metrics/{metric.pk}/official/", {"version": "2"}, follow=True)
    page = response.content.decode()
    assert "Version 2 is now official" in page and 'id="official-badge"' in page
    stamped = MetricDefinition.objects.get(metric=metric, version=2)
    assert stamped.official_by == cmo and stamped.official_at is not None
    assert MetricDefinition.objects.get(metric=metric, version=1).official_at is None
    bad = client.post(f"/metrics/{metric.pk}/official/", {"version": "7"}, follow=True)
    assert "no such version" in bad.content.decode()


def test_the_metric_list_reads_a_bounded_number_of_queries(cmo, django_assert_max_num_queries):
    source = warehouse_source()
    for n in range(30):
        metric = MetricFactory(key=f"m{n}", kind=Metric.Kind.MEAN)
        definition(metric, source, "sum")
        definition(metric, source, "sum", version=2)
    client = signed_in(cmo)
    with django_assert_max_num_queries(12):
        assert client.get("/metrics/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/data-sources/").status_code == 200


def test_a_taken_key_or_a_bad_edit_is_explained_and_writes_nothing(analyst):
    source = warehouse_source()
    metric = MetricFactory(key="purchases", name="Purchases", kind=Metric.Kind.BINOMIAL)
    definition(metric, source, "conversion")
    client = signed_in(analyst)
    before = snapshot()
    taken = client.post("/metrics/new/", metric_body(source, key="purchases"))
    assert taken.status_code == 200
    assert 'id="id_key_errors"' in taken.content.decode()
    assert "already exists" in taken.content.decode()
    bad = client.post(
        f"/metrics/{metric.pk}/edit/",
        metric_body(source, key="purchases", value_expression="(SELECT secret FROM users)"),
    )
    assert bad.status_code == 200
    page = bad.content.decode()
    assert 'id="id_value_expression_errors"' in page and "(SELECT secret FROM users)" in page
    assert snapshot() == before


def test_a_source_name_already_taken_is_explained_on_edit(cmo):
    warehouse_source(name="Other")
    source = warehouse_source()
    before = snapshot()
    response = signed_in(cmo).post(f"/data-sources/{source.pk}/", {**SOURCE, "name": "Other"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_name_errors"' in page and "already exists" in page
    assert "<h1>Test DuckDB</h1>" in page  # the stored name, not the one typed
    assert snapshot() == before
