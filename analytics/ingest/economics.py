"""A segment's acquisition economics as data: each period's customers acquired, their value
and what winning them cost, uploaded as JSON rows or CSV (the API, the segment page's form).

As strict as observation uploads (``analytics.ingest.observations``): every row is checked
first and one bad row refuses the batch, each problem named by row and column, so nothing is
half-written. A period already stored (the same ``period_start``) is **replaced** by the row
sent for it: a corrected export is the common case. Analysts send them, or the members of the
team that owns the segment (``segments.economics``). Each upload is on the audit trail and
tells the programme (``experiments.hooks``, cause ``economics``): partner returns, forecasts
and the ledger value conversions through these numbers, so they are recomputed on commit.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from experiments.hooks import experiments_changed
from experiments.models import Experiment, Segment, SegmentEconomics
from growthops.errors import ValidationFailed
from roles.capabilities import require
from roles.models import AuditEntry
from roles.services import audit_record

from .observations import (
    BatchRejected,
    RowProblem,
    check_known_fields,
    parse_csv,
    parse_day,
    parse_number,
)

CSV_HEADER = (
    "period_start",
    "period_end",
    "customers_acquired",
    "customer_value",
    "acquisition_cost",
)
FIELDS = set(CSV_HEADER)
MONEY = ("customer_value", "acquisition_cost")
MAX_ROWS = 1_000  # eighty years of months
MAX_MONEY = Decimal("99999999999999.99")  # the columns hold 16 digits, 2 after the point
CENT = Decimal("0.01")


def economics_parse_csv(text: str) -> list[dict]:
    """CSV text with the header ``period_start,period_end,customers_acquired,customer_value,
    acquisition_cost`` → row dicts; a wrong or missing header is refused."""
    return parse_csv(text, header=CSV_HEADER, optional=(), one_row_per="period")


def economics_ingest(*, segment_id: int, actor, rows: list[dict]) -> int:
    """Validate and store a batch of periods; returns how many were written."""
    segment = Segment.objects.select_related("owner_team").get(pk=segment_id)
    require(actor, "segments.economics", segment)
    if not isinstance(rows, list):
        raise ValidationFailed({"rows": "Send a list of rows, one per period."})
    if not rows:
        raise ValidationFailed({"rows": "The batch is empty."})
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(
            {"rows": f"At most {MAX_ROWS:,} rows per batch (got {len(rows):,})."}
        )
    periods = _validated(segment, rows)
    with transaction.atomic():
        starts = [p.period_start for p in periods]
        before = {
            e.period_start.isoformat(): _shown(e)
            for e in SegmentEconomics.objects.filter(segment=segment, period_start__in=starts)
        }
        SegmentEconomics.objects.bulk_create(
            periods,
            update_conflicts=True,
            unique_fields=["segment", "period_start"],
            update_fields=[f for f in CSV_HEADER if f != "period_start"],
        )
        audit_record(
            actor=actor,
            subject=AuditEntry.Subject.ECONOMICS,
            subject_id=segment.pk,
            action="uploaded",
            changes={
                p.period_start.isoformat(): [before.get(p.period_start.isoformat()), _shown(p)]
                for p in periods
            },
        )
        experiments_changed(
            Experiment.objects.filter(segment=segment).values_list("pk", flat=True),
            cause="economics",
        )
    return len(periods)


def economics_list(segment: Segment):
    """The segment's periods, newest first."""
    return SegmentEconomics.objects.filter(segment=segment).order_by("-period_start")


def _shown(period: SegmentEconomics) -> dict:
    return {
        "period_end": period.period_end.isoformat(),
        "customers_acquired": period.customers_acquired,
        "customer_value": str(period.customer_value),
        "acquisition_cost": str(period.acquisition_cost),
    }


def _validated(segment: Segment, rows: list) -> list[SegmentEconomics]:
    problems: list[RowProblem] = []
    seen: dict[dt.date, int] = {}
    periods = []
    today = timezone.localdate()
    for number, row in enumerate(rows, start=1):

        def bad(field, message, number=number):
            problems.append(RowProblem(number, field, message))

        if not isinstance(row, dict):
            bad("row", "must be an object with " + ", ".join(CSV_HEADER))
            continue
        check_known_fields(row, FIELDS, bad)
        start, end = (_day(row, field, bad) for field in ("period_start", "period_end"))
        if start is not None and start > today:
            bad("period_start", f"{start} is in the future; a period's economics are of days past")
        if start is not None and end is not None and end < start:
            bad("period_end", f"{end} is before the period's start ({start})")
        if start is not None:
            if start in seen:
                bad("period_start", f"duplicates row {seen[start]} (one row per period)")
            seen.setdefault(start, number)
        customers = parse_number(row, "customers_acquired", bad, integer=True, required=True)
        money = {field: _money(row, field, bad) for field in MONEY}
        if not problems or problems[-1].row != number:
            periods.append(
                SegmentEconomics(
                    segment=segment,
                    period_start=start,
                    period_end=end,
                    customers_acquired=customers,
                    **money,
                )
            )
    if problems:
        raise BatchRejected(problems)
    return periods


def _day(row: dict, field: str, bad) -> dt.date | None:
    return parse_day(row.get(field), lambda _field, message: bad(field, message))


def _money(row: dict, field: str, bad) -> Decimal | None:
    number = parse_number(row, field, bad, required=True)
    if number is None:
        return None
    if number > MAX_MONEY:
        bad(field, f"{row[field]} is larger than the column can hold")
        return None
    return Decimal(str(number)).quantize(CENT, rounding=ROUND_HALF_UP)
