"""Observation uploads (API JSON or CSV, the upload form, the import command).

A batch is one transaction: every row is checked first, and any bad row rejects the whole
batch with every problem listed by row number and field, so nothing is half-written.
Re-sending a day replaces it (upsert on variant × metric × day, and slice: a row may name a
``dimension`` of ``analytics.dimensions`` and its ``dimension_value``; without them it is the
overall row, the one the analysis reads).
"""

import csv
import datetime as dt
import io
import math
import re
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from experiments.models import ACCEPTS_DATA, Experiment, Metric
from experiments.selectors import experiment_metrics
from growthops.errors import TransitionNotAllowed, ValidationFailed
from roles.capabilities import refusal, require

from ..analysis.freshness import observations_changed
from ..dimensions import row_slice
from ..models import Observation
from ..stats.sums import cross_sum_problem, squares_problem
from .store import COVARIATE_FIELDS, observations_upsert

CSV_HEADER = ["date", "variant", "metric", "users", "conversions", "sum", "sum_squares"]
CSV_OPTIONAL = list(COVARIATE_FIELDS)  # CUPED's columns
# A slice's row (device = mobile); both or neither (the overall row).
DIMENSION_FIELDS = ["dimension", "dimension_value"]
KNOWN_FIELDS = set(CSV_HEADER) | set(CSV_OPTIONAL) | set(DIMENSION_FIELDS)
MAX_ROWS = 100_000
MAX_LISTED_PROBLEMS = 500
MAX_COUNT = 2_000_000_000  # fits the database's integer columns
# Plain ASCII decimals only: int() and float() also take "1_000" and full-width digits.
# Signed, so that "-5" in a CSV cell is told it is negative, as the JSON number -5 is.
WHOLE_NUMBER = re.compile(r"-?[0-9]+", re.ASCII)
DECIMAL_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)
# date.fromisoformat also takes "20261001" and week dates ("2026-W40-4").
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


# --- who may write an experiment's data, when, and for which days (uploads and events) -------


def status_refusal(experiment: Experiment) -> str | None:
    """Why ``experiment`` takes no data in its current status, or None when it does."""
    if experiment.status in ACCEPTS_DATA or experiment.is_shipped:
        return None
    return (
        f"“{experiment}” is {experiment.get_status_display().lower()}; data is accepted while "
        "it runs, is paused or awaits its decision, and after its end date once it has shipped."
    )


def data_refusal(actor, experiment: Experiment) -> str | None:
    """Why ``actor`` may not write result data to ``experiment`` now, or None when they may."""
    return refusal(actor, "data.upload", experiment) or status_refusal(experiment)


def data_window(experiment: Experiment) -> tuple[dt.date | None, dt.date]:
    """The days that may hold data: from the start to the end date (today while it runs);
    once shipped, the holdout's days after the end date up to today (the test's own days are
    final by then)."""
    if experiment.is_shipped and experiment.end_date is not None:
        return experiment.end_date + dt.timedelta(days=1), timezone.localdate()
    return experiment.start_date, experiment.end_date or timezone.localdate()


def day_refusal(experiment: Experiment, day: dt.date) -> str | None:
    """Why ``experiment`` can have no data for ``day``, or None when it can."""
    first_day, last_day = data_window(experiment)
    if first_day is None:
        return f"the experiment has not started, so it has no data for {day}"
    if not first_day <= day <= last_day:
        return f"{day} is outside the experiment ({first_day} to {last_day})"
    return None


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
        self.items = [p.as_dict() for p in listed]


def parse_csv(
    text: str,
    *,
    header: tuple[str, ...] = tuple(CSV_HEADER),
    optional: tuple[str, ...] = (*CSV_OPTIONAL, *DIMENSION_FIELDS),
    one_row_per: str = "variant × day",
) -> list[dict]:
    """CSV text with a header row → row dicts of strings. Refuses unknown or missing columns
    (``header`` is required, ``optional`` may be added)."""
    expected, known = list(header), set(header) | set(optional)
    # newline="": the csv module reads line ends itself (a lone \r ends a line, as in old Mac files).
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise ValidationFailed(
            {"csv": f"line 1: {exc}"}, message=f"Unreadable CSV header: {exc}."
        ) from exc
    if not header:
        raise ValidationFailed(
            {"csv": "The file is empty; expected a header row: " + ",".join(expected)}
        )
    missing = [h for h in expected if h not in header]
    unknown = [h for h in header if h not in known]
    repeated = [h for h, times in Counter(header).items() if times > 1]
    if missing or unknown or repeated:
        problems = []
        if repeated:
            problems.append("repeated column(s): " + ", ".join(repeated))
        if missing:
            problems.append("missing column(s): " + ", ".join(missing))
        if unknown:
            problems.append("unknown column(s): " + ", ".join(unknown))
        raise ValidationFailed(
            {"csv": problems}, message="Bad CSV header: " + "; ".join(problems) + "."
        )
    reader.fieldnames = header
    rows, problems = [], []
    try:
        for number, line in enumerate(reader, start=1):
            extra = line.pop(None, None)  # DictReader keeps a longer row's surplus under None
            if extra is not None:
                problems.append(
                    RowProblem(
                        number,
                        "row",
                        f"has more fields than the header ({len(header) + len(extra)}, "
                        f"the header has {len(header)})",
                    )
                )
            rows.append({k: (v.strip() if isinstance(v, str) else v) for k, v in line.items()})
    except csv.Error as exc:
        raise ValidationFailed(
            {"csv": f"line {reader.line_num}: {exc}"},
            message=f"Unreadable CSV at line {reader.line_num}: {exc}.",
        ) from exc
    if problems:
        raise BatchRejected(problems)
    if not rows:
        raise ValidationFailed(
            {"csv": f"The file has a header row but no data rows; add one row per {one_row_per}."}
        )
    return rows


def observations_ingest(*, experiment_id: int, actor, rows: list[dict]) -> int:
    """Validate and upsert a batch of daily observations; returns how many rows were written."""
    return observations_upload(experiment_id=experiment_id, actor=actor, rows=rows).written


@dataclass(frozen=True)
class Upload:
    written: int
    analysis_task_id: str | None  # the queued analysis, to follow at /api/v1/tasks/{id}/
    results_stale: bool = True  # False: slices only, the stored results still hold


def observations_upload(*, experiment_id: int, actor, rows: list[dict]) -> Upload:
    """``observations_ingest``, also naming the analysis task the batch queued."""
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
    if reason := status_refusal(experiment):
        raise TransitionNotAllowed(reason)
    observations = _validated(experiment, rows)
    # A fixed order, so two overlapping batches lock their rows in the same sequence.
    observations.sort(
        key=lambda o: (o.variant_id, o.metric_id, o.date, o.dimension, o.dimension_value)
    )
    # The analysis reads the overall rows only: a batch of slices alone changes no stored
    # result, so it queues no analysis (which would add a look with the same numbers).
    overall = any(not o.dimension for o in observations)
    with transaction.atomic():
        observations_upsert(observations)
        task_ids = observations_changed([experiment.pk]) if overall else []
    return Upload(
        written=len(observations),
        analysis_task_id=task_ids[0] if task_ids else None,
        results_stale=overall,
    )


def observations_validated(
    experiment: Experiment, rows: list[dict], *, dimensions: list[str] | None = None
) -> list[Observation]:
    """Rows (dicts, as an upload gives them) checked as an upload's are: the observations to
    write, or :class:`BatchRejected` naming every problem. For writers with their own source
    and transaction (the warehouse refresh, whose source names its own ``dimensions``)."""
    return _validated(experiment, rows, dimensions)


def _validated(
    experiment: Experiment, rows: list[dict], dimensions: list[str] | None = None
) -> list[Observation]:
    variants = {v.key: v for v in experiment.variants.all()}
    metrics = experiment_metrics(experiment)
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
        check_known_fields(row, KNOWN_FIELDS, bad)
        day = _date(row.get("date"), bad)
        dimension, dimension_value = row_slice(row, bad, dimensions)
        if day is not None and (reason := day_refusal(experiment, day)):
            bad("date", reason)
        variant = variants.get(_text(row.get("variant")))
        if variant is None:
            bad(
                "variant",
                f"unknown variant “{_shown(row.get('variant'))}” (this experiment has: {', '.join(variants)})",
            )
        metric = metrics.get(_text(row.get("metric")))
        if metric is None:
            bad(
                "metric",
                f"unknown metric “{_shown(row.get('metric'))}” (this experiment measures: {', '.join(metrics)})",
            )
        users = _number(row, "users", bad, integer=True, required=True)
        values = {"users": users}
        metric_sums = None
        if metric is not None:
            before = len(problems)
            values.update(_metric_values(row, metric, users, bad))
            if len(problems) == before:
                if metric.kind == Metric.Kind.BINOMIAL:
                    metric_sums = (values["conversions"], values["conversions"])
                else:
                    metric_sums = (values["sum"], values["sum_squares"])
        values.update(_covariates(row, users, metric_sums, bad))
        if variant is not None and metric is not None and day is not None:
            key = (variant.pk, metric.pk, day, dimension, dimension_value)
            if key in seen:
                bad(
                    "date",
                    f"duplicates row {seen[key]} (same day, variant, metric and "
                    + (f"{dimension} “{dimension_value}”)" if dimension else "no dimension)"),
                )
            seen.setdefault(key, number)
        if not problems or problems[-1].row != number:
            observations.append(
                Observation(
                    experiment=experiment,
                    variant=variant,
                    metric=metric,
                    date=day,
                    source=Observation.Source.UPLOAD,
                    dimension=dimension,
                    dimension_value=dimension_value,
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
    if not _possible_sums(total, squares, users, "sum", "sum_squares", bad):
        total = squares = None
    return {"conversions": None, "sum": total, "sum_squares": squares}


def _possible_sums(total, squares, users, total_field, squares_field, bad) -> bool:
    """Whether a sum and sum of squares can come from ``users`` real values within the bound.

    |Σx|/n and √(Σx²/n) stay within ``settings.OBSERVATION_MAX_ABS_VALUE``, and Σx² ≥ (Σx)²/n
    (``analytics.stats.sums``, as the engine asks). False when a problem was reported.
    """
    if None in (total, squares, users):
        return True
    if users == 0:
        if total or squares:
            bad(total_field, "must be 0 when there are no users")
            return False
        return True
    bound = settings.OBSERVATION_MAX_ABS_VALUE
    ok = True
    if abs(total) / users > bound:
        bad(
            total_field, f"a mean of {abs(total) / users:g} per user is past the limit of {bound:g}"
        )
        ok = False
    if math.sqrt(squares / users) > bound:
        bad(
            squares_field,
            f"a root mean square of {math.sqrt(squares / users):g} per user is past the limit "
            f"of {bound:g}",
        )
        ok = False
    if ok and (problem := squares_problem(total, squares, users, total_field=total_field)):
        bad(squares_field, problem)
        ok = False
    return ok


def _covariates(row: dict, users, metric_sums: tuple | None, bad) -> dict:
    """CUPED's pre-period covariate X beside the metric Y, checked against each other.

    ``metric_sums`` is (ΣY, ΣY²) of the row (for a conversion metric both are the conversions),
    or None when the row's metric values are unusable. The cross sum must keep the correlation
    within ±1 (``analytics.stats.sums``, as the engine asks).
    """
    given = [f for f in COVARIATE_FIELDS if not _blank(row.get(f))]
    if not given:
        return dict.fromkeys(COVARIATE_FIELDS)
    if len(given) != len(COVARIATE_FIELDS):
        missing = [f for f in COVARIATE_FIELDS if f not in given]
        bad(missing[0], "CUPED needs covariate_sum, covariate_sum_squares and cross_sum together")
        return dict.fromkeys(COVARIATE_FIELDS)
    sx = _number(row, "covariate_sum", bad, required=True, signed=True)
    sxx = _number(row, "covariate_sum_squares", bad, required=True)
    sxy = _number(row, "cross_sum", bad, required=True, signed=True)
    values = {"covariate_sum": sx, "covariate_sum_squares": sxx, "cross_sum": sxy}
    possible = _possible_sums(sx, sxx, users, "covariate_sum", "covariate_sum_squares", bad)
    if not possible or None in (sx, sxx, sxy, users) or metric_sums is None:
        return values
    sy, syy = metric_sums
    if users == 0:
        if sxy:
            bad("cross_sum", "must be 0 when there are no users")
        return values
    if problem := cross_sum_problem(sx, sxx, sxy, sy, syy, users):
        bad("cross_sum", problem)
    return values


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else "" if value is None else str(value)


def _date(value, bad) -> dt.date | None:
    if _blank(value):
        bad("date", "is required (YYYY-MM-DD)")
        return None
    text = value.strip() if isinstance(value, str) else None
    if text is not None and ISO_DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    bad("date", f"“{_shown(value)}” is not a date (YYYY-MM-DD)")
    return None


def _shown(value) -> str:
    """A value as the sender wrote it, shortened: anything can arrive in a JSON row."""
    text = (
        value if isinstance(value, str) else str(value) if _scalar(value) else type(value).__name__
    )
    return text if len(text) <= 40 else text[:37] + "…"


def _scalar(value) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


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
    if isinstance(value, str):
        text = value.strip()
        pattern = WHOLE_NUMBER if integer else DECIMAL_NUMBER
        number = float(text) if pattern.fullmatch(text) else None
        if number is not None and integer:
            number = int(text)
    else:
        number = value if isinstance(value, int | float) else None
    if number is None or (isinstance(number, float) and not math.isfinite(number)):
        bad(field, f"“{_shown(value)}” is not {kind}")
        return None
    if integer:
        if isinstance(number, float) and not number.is_integer():
            bad(field, f"“{value}” is not {kind}")
            return None
        number = int(number)
        if abs(number) > MAX_COUNT:
            bad(field, f"{value} is larger than any real count")
            return None
    if not signed and number < 0:
        bad(field, f"must not be negative (got {value})")
        return None
    return number


# The same field checks for the programme's other daily uploads (measured KPIs, holdout data).
def check_known_fields(row: dict, known, bad) -> None:
    """Name the fields of ``row`` that are not in ``known`` (one problem, on the first)."""
    unknown = sorted(str(key) for key in set(row) - known)
    if unknown:
        bad(
            unknown[0],
            "unknown field" + (f"s: {', '.join(unknown)}" if len(unknown) > 1 else ""),
        )


parse_day = _date
parse_number = _number
