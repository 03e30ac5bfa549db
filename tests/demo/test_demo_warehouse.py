"""The demo's embedded warehouse (demo/warehouse.py): every demo experiment's results come
from SQL on the DuckDB file ``seed_demo`` wrote, through the real refresh path: this year's,
the record's and the past year's with its holdouts."""

from collections import defaultdict

import duckdb
import pytest
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from analytics.models import AnalysisState, Observation, Result
from demo.data import DRAWN_PER_USER
from demo.warehouse import CUPED_DAYS, SOURCE_NAME
from demo.warehouse_tables import EVENT_NAMES, apportion, split_devices, sum_events
from experiments.models import ACCEPTS_DATA, Experiment, ExperimentStatus
from warehouse.models import DataSource, ExperimentSource, MetricDefinition, RefreshRun
from warehouse.refresh import refresh_batch

pytestmark = pytest.mark.django_db

NUMBERS = ("users", "conversions", "sum", "sum_squares", "covariate_sum", "cross_sum")


@pytest.fixture
def seeded(demo_for_class):
    return demo_for_class


def this_years_started():
    return Experiment.objects.filter(key__startswith="exp-", start_date__isnull=False)


def test_every_result_of_every_experiment_comes_from_the_warehouse(seeded):
    started = this_years_started()
    assert started.count() == 10
    with_data = Experiment.objects.filter(observations__isnull=False).distinct()
    # This year's ten, the record's 48 and the past year's eight.
    assert with_data.count() == 66
    assert set(with_data.filter(key__startswith="hist-").values_list("key", flat=True)) == {
        f"hist-{i:03d}" for i in range(1, 49)
    }
    path = settings.WAREHOUSE_DEMO_PATH
    assert f"Demo warehouse: 66 experiments refreshed from {path}" in seeded
    source = DataSource.objects.get(name=SOURCE_NAME)
    rows = Observation.objects.all()
    assert set(rows.values_list("source", flat=True)) == {"warehouse"}
    assert not rows.filter(metric_version__isnull=True).exists()
    for experiment in with_data:
        assert ExperimentSource.objects.get(experiment=experiment).source == source
        runs = RefreshRun.objects.filter(experiment=experiment)
        assert set(runs.values_list("status", flat=True)) == {"succeeded"}, experiment.key
        # A run a week: each look read the warehouse as it then was, dated with it.
        days = [timezone.localdate(at) for at in runs.values_list("started_at", flat=True)]
        assert len(set(days)) == len(days) >= 2, experiment.key
        assert experiment.start_date <= min(days) and max(days) <= timezone.localdate()


def test_each_metric_is_defined_in_the_warehouse_and_official(seeded):
    source = DataSource.objects.get(name=SOURCE_NAME)
    definitions = MetricDefinition.objects.filter(source=source)
    assert set(definitions.values_list("metric__key", flat=True)) == set(EVENT_NAMES)
    for definition in definitions:
        assert definition.version == 1 and definition.official_at is not None
        assert definition.filters == [
            {"column": "event_name", "op": "=", "value": EVENT_NAMES[definition.metric.key]}
        ]
        cuped = definition.metric.key == DRAWN_PER_USER
        assert definition.covariate_days == (CUPED_DAYS if cuped else 0)
    # Read with CUPED where the pre-period is defined, and only there.
    readings = Result.objects.filter(experiment__in=this_years_started())
    assert set(readings.filter(metric__key=DRAWN_PER_USER).values_list("cuped", flat=True)) == {
        True
    }
    assert set(readings.exclude(metric__key=DRAWN_PER_USER).values_list("cuped", flat=True)) == {
        False
    }


def test_revenue_per_user_is_designed_in_and_matches_a_plain_group_by(seeded):
    """The running tests measure it from their draft (no change after approval), and each
    variant's users and revenue are what a plain GROUP BY over the file gives."""
    running = Experiment.objects.filter(status=ExperimentStatus.RUNNING)
    with_it = Experiment.objects.filter(secondary_metrics__key=DRAWN_PER_USER)
    assert set(with_it) == set(running) and running.count() == 3
    db = duckdb.connect(str(settings.WAREHOUSE_DEMO_PATH), read_only=True)
    try:
        expected = {
            (key, variant): (users, total)
            for key, variant, users, total in db.execute(
                """
                WITH firsts AS (
                    SELECT experiment_key, user_pseudo_id, min(exposed_at) AS at,
                           min(variant_key) AS variant_key
                    FROM exposures WHERE experiment_key IN (SELECT unnest(?))
                    GROUP BY 1, 2 HAVING count(DISTINCT variant_key) = 1
                )
                SELECT f.experiment_key, f.variant_key, count(*),
                       sum(coalesce((SELECT sum(e.value) FROM events e
                                     WHERE e.user_pseudo_id = f.user_pseudo_id
                                       AND e.event_name = 'in_app_purchase'
                                       AND e.event_timestamp >= f.at
                                       AND e.event_timestamp < f.at + INTERVAL 72 HOUR), 0))
                FROM firsts f GROUP BY 1, 2
                """,
                [[e.key for e in running]],
            ).fetchall()
        }
    finally:
        db.close()
    found = {
        (row["experiment__key"], row["variant__key"]): (row["users"], row["total"])
        for row in Observation.objects.filter(
            experiment__in=running, metric__key=DRAWN_PER_USER, dimension=""
        )
        .values("experiment__key", "variant__key")
        .annotate(users=Sum("users"), total=Sum("sum"))
    }
    assert found.keys() == expected.keys()
    for cell, (users, total) in expected.items():
        assert found[cell] == (users, pytest.approx(total)), cell


def test_the_device_slices_add_up_to_each_day(seeded):
    overall, slices = {}, defaultdict(lambda: [0, 0.0])
    for row in Observation.objects.filter(experiment__in=this_years_started()).values(
        "variant_id", "metric_id", "date", "dimension", "users", "conversions", "sum"
    ):
        key = (row["variant_id"], row["metric_id"], row["date"])
        value = row["conversions"] if row["conversions"] is not None else row["sum"]
        if row["dimension"] == "":
            overall[key] = (row["users"], value)
        else:
            assert row["dimension"] == "device"
            slices[key][0] += row["users"]
            slices[key][1] += value
    assert overall.keys() == slices.keys()
    for key, (users, value) in overall.items():
        assert slices[key][0] == users
        assert slices[key][1] == pytest.approx(value, abs=1e-6)


def test_a_second_refresh_changes_nothing(seeded, django_capture_on_commit_callbacks):
    def stored():
        return sorted(
            Observation.objects.values_list("experiment_id", "variant_id", "metric_id", "date",
                                            "dimension", "dimension_value", "source", *NUMBERS)
        )  # fmt: skip

    before = stored()
    taking = Experiment.objects.filter(
        warehouse_source__isnull=False, status__in=ACCEPTS_DATA
    ).values_list("pk", flat=True)
    assert len(taking) >= 5
    with django_capture_on_commit_callbacks() as queued:
        runs = refresh_batch(list(taking))
    assert {run.status for run in runs} == {"succeeded"}
    assert [run.written for run in runs] == [0] * len(runs)
    assert all(run.rows > 0 for run in runs)
    assert stored() == before
    # Nothing changed, so no analysis is queued and none is stale.
    assert queued == []
    assert not AnalysisState.objects.filter(experiment_id__in=taking, stale=True).exists()


@pytest.mark.parametrize("users", [2, 3, 7, 40, 1001])
def test_the_planned_sums_are_met_exactly(users):
    for total, squares in ((users * 5.0, users * 30.0), (-3.5, 40.0), (12.0, 12.0 * 12.0)):
        if squares * users < total * total:
            continue
        k, mu, spread, paired = sum_events(users, total, squares)
        values = [mu + spread if j % 2 == 0 else mu - spread for j in range(paired)]
        values += [mu] * (k - paired)
        assert 2 <= k <= users
        assert sum(values) == pytest.approx(total)
        assert sum(v * v for v in values) == pytest.approx(squares)


def test_conversions_are_shared_by_device_within_each_part():
    parts = split_devices(101)
    assert [p[0] for p in parts] == ["mobile", "desktop", "tablet"]
    assert sum(p[1] for p in parts) == 101
    assert split_devices(3) == [("mobile", 3, 1.4)]
    counts = apportion(30, [56 * 1.28, 38 * 1.12, 7 * 1.1], [56, 38, 7])
    assert sum(counts) == 30 and counts[0] > counts[1] > counts[2]
    assert apportion(10, [1.0, 5.0], [9, 3]) == [7, 3]
