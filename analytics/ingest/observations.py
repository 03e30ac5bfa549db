"""Observation uploads (API JSON or CSV, the upload form, the import command).

A batch is one transaction: every row is checked first, and any bad row rejects the whole
batch with every problem listed by row number and field, so nothing is half-written.
Re-sending a day replaces it (upsert on variant × metric × day).
"""

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from experiments.models import ACCEPTS_DATA, Experiment, Metric
from growthops.errors import TransitionNotAllowed, ValidationFailed
from roles.capabilities import require

from ..analysis.freshness import observations_changed
from ..models import Observation

CSV_HEADER = ["date", "variant", "metric", "users", "conversions", "sum", "sum_squares"]
CSV_OPTIONAL = ["covariate_sum", "covariate_sum_squares", "cross_sum"]
COVARIATE_FIELDS = ("covariate_sum", "covariate_sum_squares", "cross_sum")
KNOWN_FIELDS = set(CSV_HEADER) | set(CSV_OPTIONAL)
MAX_ROWS = 100_000
MAX_LISTED_PROBLEMS = 500
MAX_COUNT = 2_000_000_000  # fits the database's integer columns


@dataclass(frozen=True)
class RowProblem:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


class BatchRejected(ValidationFailed):
    """A batch with bad rows; ``problems`` lists each by row number (1 = first data row)."""

    def __init__(self, problems: list[RowProblem]):
        self.problems = problems
        listed = problems[:MAX_LISTED_PROBLEMS]
        errors: dict[str, list[str]] = {}
        for p in listed:
            errors.setdefault(f"row {p.row}", []).append(f"{p.field}: {p.message}")
        more = len(problems) - len(listed)
        message = f"{len(problems)} problem(s) in the batch; nothing was saved."
        if more:
            message += f" The first {len(listed)} are listed."
        super().__init__(errors, message=message)


def parse_csv(text: str) -> list[dict]:
    """CSV text with a header row → row dicts of strings. Refuses unknown or missing columns."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise ValidationFailed(
            {"csv": "The file is empty; expected a header row: " + ",".join(CSV_HEADER)}
        )
    missing = [h for h in CSV_HEADER if h not in header]
    unknown = [h for h in header if h not in KNOWN_FIELDS]
    if missing or unknown:
        problems = []
        if missing:
            problems.append("missing column(s): " + ", ".join(missing))
        if unknown:
            problems.append("unknown column(s): " + ", ".join(unknown))
        raise ValidationFailed(
            {"csv": problems}, message="Bad CSV header: " + "; ".join(problems) + "."
        )
    reader.fieldnames = header
    rows = []
    try:
        for line in reader:
            if None in line:
                line = {**line, "__extra__": line.pop(None)}
            rows.append({k: (v.strip() if isinstance(v, str) else v) for k, v in line.items()})
    except csv.Error as exc:
        raise ValidationFailed(
            {"csv": f"line {reader.line_num}: {exc}"},
            message=f"Unreadable CSV at line {reader.line_num}: {exc}.",
        ) from exc
    return rows


def observations_ingest(*, experiment_id: int, actor, rows: list[dict]) -> int:
    """Validate and upsert a batch of daily observations; returns how many rows were written."""
    if not isinstance(rows, list):
        raise ValidationFailed({"rows": "Send a list of observation rows."})
    if not rows:
        raise ValidationFailed({"rows": "The batch is empty."})
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(
            {"rows": f"At most {MAX_ROWS:,} rows per batch (got {len(rows):,})."}
        )
    experiment = (
        Experiment.objects.select_related("primary_metric")
        .prefetch_related("variants", "secondary_metrics", "guardrail_metrics")
        .get(pk=experiment_id)
    )
    require(actor, "data.upload", experiment)
    if experiment.status not in ACCEPTS_DATA:
        raise TransitionNotAllowed(
            f"“{experiment}” is {experiment.get_status_display().lower()}; data is accepted while "
            "it runs, is paused or awaits its decision."
        )
    observations = _validated(experiment, rows)
    # A fixed order, so two overlapping batches lock their rows in the same sequence.
    observations.sort(key=lambda o: (o.variant_id, o.metric_id, o.date))
    with transaction.atomic():
        observations_upsert(observations)
        observations_changed([experiment.pk])
    return len(observations)


def observations_upsert(observations: list[Observation]) -> None:
    """Store observations, replacing any already stored for the same variant × metric × day."""
    Observation.objects.bulk_create(
        observations,
        update_conflicts=True,
        unique_fields=["variant", "metric", "date"],
        update_fields=[
            "users",
            "conversions",
            "sum",
            "sum_squares",
            *COVARIATE_FIELDS,
            "source",
            "updated_at",
        ],
        batch_size=2_000,
    )


def experiment_metrics(experiment: Experiment) -> dict[str, Metric]:
    metrics = {m.key: m for m in experiment.secondary_metrics.all()}
    metrics.update({m.key: m for m in experiment.guardrail_metrics.all()})
    if experiment.primary_metric is not None:
        metrics[experiment.primary_metric.key] = experiment.primary_metric
    return metrics


def _validated(experiment: Experiment, rows: list[dict]) -> list[Observation]:
    variants = {v.key: v for v in experiment.variants.all()}
    metrics = experiment_metrics(experiment)
    first_day = experiment.start_date
    last_day = experiment.end_date or timezone.localdate()
    problems: list[RowProblem] = []
    seen: dict[tuple, int] = {}
    observations: list[Observation] = []
    now = timezone.now()

    for number, row in enumerate(rows, start=1):

        def bad(field, message, number=number):
            problems.append(RowProblem(number, field, message))

        if not isinstance(row, dict):
            bad("row", "must be an object with date, variant, metric, users, …")
            continue
        unknown = sorted(set(row) - KNOWN_FIELDS)
        if unknown:
            bad(
                unknown[0],
                "unknown field" + (f"s: {', '.join(unknown)}" if len(unknown) > 1 else ""),
            )
        day = _date(row.get("date"), bad)
        if day is not None:
            if first_day is None:
                bad("date", f"the experiment has not started, so it has no data for {day}")
            elif not first_day <= day <= last_day:
                bad("date", f"{day} is outside the experiment ({first_day} to {last_day})")
        variant = variants.get(_text(row.get("variant")))
        if variant is None:
            bad(
                "variant",
                f"unknown variant “{row.get('variant')}” (this experiment has: {', '.join(variants)})",
            )
        metric = metrics.get(_text(row.get("metric")))
        if metric is None:
            bad(
                "metric",
                f"unknown metric “{row.get('metric')}” (this experiment measures: {', '.join(metrics)})",
            )
        users = _number(row, "users", bad, integer=True, required=True)
        values = {"users": users}
        if metric is not None:
            values.update(_metric_values(row, metric, users, bad))
        values.update(_covariates(row, bad))
        if variant is not None and metric is not None and day is not None:
            key = (variant.pk, metric.pk, day)
            if key in seen:
                bad("date", f"duplicates row {seen[key]} (same day, variant and metric)")
            seen.setdefault(key, number)
        if not problems or problems[-1].row != number:
            observations.append(
                Observation(
                    experiment=experiment,
                    variant=variant,
                    metric=metric,
                    date=day,
                    source=Observation.Source.UPLOAD,
                    updated_at=now,
                    **values,
                )
            )
    if problems:
        raise BatchRejected(problems)
    return observations


def _metric_values(row: dict, metric: Metric, users, bad) -> dict:
    if metric.kind == Metric.Kind.BINOMIAL:
        for field in ("sum", "sum_squares"):
            if not _blank(row.get(field)):
                bad(field, f"“{metric.key}” is a conversion metric: give conversions, not {field}")
        conversions = _number(row, "conversions", bad, integer=True, required=True)
        if conversions is not None and users is not None and conversions > users:
            bad("conversions", f"{conversions} conversions is more than the {users} users")
        return {"conversions": conversions, "sum": None, "sum_squares": None}
    if not _blank(row.get("conversions")):
        bad(
            "conversions",
            f"“{metric.key}” is a mean metric: give sum and sum_squares, not conversions",
        )
    total = _number(row, "sum", bad, required=True, signed=True)
    squares = _number(row, "sum_squares", bad, required=True)
    if None not in (total, squares, users):
        if users == 0 and (total or squares):
            bad("sum", "must be 0 when there are no users")
        elif users and squares < total * total / users * (1 - 1e-9):
            bad("sum_squares", "is smaller than sum²/users, which no real data can give")
    return {"conversions": None, "sum": total, "sum_squares": squares}


def _covariates(row: dict, bad) -> dict:
    given = [f for f in COVARIATE_FIELDS if not _blank(row.get(f))]
    if not given:
        return dict.fromkeys(COVARIATE_FIELDS)
    if len(given) != len(COVARIATE_FIELDS):
        missing = [f for f in COVARIATE_FIELDS if f not in given]
        bad(missing[0], "CUPED needs covariate_sum, covariate_sum_squares and cross_sum together")
        return dict.fromkeys(COVARIATE_FIELDS)
    return {
        "covariate_sum": _number(row, "covariate_sum", bad, required=True, signed=True),
        "covariate_sum_squares": _number(row, "covariate_sum_squares", bad, required=True),
        "cross_sum": _number(row, "cross_sum", bad, required=True, signed=True),
    }


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else "" if value is None else str(value)


def _date(value, bad) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if _blank(value):
        bad("date", "is required (YYYY-MM-DD)")
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        bad("date", f"“{value}” is not a date (YYYY-MM-DD)")
        return None


def _number(row: dict, field: str, bad, *, integer=False, required=False, signed=False):
    value = row.get(field)
    if _blank(value):
        if required:
            bad(field, "is required")
        return None
    kind = "a whole number" if integer else "a number"
    if isinstance(value, bool):
        bad(field, f"must be {kind}")
        return None
    try:
        number = float(value) if isinstance(value, str) else value
        if not isinstance(number, int | float) or not math.isfinite(number):
            raise ValueError
    except (TypeError, ValueError):
        bad(field, f"“{value}” is not {kind}")
        return None
    if integer:
        if float(number) != int(number):
            bad(field, f"“{value}” is not {kind}")
            return None
        number = int(number)
        if number > MAX_COUNT:
            bad(field, f"{value} is larger than any real count")
            return None
    if not signed and number < 0:
        bad(field, f"must not be negative (got {value})")
        return None
    return number
