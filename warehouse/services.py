"""Every write of the warehouse app: data sources, metric definitions (each change a new
version), the CMO's official stamp, and an experiment's exposure source. Refreshes are in
``refresh.py``."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from experiments.models import Experiment, Metric
from growthops.errors import ValidationFailed
from roles.capabilities import require

from .engines import QueryFailed, connection_for, test_connection
from .models import DataSource, ExperimentSource, MetricDefinition, dimension_entries
from .sql import MetricQuery, QueryProblem
from .sql.build import build

SOURCE_FIELDS = (
    "name",
    "kind",
    "connection_ref",
    "read_only_role",
    "statement_timeout_seconds",
    "row_cap",
    "exposure_table",
    "experiment_column",
    "variant_column",
    "user_column",
    "time_column",
    "dimension_columns",
)
DEFINITION_FIELDS = (
    "source",
    "fact_table",
    "user_column",
    "time_column",
    "value_expression",
    "denominator_expression",
    "aggregation",
    "filters",
    "conversion_window_hours",
    "covariate_days",
    "direction",
    "unit",
)
METRIC_FIELDS = ("key", "name", "description")
KIND_OF = {
    "conversion": Metric.Kind.BINOMIAL,
    "sum": Metric.Kind.MEAN,
    "mean": Metric.Kind.MEAN,
    "ratio": Metric.Kind.MEAN,
}


def _full_clean(instance, exclude=None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise ValidationFailed(exc.message_dict) from exc


def _unknown(fields: dict, known) -> None:
    extra = sorted(set(fields) - set(known))
    if extra:
        raise ValidationFailed({name: "Unknown field." for name in extra})


# --- data sources --------------------------------------------------------------------------


def datasource_create(*, actor, **fields) -> DataSource:
    require(actor, "warehouse.sources")
    _unknown(fields, SOURCE_FIELDS)
    source = DataSource(created_by=actor, **fields)
    _check_source(source)
    source.save()
    return source


def datasource_update(*, actor, datasource_id: int, **fields) -> DataSource:
    require(actor, "warehouse.sources")
    _unknown(fields, SOURCE_FIELDS)
    with transaction.atomic():
        source = DataSource.objects.select_for_update().get(pk=datasource_id)
        for name, value in fields.items():
            setattr(source, name, value)
        _check_source(source)
        source.save()
    return source


def _check_source(source: DataSource) -> None:
    # The dimension columns' own checks are the field's validator (models.py).
    _full_clean(source, exclude=["created_by"])


def source_dimensions(source: DataSource) -> list[tuple[str, str]]:
    """(dimension, column) of each slice the source gives: ``device=device_category`` slices
    results by ``device`` from that column; ``country`` alone is both."""
    return dimension_entries(source.dimension_columns)


def datasource_test(*, actor, datasource_id: int) -> DataSource:
    """Ask the source ``SELECT 1``; records and returns whether it answered (never the
    connection settings)."""
    require(actor, "warehouse.sources")
    source = DataSource.objects.get(pk=datasource_id)
    try:
        outcome = test_connection(connection_for(source))
        ok, message = True, f"Connected: answered in {outcome.duration_ms} ms."
    except QueryFailed as exc:
        ok, message = False, str(exc)
    DataSource.objects.filter(pk=source.pk).update(
        last_tested_at=timezone.now(), last_test_ok=ok, last_test_message=message
    )
    source.refresh_from_db()
    return source


# --- metrics and their versions ------------------------------------------------------------


def metric_define(*, actor, metric_id: int | None = None, **fields) -> Metric:
    """Create a metric with its first definition, or change one: the metric's name and
    description in place, its definition as a new version (unchanged fields carried over)."""
    require(actor, "metrics.define")
    _unknown(fields, METRIC_FIELDS + DEFINITION_FIELDS + ("note",))
    note = fields.pop("note", "")
    with transaction.atomic():
        if metric_id is None:
            metric = Metric(**{k: fields.pop(k) for k in METRIC_FIELDS if k in fields})
            latest = None
        else:
            metric = Metric.objects.select_for_update().get(pk=metric_id)
            if "key" in fields and fields["key"] != metric.key:
                raise ValidationFailed({"key": "A metric's key never changes (data names it)."})
            fields.pop("key", None)
            for name in ("name", "description"):
                if name in fields:
                    setattr(metric, name, fields.pop(name))
            latest = metric.definitions.order_by("-version").first()
        definition = _next_definition(metric, latest, fields, actor, note)
        if definition is not None:
            metric.kind = KIND_OF[definition.aggregation]
            metric.direction, metric.unit = definition.direction, definition.unit
        if metric_id is None and definition is None:
            raise ValidationFailed({"source": "A new metric needs its definition."})
        _check_kind_change(metric, metric_id)
        _full_clean(metric, exclude=["kind"] if definition is None else None)
        metric.save()
        if definition is not None:
            definition.metric = metric
            definition.save()
    return metric


def _next_definition(metric, latest, fields, actor, note):
    """The new version, or None when no definition field changed."""
    if latest is None and not set(fields) & set(DEFINITION_FIELDS):
        return None
    carried = {name: getattr(latest, name) for name in DEFINITION_FIELDS} if latest else {}
    if latest is None:
        carried.update(direction=metric.direction or "higher", unit=metric.unit or "")
    values = {**carried, **fields}
    if latest is not None and all(values[n] == carried[n] for n in DEFINITION_FIELDS):
        return None
    if "source" not in values:
        raise ValidationFailed({"source": "Name the data source the metric is computed in."})
    definition = MetricDefinition(
        metric=metric if metric.pk else None,
        version=(latest.version + 1) if latest else 1,
        created_by=actor,
        note=note,
        **values,
    )
    _full_clean(definition, exclude=["metric", "created_by", "official_by"])
    _check_sql(definition)
    return definition


def _check_kind_change(metric: Metric, metric_id) -> None:
    if metric_id is None:
        return
    stored = Metric.objects.filter(pk=metric_id).values_list("kind", flat=True).first()
    if stored != metric.kind and metric.observations.exists():
        raise ValidationFailed(
            {"aggregation": "This metric already has data as a "
             f"{Metric.Kind(stored).label.lower()} metric: define a new metric instead."}
        )  # fmt: skip


def definition_query(definition: MetricDefinition, source: DataSource, **window) -> MetricQuery:
    """The plain values a refresh query of ``definition`` over ``source`` is built from."""
    return MetricQuery(
        exposure_table=source.exposure_table,
        experiment_column=source.experiment_column,
        variant_column=source.variant_column,
        exposure_user_column=source.user_column,
        exposure_time_column=source.time_column,
        fact_table=definition.fact_table,
        user_column=definition.user_column,
        time_column=definition.time_column,
        aggregation=definition.aggregation,
        value_expression=definition.value_expression,
        denominator_expression=definition.denominator_expression,
        filters=definition.filters,
        conversion_window_hours=definition.conversion_window_hours,
        covariate_days=definition.covariate_days,
        source_dialect=source.kind,
        **window,
    )


def _check_sql(definition: MetricDefinition) -> None:
    try:
        build(definition_query(definition, definition.source, experiment_keys=("check",)))
    except QueryProblem as exc:
        raise ValidationFailed({exc.field: exc.message}) from exc


def metric_mark_official(*, actor, metric_id: int, version: int | None = None) -> MetricDefinition:
    """The CMO marks a version (the latest by default) official."""
    require(actor, "metrics.official")
    with transaction.atomic():
        versions = MetricDefinition.objects.select_for_update().filter(metric_id=metric_id)
        chosen = versions.order_by("-version")
        if version is not None:
            chosen = chosen.filter(version=version)
        definition = chosen.first()
        if definition is None:
            raise ValidationFailed({"version": "This metric has no such version."})
        if definition.official_at is None:
            definition.official_at, definition.official_by = timezone.now(), actor
            definition.save(update_fields=["official_at", "official_by"])
    return definition


def latest_definitions(metric_ids) -> dict[int, MetricDefinition]:
    """Each metric's latest version (the one a refresh computes)."""
    found = {}
    rows = MetricDefinition.objects.filter(metric_id__in=metric_ids).select_related(
        "source", "metric"
    )
    for definition in rows.order_by("metric_id", "-version"):
        found.setdefault(definition.metric_id, definition)
    return found


# --- an experiment's exposure source -------------------------------------------------------


def experiment_source_set(
    *, actor, experiment_id: int, source: DataSource | None, experiment_key: str = ""
) -> ExperimentSource | None:
    """Name (or, with ``source=None``, remove) where an experiment's exposures are read."""
    experiment = Experiment.objects.get(pk=experiment_id)
    require(actor, "warehouse.refresh", experiment)
    if source is None:
        ExperimentSource.objects.filter(experiment=experiment).delete()
        return None
    link, _ = ExperimentSource.objects.update_or_create(
        experiment=experiment, defaults={"source": source, "experiment_key": experiment_key}
    )
    return link


def datasource_delete(*, actor, datasource_id: int) -> None:
    """Remove a source no metric and no experiment reads."""
    require(actor, "warehouse.sources")
    source = DataSource.objects.get(pk=datasource_id)
    if source.definitions.exists() or source.experiments.exists():
        raise ValidationFailed(
            {"source": "Metrics or experiments read this source: point them elsewhere first."}
        )
    source.delete()
