"""The demo's embedded warehouse: the running experiments' revenue per user comes from SQL on
the DuckDB file ``seed_demo`` wrote (demo/warehouse.py)."""

import duckdb
import pytest
from django.conf import settings
from django.db.models import Sum

from analytics.models import Observation, Result
from demo.organisation import Organisation
from demo.warehouse import METRIC_KEY, SOURCE_NAME, seed_warehouse
from experiments.models import Experiment, ExperimentStatus
from roles.models import User
from warehouse.models import DataSource, MetricDefinition, RefreshRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(demo_for_class):
    return demo_for_class


def _by_hand(path) -> dict:
    """(experiment, variant) → [users, Σ revenue] by a plain GROUP BY on the file: each user's
    first exposure, purchases within 72 hours after it; users seen in two variants left out."""
    db = duckdb.connect(str(path), read_only=True)
    try:
        rows = db.execute(
            """
            WITH firsts AS (
                SELECT experiment_key, user_pseudo_id, min(exposed_at) AS at,
                       min(variant_key) AS variant_key
                FROM exposures GROUP BY 1, 2 HAVING count(DISTINCT variant_key) = 1
            )
            SELECT f.experiment_key, f.variant_key, count(*),
                   sum(coalesce((SELECT sum(e.value) FROM events e
                                 WHERE e.user_pseudo_id = f.user_pseudo_id
                                   AND e.event_name = 'purchase'
                                   AND e.event_timestamp >= f.at
                                   AND e.event_timestamp < f.at + INTERVAL 72 HOUR), 0))
            FROM firsts f GROUP BY 1, 2
            """
        ).fetchall()
    finally:
        db.close()
    return {(key, variant): (users, total) for key, variant, users, total in rows}


def test_the_running_experiments_revenue_comes_from_the_warehouse(seeded):
    path = settings.WAREHOUSE_DEMO_PATH
    running = Experiment.objects.filter(status=ExperimentStatus.RUNNING)
    assert running.count() >= 2
    assert f"Demo warehouse: {running.count()} experiments refreshed from {path}" in seeded
    source = DataSource.objects.get(name=SOURCE_NAME)
    definition = MetricDefinition.objects.get(metric__key=METRIC_KEY)
    assert (definition.source, definition.version, definition.aggregation) == (source, 1, "sum")
    assert definition.official_at is not None

    expected = _by_hand(path)
    found = {}
    for experiment in running:
        run = RefreshRun.objects.get(experiment=experiment)
        assert run.status == RefreshRun.Status.SUCCEEDED and run.written > 0, run.error
        assert list(run.metric_versions.all()) == [definition]
        rows = (
            Observation.objects.filter(experiment=experiment, metric__key=METRIC_KEY, dimension="")
            .values("variant__key")
            .annotate(users=Sum("users"), total=Sum("sum"))
        )
        for row in rows:
            found[(experiment.key, row["variant__key"])] = (row["users"], row["total"])
        assert Result.objects.filter(experiment=experiment, metric=definition.metric).exists()
    assert found.keys() == expected.keys()
    for cell, (users, total) in expected.items():
        assert found[cell] == (users, pytest.approx(total)), cell
    # Only the warehouse's metric is read from SQL: the uploaded metrics keep their rows.
    warehouse_rows = Observation.objects.filter(source=Observation.Source.WAREHOUSE)
    assert set(warehouse_rows.values_list("metric__key", flat=True)) == {METRIC_KEY}


def test_seeding_the_warehouse_again_changes_nothing(seeded):
    before = (Observation.objects.count(), RefreshRun.objects.count(), DataSource.objects.count())
    org = Organisation(
        users={u.username: u for u in User.objects.all()},
        partners={},
        metrics={},
        segments={},
        objectives={},
    )
    assert seed_warehouse(org)["refreshed"] == 0
    after = (Observation.objects.count(), RefreshRun.objects.count(), DataSource.objects.count())
    assert after == before
