"""A ``bigquery`` source's queries through google-cloud-bigquery, against a LOCAL STAND-IN for
BigQuery's REST API (tests/warehouse/bigquery_stand_in.py), not BigQuery itself.

The stand-in answers the calls the client makes for a query (jobs.query, getQueryResults,
jobs.get, jobs.cancel) by transpiling the BigQuery SQL to DuckDB with sqlglot and running it on
the DuckDB file the other engine tests read. What this checks: how we use the client (the job's
time limit, default dataset, bytes-billed cap, reading at most cap + 1 rows, dry runs, errors
without the setting in them) and that the BigQuery SQL we render gives the numbers of DuckDB and
the hand computation. What it cannot check: BigQuery's own behaviour (its SQL engine, its exact
error wording, billing, IAM).
"""

import json
import time

import pytest

from tests.conftest import person
from warehouse import engines
from warehouse.bigquery import parse
from warehouse.engines import Connection, QueryFailed, run
from warehouse.models import RefreshRun
from warehouse.refresh import refresh_experiment
from warehouse.services import datasource_test
from warehouse.sql import render, render_combined

from .bigquery_stand_in import DATASET, PROJECT, TOKEN, TOKEN_PATH, StandIn
from .data import query
from .engines import duckdb_file
from .helpers import ENV, warehouse_experiment, warehouse_source
from .test_engines import AGGREGATIONS, combined_numbers, combined_queries, expected, numbers
from .test_refresh import expected as refreshed_by_hand
from .test_refresh import stored

SLOW = "SELECT COUNT(*) AS n FROM events a, events b, events c, events d, events e, events f"


@pytest.fixture(scope="module")
def duckdb_path(tmp_path_factory):
    return duckdb_file(tmp_path_factory.mktemp("bigquery"))


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory):
    # A file of its own with the same tables: DuckDB opens a file once per process.
    with StandIn(duckdb_file(tmp_path_factory.mktemp("stand-in"))) as server:
        yield server


@pytest.fixture
def calls(stand_in):
    """The API calls made during the test."""
    stand_in.requests.clear()
    stand_in.authorizations.clear()
    stand_in.timeline.clear()
    return stand_in.requests


def bigquery(stand_in, timeout=30, cap=1000, **options):
    return Connection("bigquery", stand_in.url(**options), timeout, cap)


@pytest.mark.parametrize("aggregation", AGGREGATIONS)
def test_each_metric_kind_gives_the_numbers_of_duckdb_and_the_hand_computation(
    stand_in, duckdb_path, aggregation
):
    outcome = run(bigquery(stand_in), render(query(aggregation), "bigquery"))
    duckdb = run(Connection("duckdb", duckdb_path, 30, 1000), render(query(aggregation), "duckdb"))
    assert numbers(outcome) == numbers(duckdb) == expected(aggregation)
    assert outcome.columns == duckdb.columns


def test_a_device_slice_gives_duckdbs_rows(stand_in, duckdb_path):
    sliced = query("sum", dimension_column="device_category")
    outcome = run(bigquery(stand_in), render(sliced, "bigquery"))
    duckdb = run(Connection("duckdb", duckdb_path, 30, 1000), render(sliced, "duckdb"))
    assert sorted(outcome.rows) == sorted(duckdb.rows)
    assert {row[3] for row in outcome.rows} == {"mobile", "desktop"}


def test_one_combined_query_gives_each_metric_its_own_query_numbers(stand_in):
    queries = combined_queries()
    connection = bigquery(stand_in)
    combined = combined_numbers(run(connection, render_combined(queries, "bigquery")), 5)
    assert combined == [numbers(run(connection, render(q, "bigquery"))) for q in queries]
    assert combined[:4] == [expected(a) for a in AGGREGATIONS]


def test_the_job_carries_the_sources_limits(stand_in, calls):
    run(bigquery(stand_in, timeout=45, cap=500), render(query("sum"), "bigquery"))
    [(method, path, _, body)] = calls
    assert (method, path) == ("POST", f"/bigquery/v2/projects/{PROJECT}/queries")
    assert body["jobTimeoutMs"] == "45000"
    assert body["maxResults"] == 501
    assert body["defaultDataset"] == {"projectId": PROJECT, "datasetId": DATASET}
    assert body["useLegacySql"] is False and body["dryRun"] is False
    assert "maximumBytesBilled" not in body
    assert stand_in.authorizations == [None]  # anonymous: no token sent


def test_a_bytes_billed_cap_is_sent_and_its_refusal_said(stand_in, calls):
    enough = bigquery(stand_in, maximum_bytes_billed=10**12)
    assert run(enough, "SELECT COUNT(*) AS n FROM events").rows[0][0] > 0
    assert calls[0][3]["maximumBytesBilled"] == str(10**12)
    with pytest.raises(QueryFailed, match="BigQuery refused the query: Query exceeded limit for"):
        run(bigquery(stand_in, maximum_bytes_billed=1000), "SELECT COUNT(*) AS n FROM events")


def test_a_result_over_the_row_cap_is_refused_after_reading_cap_plus_one_rows(stand_in, calls):
    with pytest.raises(QueryFailed, match="row cap of 2 rows"):
        run(bigquery(stand_in, cap=2), render(query("sum"), "bigquery"))
    assert calls[0][3]["maxResults"] == 3
    job = list(stand_in.jobs.values())[-1]
    assert len(job.rows) > 3  # the result had more; no further page was asked for
    assert not [c for c in calls if c[2].get("pageToken") or c[1].endswith("/data")]


def test_a_query_past_the_time_limit_is_stopped(stand_in, calls):
    started = time.monotonic()
    with pytest.raises(QueryFailed, match="time limit of 1 s"):
        run(bigquery(stand_in, timeout=1), SLOW)
    waited = time.monotonic() - started
    assert waited < 5, f"gave up after {waited:.1f} s; the calls: {stand_in.timeline}"
    assert calls[0][3]["jobTimeoutMs"] == "1000"
    # The job ran past one answer, so the client polled it, then cancelled it on the error.
    assert any(path.endswith("/cancel") for _, path, _, _ in calls)


def test_a_job_bigquery_does_not_stop_is_cancelled_when_the_wait_ends(tmp_path, monkeypatch):
    monkeypatch.setattr("warehouse.bigquery.GRACE_SECONDS", 1)
    with StandIn(duckdb_file(tmp_path), stops_jobs=False) as deaf:
        started = time.monotonic()
        with pytest.raises(QueryFailed, match="time limit of 1 s"):
            run(bigquery(deaf, timeout=1), SLOW)
        waited = time.monotonic() - started
        # The wait is 2 s; the client looks at the clock between calls, and a call may take
        # up to 2 s more, the cancel as long. Under 10 s: the 1 s grace counted, not the 10 s.
        assert waited < 10, f"gave up after {waited:.1f} s; the calls: {deaf.timeline}"
        assert any(path.endswith("/cancel") for _, path, _, _ in deaf.requests)
        [job] = deaf.jobs.values()
        assert job.done.wait(5) and job.cancelled and job.error.reason == "stopped"


def test_a_refused_query_says_why_without_the_setting(stand_in):
    with pytest.raises(QueryFailed, match="BigQuery refused the query: ") as refused:
        run(bigquery(stand_in), "SELECT * FROM no_such_table")
    assert "no_such_table" in str(refused.value)
    for part in (stand_in.endpoint, "anonymous", "127.0.0.1", "bigquery://"):
        assert part not in str(refused.value)


def test_a_table_without_a_dataset_needs_the_default_dataset(stand_in):
    no_dataset = Connection("bigquery", stand_in.url().replace(f"/{DATASET}?", "?"), 30, 10)
    with pytest.raises(QueryFailed, match="must be qualified with a dataset"):
        run(no_dataset, "SELECT COUNT(*) AS n FROM events")
    assert run(no_dataset, f"SELECT COUNT(*) AS n FROM {DATASET}.events").rows[0][0] > 0


def test_test_connection_is_a_dry_run(stand_in, calls):
    outcome = engines.test_connection(bigquery(stand_in))
    assert outcome.rows == [] and outcome.duration_ms >= 0
    [(_, _, _, body)] = calls
    assert body["dryRun"] is True and body["query"] == "SELECT 1 AS ok"
    elsewhere = stand_in.url().replace(f"//{PROJECT}/", "//another-project/")
    with pytest.raises(QueryFailed, match="does not have bigquery.jobs.create permission"):
        engines.test_connection(Connection("bigquery", elsewhere, 30, 10))


def test_a_service_account_key_file_gets_a_token_and_sends_it(stand_in, calls, tmp_path):
    key = tmp_path / "key.json"
    key.write_text(json.dumps(service_account_key(f"{stand_in.endpoint}{TOKEN_PATH}")))
    connection = Connection("bigquery", stand_in.url(credentials=key), 30, 10)
    assert run(connection, "SELECT 2 AS two").rows == [(2,)]
    assert calls[0][1] == TOKEN_PATH
    assert stand_in.authorizations[-1] == f"Bearer {TOKEN}"


def test_bad_settings_fail_without_showing_them(stand_in, tmp_path):
    secret = '{"type": "service_account", "private_key": "SECRET-KEY-TEXT"}'
    cases = {
        secret: "not a service account's JSON key",
        "SECRET-KEY-TEXT": "a service account's JSON key or a bigquery://",
        f"bigquery://{PROJECT}/{DATASET}?SECRET-KEY-TEXT=1": "malformed",
        f"bigquery://{PROJECT}/{DATASET}?maximum_bytes_billed=SECRET-KEY-TEXT": "not a number",
        stand_in.url(credentials=tmp_path / "SECRET-KEY-TEXT.json"): "cannot be read",
    }
    for setting, reason in cases.items():
        with pytest.raises(QueryFailed, match=reason) as failed:
            run(Connection("bigquery", setting, 30, 10), "SELECT 1 AS ok")
        assert "SECRET-KEY-TEXT" not in str(failed.value)


def test_a_key_names_the_project_and_no_default_dataset():
    settings = parse(json.dumps(service_account_key("https://oauth2.googleapis.com/token")))
    assert (settings.project, settings.dataset) == ("growthops-key-project", "")
    assert settings.credentials.service_account_email.startswith("reader@")


@pytest.mark.django_db
def test_a_source_is_tested_and_refreshed_through_the_stand_in(
    stand_in, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setenv(ENV, stand_in.url())
    source = warehouse_source(name="GA4 export", kind="bigquery")
    cmo = person("cmo")
    tested = datasource_test(actor=cmo, datasource_id=source.pk)
    assert tested.last_test_ok is True, tested.last_test_message
    assert tested.last_test_message.startswith("Connected: answered in")

    experiment = warehouse_experiment(person("operator"), source)
    with django_capture_on_commit_callbacks(execute=True):
        refresh = refresh_experiment(experiment.pk, actor=person("analyst"))
    assert refresh.status == RefreshRun.Status.SUCCEEDED, refresh.error
    assert stored(experiment, "purchases") == refreshed_by_hand("conversion")
    assert stored(experiment, "revenue") == refreshed_by_hand("sum")
    assert refresh.rows > 0 and refresh.written == refresh.rows
    assert all("FROM `events`" in s["sql"] for s in refresh.statements)


def service_account_key(token_uri: str) -> dict:
    """A service account's key of our own making (a fresh RSA key), as Google issues them."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": "growthops-key-project",
        "private_key_id": "0" * 40,
        "private_key": pem,
        "client_email": "reader@growthops-key-project.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": token_uri,
    }
