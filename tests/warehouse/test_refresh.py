"""A refresh: the warehouse's daily sums become observations (source ``warehouse``), once,
with the SQL that ran recorded; a failure writes nothing and says why (run, alert)."""

import datetime as dt

import pytest
from django.utils import timezone

from analytics.models import Alert, AnalysisState, Observation, Result
from growthops.errors import NotPermitted
from tests.conftest import person
from warehouse.engines import QueryOutcome
from warehouse.models import MetricDefinition, RefreshRun
from warehouse.refresh import Target, _overall, _write, refresh_batch, refresh_experiment

from .data import by_hand, query, tables
from .engines import duckdb_file
from .helpers import ENV, definition, warehouse_experiment, warehouse_source

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def warehouse_path(tmp_path_factory):
    return duckdb_file(tmp_path_factory.mktemp("refresh"))


@pytest.fixture
def world(warehouse_path, monkeypatch):
    monkeypatch.setenv(ENV, warehouse_path)
    analyst = person("analyst")
    source = warehouse_source()
    experiment = warehouse_experiment(person("operator"), source)
    return {"analyst": analyst, "source": source, "experiment": experiment}


def stored(experiment, metric_key):
    rows = Observation.objects.filter(experiment=experiment, metric__key=metric_key, dimension="")
    return {
        (o.variant.key, o.date): (
            o.users,
            o.conversions if o.conversions is not None else o.sum,
            o.covariate_sum,
            o.cross_sum,
        )
        for o in rows.select_related("variant")
    }


def expected(aggregation):
    exposures, events = tables()
    hand = by_hand(exposures, events, query(aggregation, end=timezone.localdate()))
    return {key: (c[0], c[1], c[3], c[5]) for key, c in hand.items()}


def test_a_refresh_writes_the_warehouse_numbers_and_analyses_them(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = refresh_experiment(world["experiment"].pk, actor=world["analyst"])
    assert run.status == RefreshRun.Status.SUCCEEDED, run.error
    assert stored(world["experiment"], "purchases") == expected("conversion")
    assert stored(world["experiment"], "revenue") == expected("sum")
    assert {o.source for o in Observation.objects.all()} == {"warehouse"}
    # The run keeps the SQL that ran, the metric versions it computed, and how long it took:
    # both metrics read the events table, so one query computes them together.
    assert [[(m["metric"], m["version"]) for m in s["metrics"]] for s in run.statements] == [
        [("purchases", 1), ("revenue", 1)]
    ]
    assert all('FROM "events"' in s["sql"] and s["duration_ms"] >= 0 for s in run.statements)
    assert run.written == Observation.objects.count() == run.rows
    # Its progress counted each statement it planned and sent, as stored.
    run.refresh_from_db()
    assert run.statements_sent == run.statements_planned == len(run.statements) == 1
    assert run.progress == 100
    assert sorted(v.metric.key for v in run.metric_versions.all()) == ["purchases", "revenue"]
    # Analysis follows as after an upload (tasks run in-process in tests).
    assert Result.objects.filter(experiment=world["experiment"]).exists()
    assert AnalysisState.objects.get(experiment=world["experiment"]).stale is False


def test_a_second_refresh_rewrites_the_same_rows(world):
    refresh_experiment(world["experiment"].pk, actor=None)
    before = stored(world["experiment"], "revenue")
    count = Observation.objects.count()
    run = refresh_experiment(world["experiment"].pk, actor=None)
    assert run.status == "succeeded"
    assert Observation.objects.count() == count
    assert stored(world["experiment"], "revenue") == before


def test_a_new_version_is_what_the_next_refresh_computes_and_records(world):
    refresh_experiment(world["experiment"].pk, actor=None)
    revenue = world["experiment"].secondary_metrics.get()
    definition(revenue, world["source"], "sum", version=2, value_expression="value * 2")
    run = refresh_experiment(world["experiment"].pk, actor=None)
    doubled = {k: (u, s * 2, x * 2, xy * 4) for k, (u, s, x, xy) in expected("sum").items()}
    assert stored(world["experiment"], "revenue") == doubled
    assert {"metric": "revenue", "version": 2} in run.statements[0]["metrics"]


def test_each_row_and_result_records_the_definition_version_that_computed_it(
    world, django_capture_on_commit_callbacks
):
    experiment = world["experiment"]
    with django_capture_on_commit_callbacks(execute=True):
        refresh_experiment(experiment.pk, actor=None)
    assert set(Observation.objects.values_list("metric__key", "metric_version")) == {
        ("purchases", 1),
        ("revenue", 1),
    }
    assert set(Result.objects.values_list("metric__key", "metric_version")) == {
        ("purchases", 1),
        ("revenue", 1),
    }
    revenue = experiment.secondary_metrics.get()
    definition(revenue, world["source"], "sum", version=2, value_expression="value * 2")
    with django_capture_on_commit_callbacks(execute=True):
        refresh_experiment(experiment.pk, actor=None)
    newest = Result.objects.filter(
        experiment=experiment, look=AnalysisState.objects.get(experiment=experiment).data_version
    )
    assert dict(newest.values_list("metric__key", "metric_version").distinct()) == {
        "purchases": 1,
        "revenue": 2,
    }
    # The looks before keep the version they were computed from.
    assert Result.objects.filter(metric=revenue, metric_version=1).exists()


def test_a_failing_query_writes_nothing_and_raises_an_alert(world):
    world["source"].exposure_table = "no_such_table"
    world["source"].save()
    run = refresh_experiment(world["experiment"].pk, actor=None)
    assert run.status == "failed"
    assert "DuckDB refused the query" in run.error and "no_such_table" in run.error
    assert Observation.objects.count() == 0
    alert = Alert.objects.get(experiment=world["experiment"], kind="refresh_failed")
    assert "wrote nothing" in alert.message and alert.resolved_at is None
    # Fixed, the next refresh succeeds and the alert resolves.
    world["source"].exposure_table = "exposures"
    world["source"].save()
    assert refresh_experiment(world["experiment"].pk, actor=None).status == "succeeded"
    alert.refresh_from_db()
    assert alert.resolved_at is not None


def test_a_result_over_the_row_cap_writes_nothing(world):
    world["source"].row_cap = 3
    world["source"].save()
    run = refresh_experiment(world["experiment"].pk, actor=None)
    assert run.status == "failed" and "row cap of 3" in run.error
    assert Observation.objects.count() == 0


def test_an_unknown_variant_in_the_warehouse_is_refused(world):
    variant = world["experiment"].variants.get(key="treatment")
    variant.key = "b"
    variant.save()
    run = refresh_experiment(world["experiment"].pk, actor=None)
    assert run.status == "failed"
    assert "impossible numbers" in run.error and "unknown variant “treatment”" in run.error
    assert Observation.objects.count() == 0


@pytest.mark.parametrize(
    "change, message",
    [
        ({"conversions": 11}, "11 conversions is more than the 10 users"),
        ({"users": -1}, "must not be negative"),
    ],
)
def test_impossible_numbers_write_nothing(world, change, message):
    experiment = world["experiment"]
    row = {"date": "2026-11-02", "variant": "control", "metric": "purchases", "users": 10}
    row.update({"conversions": 3, **change})
    target = _target(experiment, [row])
    with pytest.raises(Exception, match="impossible numbers") as caught:
        _write(target)
    assert message in str(caught.value)
    assert Observation.objects.count() == 0


def test_a_person_without_the_ability_is_refused(world):
    with pytest.raises(NotPermitted):
        refresh_experiment(world["experiment"].pk, actor=person("marketer"))
    assert RefreshRun.objects.count() == 0


def test_a_batch_reads_each_fact_table_once_for_all_its_metrics(world):
    runs = refresh_batch([world["experiment"].pk])
    assert [r.status for r in runs] == ["succeeded"]
    assert len(runs[0].statements) == 1


def test_metrics_with_another_window_get_a_query_of_their_own(world):
    revenue = world["experiment"].secondary_metrics.get()
    definition(revenue, world["source"], "sum", version=2, conversion_window_hours=24)
    run = refresh_experiment(world["experiment"].pk, actor=None)
    assert run.status == "succeeded", run.error
    assert sorted([(m["metric"], m["version"]) for m in s["metrics"]] for s in run.statements) == [
        [("purchases", 1)],
        [("revenue", 2)],
    ]
    assert stored(world["experiment"], "purchases") == expected("conversion")
    exposures, events = tables()
    hand = by_hand(
        exposures, events, query("sum", end=timezone.localdate(), conversion_window_hours=24)
    )
    assert stored(world["experiment"], "revenue") == {
        key: (c[0], c[1], c[3], c[5]) for key, c in hand.items()
    }


def test_a_source_with_a_dimension_writes_each_slice_beside_the_overall_rows(world):
    world["source"].dimension_columns = ["device=device_category"]
    world["source"].save()
    run = refresh_experiment(world["experiment"].pk, actor=None)
    assert run.status == "succeeded", run.error
    # One query, by device: the overall rows are its rows summed (each user has one value).
    assert [s["dimension"] for s in run.statements] == ["device"]
    overall = Observation.objects.filter(metric__key="revenue", dimension="")
    sliced = Observation.objects.filter(metric__key="revenue", dimension="device")
    assert {o.dimension_value for o in sliced} == {"mobile", "desktop"}
    # The slices add up to the overall rows, day by day and variant by variant.
    for row in overall:
        parts = sliced.filter(variant=row.variant, date=row.date)
        assert sum(p.users for p in parts) == row.users
        assert sum(p.sum for p in parts) == pytest.approx(row.sum)
    assert stored(world["experiment"], "revenue") == expected("sum")


def _target(experiment, rows, first=dt.date(2026, 11, 1), last=dt.date(2026, 11, 30)):
    target = Target(experiment, RefreshRun.objects.create(experiment=experiment))
    target.first_day, target.last_day, target.rows = first, last, rows
    target.definitions = {d.metric_id: d for d in MetricDefinition.objects.filter(version=1)}
    return target


def _revenue_row(day, total, **extra):
    return {"date": day, "variant": "control", "metric": "revenue", "users": 10, "sum": total,
            "sum_squares": 400.0, **extra}  # fmt: skip


def test_a_refresh_writes_only_the_rows_whose_numbers_changed(world):
    experiment = world["experiment"]
    first = [_revenue_row("2026-11-02", 0.1 + 0.2), _revenue_row("2026-11-03", 5.0)]
    assert _write(_target(experiment, first)) == 2
    stamped = dict(Observation.objects.values_list("date", "updated_at"))
    # The same sums added in another order (the last bits differ) and one changed day.
    again = [_revenue_row("2026-11-02", 0.3), _revenue_row("2026-11-03", 6.0)]
    target = _target(experiment, again)
    assert _write(target) == 1
    assert target.changed  # the batch asks for this experiment's analysis
    assert dict(Observation.objects.values_list("date", "sum")) == {
        dt.date(2026, 11, 2): 0.1 + 0.2,
        dt.date(2026, 11, 3): 6.0,
    }
    assert (
        Observation.objects.get(date=dt.date(2026, 11, 2)).updated_at
        == stamped[dt.date(2026, 11, 2)]
    )
    target = _target(experiment, again)
    assert _write(target) == 0
    assert not target.changed  # nothing to analyse again


def test_a_refresh_keeps_the_days_outside_its_window(world):
    """A shipped test's holdout refresh reads the days after its end: its own days stay."""
    experiment = world["experiment"]
    _write(_target(experiment, [_revenue_row("2026-11-02", 5.0)]))
    later = _target(experiment, [_revenue_row("2026-11-20", 7.0)], first=dt.date(2026, 11, 10))
    assert _write(later) == 1
    assert sorted(Observation.objects.values_list("date", flat=True)) == [
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 20),
    ]


def test_a_definition_without_a_pre_period_gives_no_covariate(world):
    revenue = world["experiment"].secondary_metrics.get()
    definition(revenue, world["source"], "sum", version=2, covariate_days=0)
    run = refresh_experiment(world["experiment"].pk, actor=None)
    assert run.status == "succeeded", run.error
    rows = Observation.objects.filter(metric=revenue)
    assert rows.exists()
    assert set(rows.values_list("covariate_sum", "cross_sum")) == {(None, None)}
    assert not Result.objects.filter(metric=revenue, cuped=True).exists()
    purchases = Observation.objects.exclude(metric=revenue)
    assert None not in set(purchases.values_list("covariate_sum", flat=True))


def test_a_new_version_with_the_same_numbers_still_stamps_its_rows(world):
    refresh_experiment(world["experiment"].pk, actor=None)
    revenue = world["experiment"].secondary_metrics.get()
    definition(revenue, world["source"], "sum", version=2, note="Same SQL, new wording")
    run = refresh_experiment(world["experiment"].pk, actor=None)
    assert run.status == "succeeded"
    rows = Observation.objects.filter(metric=revenue)
    assert rows.exists() and set(rows.values_list("metric_version", flat=True)) == {2}
    assert run.written == rows.count()


def test_an_incremental_refresh_reads_only_the_days_from_since(world):
    experiment = world["experiment"]
    full = expected("conversion")
    days = sorted({day for _, day in full})
    since = days[len(days) // 2]
    run = refresh_batch([experiment.pk], since={experiment.pk: since})[0]
    assert run.status == "succeeded", run.error
    assert stored(experiment, "purchases") == {k: v for k, v in full.items() if k[1] >= since}
    # A full refresh then adds the earlier days and leaves the later ones as they were.
    again = refresh_batch([experiment.pk])[0]
    assert again.status == "succeeded", again.error
    assert stored(experiment, "purchases") == full
    assert 0 < again.written < again.rows


def test_the_overall_rows_are_a_dimensions_rows_summed_and_null_stays_null():
    columns = ["experiment_key", "variant_key", "exposure_day", "dimension_value", "users",
               "metric_sum", "covariate_sum"]  # fmt: skip
    day = dt.date(2026, 11, 2)
    sliced = QueryOutcome(
        columns,
        [
            ("e", "control", day, "mobile", 3, 1.5, None),
            ("e", "control", day, None, 2, 0.5, None),
            ("e", "b", day, "desktop", 4, 2.0, 1.0),
        ],
        7,
    )
    overall = _overall(sliced)
    assert sorted(overall.rows) == [
        ("e", "b", day, "", 4, 2.0, 1.0),
        ("e", "control", day, "", 5, 2.0, None),
    ]
    assert overall.columns == columns
