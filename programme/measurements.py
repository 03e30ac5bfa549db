"""An objective's measured KPI: daily values uploaded (API JSON or CSV, the objective page's
form) and read back (docs/portfolio.md, "Measured, estimated and holdout figures").

Uploads are as strict as observation uploads (``analytics.ingest.observations``): every row is
checked first, and one bad row refuses the batch, listing each problem by row and field, so
nothing is half-written. A day already stored is **replaced** by the value sent for it, as an
observation's day is: re-sending a corrected export is the common case, and the old value is
not a second truth worth keeping. One batch may not name a day twice.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from analytics.ingest.observations import (
    BatchRejected,
    RowProblem,
    check_known_fields,
    parse_csv,
    parse_day,
    parse_number,
)
from experiments.models import Objective
from experiments.units import csv_column
from growthops.errors import ValidationFailed
from roles.capabilities import require

from .models import ObjectiveMeasurement

CSV_HEADER = ("date", "value")
FIELDS = set(CSV_HEADER)
MAX_ROWS = 20_000  # fifty years of days
# The column holds 16 digits, 2 after the point.
MAX_VALUE = Decimal("99999999999999.99")
CENT = Decimal("0.01")
# A count is never below zero. Money may be (net new ARR when churn outgrows new business, a
# profit), and so may a percent (a growth rate, a margin).
NEVER_NEGATIVE = frozenset({Objective.Unit.COUNT})


def measurements_parse_csv(text: str) -> list[dict]:
    """``date,value`` CSV text → row dicts; a wrong or missing header is refused."""
    return parse_csv(text, header=CSV_HEADER, optional=(), one_row_per="day")


def measurements_ingest(
    *, objective_id: int, actor, rows: list[dict], source: str = ObjectiveMeasurement.Source.UPLOAD
) -> int:
    """Validate and store a batch of daily values; returns how many days were written."""
    if not isinstance(rows, list):
        raise ValidationFailed({"rows": "Send a list of rows, each with a date and a value."})
    if not rows:
        raise ValidationFailed({"rows": "The batch is empty."})
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(
            {"rows": f"At most {MAX_ROWS:,} rows per batch (got {len(rows):,})."}
        )
    objective = Objective.objects.get(pk=objective_id)
    require(actor, "objectives.measure")
    measurements = _validated(objective, rows, actor=actor, source=source)
    measurements.sort(key=lambda m: m.date)
    with transaction.atomic():
        ObjectiveMeasurement.objects.bulk_create(
            measurements,
            update_conflicts=True,
            unique_fields=["objective", "date"],
            update_fields=["value", "source", "recorded_by", "created_at"],
            batch_size=2_000,
        )
    return len(measurements)


def measurement_record(*, objective_id: int, actor, date, value) -> ObjectiveMeasurement:
    """One day's value, from the objective page's form: the same checks as a batch of one, each
    problem named by its field (``date``, ``value``) rather than by its row."""
    row = {
        "date": date.isoformat() if isinstance(date, dt.date) else date,
        # A form's Decimal is read as the text it was typed as, like a CSV cell.
        "value": str(value) if isinstance(value, Decimal) else value,
    }
    try:
        measurements_ingest(
            objective_id=objective_id,
            actor=actor,
            rows=[row],
            source=ObjectiveMeasurement.Source.FORM,
        )
    except BatchRejected as exc:
        errors: dict[str, list[str]] = {}
        for problem in exc.problems:
            errors.setdefault(problem.field, []).append(problem.message)
        raise ValidationFailed(errors) from exc
    return ObjectiveMeasurement.objects.get(objective_id=objective_id, date=row["date"])


def measurement_series(objective: Objective):
    """The objective's measured values, oldest first."""
    return ObjectiveMeasurement.objects.filter(objective=objective).order_by("date")


def measurement_csv_header(objective: Objective) -> list[str]:
    """The series' CSV columns, the value's naming its unit: ``date,value (EUR)``."""
    return ["date", csv_column("value", objective.unit)]


def _validated(objective, rows, *, actor, source) -> list[ObjectiveMeasurement]:
    problems: list[RowProblem] = []
    seen: dict[dt.date, int] = {}
    measurements = []
    today = timezone.localdate()
    now = timezone.now()
    for number, row in enumerate(rows, start=1):

        def bad(field, message, number=number):
            problems.append(RowProblem(number, field, message))

        if not isinstance(row, dict):
            bad("row", "must be an object with a date and a value")
            continue
        check_known_fields(row, FIELDS, bad)
        day = parse_day(row.get("date"), bad)
        if day is not None and day > today:
            bad("date", f"{day} is in the future; a measurement is of a day that has happened")
        value = _value(row, bad, unit=objective.unit)
        if day is not None:
            if day in seen:
                bad("date", f"duplicates row {seen[day]} (one value per day)")
            seen.setdefault(day, number)
        if not problems or problems[-1].row != number:
            measurements.append(
                ObjectiveMeasurement(
                    objective=objective,
                    date=day,
                    value=value,
                    source=source,
                    recorded_by=actor,
                    created_at=now,
                )
            )
    if problems:
        raise BatchRejected(problems)
    return measurements


def _value(row: dict, bad, *, unit: str) -> Decimal | None:
    number = parse_number(row, "value", bad, required=True, signed=True)
    if number is None:
        return None
    if abs(number) > MAX_VALUE:  # before rounding: a huge number has no cents to round to
        bad("value", f"{row['value']} is larger than the KPI can hold")
        return None
    if number < 0 and unit in NEVER_NEGATIVE:
        kind = Objective.Unit(unit).label.lower()
        bad("value", f"{row['value']} is below zero; a {kind} KPI is never negative")
        return None
    return Decimal(str(number)).quantize(CENT, rounding=ROUND_HALF_UP)
