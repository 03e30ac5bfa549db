"""The experiment list reads rows, not model instances: it must answer exactly what
``ExperimentSerializer`` answers for the same experiments, field for field."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from experiments.models import Experiment
from experiments.serializers import ExperimentRows, ExperimentSerializer
from growthops.api_rows import InList
from tests.factories import ExperimentFactory, MetricFactory, UserFactory

pytestmark = pytest.mark.django_db


def _as_json(data):
    return json.loads(json.dumps(data, default=str))


def _serialized(queryset):
    return _as_json(ExperimentSerializer(queryset, many=True).data)


@pytest.fixture
def varied(operator):
    """Experiments with every kind of cell: nulls, decimals, dates, named and unnamed owners,
    three variants, several secondary and guardrail metrics (named out of key order)."""
    unnamed = UserFactory(username="zz-owner", first_name="", last_name="")
    full = UserFactory(username="full", first_name="Ada", last_name="Lovelace")
    zeta, alpha, mid = (
        MetricFactory(key="a_zeta", name="Zeta"),
        MetricFactory(key="z_alpha", name="Alpha"),
        MetricFactory(key="m_mid", name="Mid"),
    )
    plain = ExperimentFactory(owner=operator)
    rich = ExperimentFactory(
        owner=full,
        name="=SUM(A1)",
        value_per_conversion=Decimal("12.50"),
        reach_per_year=120_000,
        start_date=dt.date(2026, 11, 2),
        variants=[("control", True, 0.34), ("b", False, 0.33), ("a", False, 0.33)],
    )
    rich.secondary_metrics.add(zeta, alpha, mid)
    rich.guardrail_metrics.add(mid, zeta)
    bare = ExperimentFactory(owner=unnamed, primary_metric=None, variants=[], mde=None)
    bare.guardrail_metrics.add(alpha)
    return [plain, rich, bare]


def test_the_list_answers_what_the_serializer_answers(varied, analyst):
    api = APIClient()
    api.force_authenticate(analyst)

    listed = api.get("/api/v1/experiments/?page_size=500").json()["results"]

    expected = _serialized(Experiment.objects.order_by("-created_at", "-id"))
    assert listed == expected
    rich = next(row for row in listed if row["id"] == varied[1].pk)
    assert rich["secondary_metrics"] == ["z_alpha", "m_mid", "a_zeta"]  # by metric name
    assert rich["guardrail_metrics"] == ["m_mid", "a_zeta"]
    assert [v["key"] for v in rich["variants"]] == ["control", "a", "b"]
    assert rich["owner"] == "Ada Lovelace" and rich["value_per_conversion"] == "12.50"
    bare = next(row for row in listed if row["id"] == varied[2].pk)
    assert bare["owner"] == "zz-owner" and bare["variants"] == [] and bare["mde"] is None


def test_rows_match_the_serializer_on_the_demo_data(demo_for_class):
    queryset = Experiment.objects.order_by("id")

    rows = ExperimentRows.present(ExperimentRows.ids(queryset))

    assert len(rows) > 10
    assert _as_json(rows) == _serialized(queryset)


def test_date_times_follow_the_active_time_zone(varied):
    from django.utils import timezone

    queryset = Experiment.objects.order_by("id")
    in_utc = ExperimentRows.present(ExperimentRows.ids(queryset))

    with timezone.override("Asia/Kolkata"):
        in_kolkata = ExperimentRows.present(ExperimentRows.ids(queryset))
        assert _as_json(in_kolkata) == _serialized(queryset)

    assert in_kolkata[0]["created_at"].endswith("+05:30")
    assert in_utc[0]["created_at"].endswith("Z")
    assert _as_json(ExperimentRows.present(ExperimentRows.ids(queryset))) == _as_json(in_utc)


def test_results_answer_what_the_serializer_answers(operator, analyst):
    from analytics.analysis.pipeline import experiments_analyse
    from analytics.api.results import ResultSerializer
    from analytics.ingest.observations import observations_ingest
    from analytics.models import Result
    from tests.analytics.helpers import binomial_rows, running_experiment

    experiment = running_experiment(operator)
    for day in ("2026-11-02", "2026-11-03"):
        observations_ingest(experiment_id=experiment.pk, actor=analyst, rows=binomial_rows(day))
        experiments_analyse([experiment.pk])
    api = APIClient()
    api.force_authenticate(analyst)

    latest = api.get(f"/api/v1/experiments/{experiment.pk}/results/").json()
    history = api.get(f"/api/v1/experiments/{experiment.pk}/results/?history=1").json()

    newest = Result.objects.filter(experiment=experiment, look=2).order_by(
        "metric__name", "-is_control", "variant__key"
    )
    assert latest == _as_json(ResultSerializer(newest, many=True).data)
    assert [row["significant"] for row in latest] == [r.significant for r in newest]
    every = Result.objects.filter(experiment=experiment).order_by("look", "id")
    assert history["results"] == _as_json(ResultSerializer(every, many=True).data)


@pytest.mark.postgres
def test_the_list_queries_are_prepared_on_their_second_run(varied):
    from django.db import connection

    def prepared() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [row[0] for row in cursor.fetchall()]

    ids = [experiment.pk for experiment in varied]
    first = ExperimentRows.present(ids)
    assert not [sql for sql in prepared() if "experiments_variant" in sql]

    second = ExperimentRows.present(ids)

    statements = prepared()
    assert first == second and len(second) == 3
    assert any("experiments_variant" in sql for sql in statements)
    assert any("experiments_experiment_guardrail_metrics" in sql for sql in statements)


def test_a_page_is_counted_and_read_together(varied, analyst):
    api = APIClient()
    api.force_authenticate(analyst)
    newest_first = list(
        Experiment.objects.order_by("-created_at", "-id").values_list("id", flat=True)
    )

    first = api.get("/api/v1/experiments/?page_size=2").json()
    second = api.get("/api/v1/experiments/?page_size=2&page=2").json()
    last = api.get("/api/v1/experiments/?page_size=2&page=last").json()
    nothing = api.get("/api/v1/experiments/?page_size=2&search=no-such-experiment").json()

    assert first["count"] == second["count"] == 3
    assert [row["id"] for row in first["results"] + second["results"]] == newest_first
    assert second["next"] is None and last["results"] == second["results"]
    assert nothing == {"count": 0, "next": None, "previous": None, "results": []}
    assert api.get("/api/v1/experiments/?page_size=2&page=3").status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_failed_pipeline_leaves_no_statement_half_prepared(varied):
    """Outside a transaction, a query that fails in a pipeline ahead of one being prepared left
    psycopg believing the second prepared when PostgreSQL had skipped it: every later run of
    it failed for as long as the connection lived."""
    from django.db import DatabaseError, connection
    from psycopg import Error as DriverError

    from growthops.api_rows import read_together, run_together

    ids = [experiment.pk for experiment in varied]
    variants = ExperimentRows._variant_rows
    first = read_together((variants, ids))
    sql, template, *_ = variants._compile()
    statement = (sql, [InList.parameter(connection, ids) if p is None else p for p in template])

    with pytest.raises((DatabaseError, DriverError)):
        run_together([("SELECT %s::int / 0", [1]), statement], prepare=True)

    assert read_together((variants, ids)) == first
    assert read_together((variants, ids)) == first  # prepared now, and found
