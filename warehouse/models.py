"""Warehouse-native metrics (docs/warehouse.md): where the data lives, how each metric is
computed there, which experiment reads which exposures, and every refresh that ran.

Connection settings are never stored: a data source keeps only the *name* of an environment
variable or secret file holding them (``env:NAME`` / ``file:/run/secrets/name``).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from analytics.dimensions import DIMENSION_KEY
from experiments.models import Experiment, Metric

SECRET_REFERENCE = RegexValidator(
    r"^(env:[A-Z_][A-Z0-9_]{0,99}|file:/[A-Za-z0-9_./-]{1,250})$",
    "Name an environment variable (env:WAREHOUSE_DSN) or a secret file (file:/run/secrets/dsn); "
    "connection settings themselves are never stored.",
)
# A column or table name as the warehouse spells it; dots separate project / schema parts.
NAME = RegexValidator(
    r"^[A-Za-z_][A-Za-z0-9_$*-]{0,127}(\.[A-Za-z_][A-Za-z0-9_$*-]{0,127}){0,2}$",
    "Letters, digits, _ , $, - and * (a BigQuery wildcard), with up to two dots between parts.",
)
COLUMN = RegexValidator(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$", "Letters, digits and _ only.")
MAX_DIMENSIONS = 10  # each is one more query per fact table at every refresh


def dimension_entries(entries) -> list[tuple[str, str]]:
    """(dimension, column) of each entry: ``device=device_category`` slices results by
    ``device`` from that column; ``country`` alone is both."""
    return [tuple(e.split("=", 1)) if "=" in e else (e, e) for e in entries]


def validate_dimension_columns(entries) -> None:
    """A list of at most 10 entries ``dimension`` or ``dimension=column``: each column an
    identifier of the exposure table, each dimension a slice's key (lower-case letters,
    digits and _, at most 32: what observations store), each dimension named once."""
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise ValidationError("Give a list of column names.")
    for entry in entries:
        dimension, column = dimension_entries([entry])[0]
        try:
            COLUMN(column)
        except ValidationError as exc:
            raise ValidationError(f"“{entry[:140]}”: {exc.messages[0]}") from exc
        if not DIMENSION_KEY.fullmatch(dimension):
            raise ValidationError(
                f"“{entry[:140]}”: a dimension's name is lower-case letters, digits and _ (at "
                f"most 32, starting with a letter); name it, as in device={column}."
            )
    dimensions = [d for d, _ in dimension_entries(entries)]
    if len(set(dimensions)) != len(dimensions) or len(entries) > MAX_DIMENSIONS:
        raise ValidationError(f"At most {MAX_DIMENSIONS} columns, each named once.")


class DataSource(models.Model):
    class Kind(models.TextChoices):
        DUCKDB = "duckdb", "DuckDB (embedded)"
        POSTGRES = "postgres", "PostgreSQL"
        CLICKHOUSE = "clickhouse", "ClickHouse"
        BIGQUERY = "bigquery", "BigQuery"
        SNOWFLAKE = "snowflake", "Snowflake"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    connection_ref = models.CharField(
        "connection settings from",
        max_length=260,
        validators=[SECRET_REFERENCE],
        help_text="env:NAME or file:/path — where the DSN / file path / credentials live.",
    )
    read_only_role = models.CharField(
        max_length=200,
        blank=True,
        help_text="PostgreSQL: the role every query runs as (SET ROLE; grant it SELECT only, "
        "and make the connection's user a member). Other kinds: the read-only account the "
        "connection settings name, as a note.",
    )
    statement_timeout_seconds = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(1), MaxValueValidator(3600)]
    )
    row_cap = models.PositiveIntegerField(
        default=100_000, validators=[MinValueValidator(1), MaxValueValidator(10_000_000)]
    )
    # The exposure table: one row per exposure of a user to a variant of an experiment.
    exposure_table = models.CharField(max_length=400, validators=[NAME], default="exposures")
    experiment_column = models.CharField(
        max_length=128, validators=[COLUMN], default="experiment_key"
    )
    variant_column = models.CharField(max_length=128, validators=[COLUMN], default="variant_key")
    user_column = models.CharField(max_length=128, validators=[COLUMN], default="user_pseudo_id")
    time_column = models.CharField(max_length=128, validators=[COLUMN], default="exposed_at")
    # The dimensions results of its experiments may be sliced by: columns of the exposure table.
    dimension_columns = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_dimension_columns],
        help_text="Columns of the exposure table to slice by (device=device_category names "
        "the slice “device”).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_tested_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True, blank=True)
    last_test_message = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class MetricDefinition(models.Model):
    """One immutable version of how a metric is computed in a warehouse.

    A change is a new row with the next version number; only the CMO's official stamp is
    added to a stored version later.
    """

    class Aggregation(models.TextChoices):
        CONVERSION = "conversion", "Conversion (users with at least one event)"
        SUM = "sum", "Sum per user"
        MEAN = "mean", "Mean per user (average of the user's events)"
        RATIO = "ratio", "Ratio per user (value ÷ denominator)"

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="definitions")
    version = models.PositiveIntegerField()
    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="definitions")
    fact_table = models.CharField(max_length=400, validators=[NAME])
    user_column = models.CharField(max_length=128, validators=[COLUMN])
    time_column = models.CharField(max_length=128, validators=[COLUMN])
    value_expression = models.CharField(
        max_length=1000, default="1", help_text="A SQL expression over the fact table's columns."
    )
    denominator_expression = models.CharField(
        max_length=1000, blank=True, help_text="Ratio metrics: the per-user denominator."
    )
    aggregation = models.CharField(max_length=16, choices=Aggregation.choices)
    filters = models.JSONField(
        default=list, blank=True, help_text='[{"column": "event_name", "op": "=", "value": "x"}]'
    )
    conversion_window_hours = models.PositiveIntegerField(
        default=72, validators=[MinValueValidator(1), MaxValueValidator(24 * 365)]
    )
    covariate_days = models.PositiveIntegerField(
        default=14,
        validators=[MaxValueValidator(365)],
        help_text="Days before exposure read as CUPED's covariate (0: none).",
    )
    direction = models.CharField(max_length=16, choices=Metric.Direction.choices)
    unit = models.CharField(max_length=32, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    official_at = models.DateTimeField(null=True, blank=True)
    official_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["metric", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "version"],
                name="metric_definition_one_per_version",
                violation_error_message="This metric already has that version.",
            )
        ]

    def __str__(self):
        return f"{self.metric.key} v{self.version}"


class ExperimentSource(models.Model):
    """Where an experiment's exposures are read: the source's exposure table, this key."""

    experiment = models.OneToOneField(
        Experiment, on_delete=models.CASCADE, related_name="warehouse_source"
    )
    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="experiments")
    experiment_key = models.CharField(
        max_length=200, blank=True, help_text="The key in the exposure table (default: its key)."
    )

    def __str__(self):
        return f"{self.experiment} ← {self.source}"

    @property
    def key(self) -> str:
        return self.experiment_key or self.experiment.key


class RefreshRun(models.Model):
    """One refresh of an experiment from its warehouse: what ran, how long, what came back."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    experiment = models.ForeignKey(
        Experiment, on_delete=models.CASCADE, related_name="refresh_runs"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    task_id = models.CharField(max_length=64, blank=True, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The metric versions this run computed: the version each observation it wrote came from.
    metric_versions = models.ManyToManyField(MetricDefinition, blank=True, related_name="runs")
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    written = models.PositiveIntegerField(default=0)
    # [{"metric": key, "version": n, "sql": text, "duration_ms": n, "rows": n}, …]
    statements = models.JSONField(default=list, blank=True)
    # How many statements the run will send: with the write after them, its progress's steps.
    statements_planned = models.PositiveSmallIntegerField(default=0)
    statements_sent = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [models.Index(fields=["experiment", "-queued_at"])]

    def __str__(self):
        return f"{self.experiment_id} {self.status} {self.queued_at:%Y-%m-%d %H:%M}"

    @property
    def progress(self) -> int:
        """Percent done: each statement sent is a step, and so is the write after them."""
        if self.status in (self.Status.SUCCEEDED, self.Status.FAILED):
            return 100
        if self.status == self.Status.QUEUED or not self.statements_planned:
            return 0
        return min(99, round(100 * self.statements_sent / (self.statements_planned + 1)))
