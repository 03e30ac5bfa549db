"""A running experiment whose exposures and metrics live in the small DuckDB warehouse."""

from experiments.models import Metric
from tests.analytics.helpers import START
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory, MetricFactory
from warehouse.models import DataSource, ExperimentSource, MetricDefinition

from .data import KEY

ENV = "GROWTHOPS_TEST_WAREHOUSE"


def warehouse_source(**fields) -> DataSource:
    values = {"name": "Test DuckDB", "kind": "duckdb", "connection_ref": f"env:{ENV}"}
    values.update(fields)
    return DataSource.objects.create(**values)


def definition(metric, source, aggregation, version=1, **fields) -> MetricDefinition:
    values = {
        "fact_table": "events",
        "user_column": "user_pseudo_id",
        "time_column": "event_timestamp",
        "value_expression": "value" if aggregation != "conversion" else "1",
        "aggregation": aggregation,
        "filters": [{"column": "event_name", "op": "=", "value": "purchase"}],
        "conversion_window_hours": 48,
        "covariate_days": 7,
        "direction": "higher",
    }
    values.update(fields)
    return MetricDefinition.objects.create(metric=metric, version=version, source=source, **values)


def warehouse_experiment(owner, source):
    """Running since 1 Nov 2026 with purchases (conversion) and revenue (sum) defined in
    ``source``; its exposures are those of ``KEY``."""
    purchases = MetricFactory(key="purchases", kind=Metric.Kind.BINOMIAL)
    revenue = MetricFactory(key="revenue", kind=Metric.Kind.MEAN)
    definition(purchases, source, "conversion")
    definition(revenue, source, "sum")
    experiment = ExperimentFactory(
        owner=owner,
        primary_metric=purchases,
        variants=[("control", True, 0.5), ("treatment", False, 0.5)],
    )
    experiment.secondary_metrics.add(revenue)
    experiment = put_in_status(experiment, "running", start_date=START)
    ExperimentSource.objects.create(experiment=experiment, source=source, experiment_key=KEY)
    return experiment
