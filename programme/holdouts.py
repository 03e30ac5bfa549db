"""Programme holdouts: keeping one (the CMO), and their daily data coming in (API JSON or CSV),
as strict as observation uploads — one bad row refuses the batch and nothing is written; a day
sent again replaces that day's row of its group (docs/portfolio.md, "Programme holdouts").

What a holdout measures, and the ledger's estimate beside it, is ``portfolio/holdouts.py``.
"""

import datetime as dt
import math

from django.conf import settings
from django.core.exceptions import ValidationError
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
from analytics.stats.sums import squares_problem
from experiments.models import Objective, Segment
from growthops.errors import ValidationFailed
from roles.capabilities import require

from .models import Holdout, HoldoutObservation

CSV_HEADER = ("date", "group", "users")
CSV_OPTIONAL = ("conversions", "sum", "sum_squares")
FIELDS = set(CSV_HEADER) | set(CSV_OPTIONAL)
MAX_ROWS = 20_000
Group = HoldoutObservation.Group
Kind = Holdout.Kind


def holdout_create(
    *,
    actor,
    name: str,
    segment: Segment,
    share: float,
    started_on: dt.date,
    kind: str = Kind.CONVERSION,
    objective: Objective | None = None,
    notes: str = "",
) -> Holdout:
    """Keep a share of ``segment``'s users away from every change shipped into it from
    ``started_on``."""
    require(actor, "holdouts.manage")
    holdout = Holdout(
        name=name.strip(),
        segment=segment,
        share=share,
        started_on=started_on,
        kind=kind,
        objective=objective,
        notes=notes,
        created_by=actor,
    )
    try:
        holdout.full_clean()
    except ValidationError as exc:
        raise ValidationFailed(exc.message_dict) from exc
    if started_on > timezone.localdate():
        raise ValidationFailed({"started_on": "A holdout starts today or earlier."})
    holdout.save()
    return holdout


def holdout_parse_csv(text: str) -> list[dict]:
    """``date,group,users`` and ``conversions`` (or ``sum,sum_squares``) CSV → row dicts."""
    return parse_csv(
        text, header=CSV_HEADER, optional=CSV_OPTIONAL, one_row_per="group (holdout, exposed) × day"
    )


def holdout_data_ingest(*, holdout_id: int, actor, rows: list[dict]) -> int:
    """Validate and upsert a batch of daily rows of both groups; returns how many were written."""
    if not isinstance(rows, list):
        raise ValidationFailed({"rows": "Send a list of rows (date, group, users, …)."})
    if not rows:
        raise ValidationFailed({"rows": "The batch is empty."})
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(
            {"rows": f"At most {MAX_ROWS:,} rows per batch (got {len(rows):,})."}
        )
    holdout = Holdout.objects.get(pk=holdout_id)
    require(actor, "holdouts.data")
    observations = _validated(holdout, rows, actor=actor)
    observations.sort(key=lambda o: (o.group, o.date))
    with transaction.atomic():
        HoldoutObservation.objects.bulk_create(
            observations,
            update_conflicts=True,
            unique_fields=["holdout", "group", "date"],
            update_fields=[
                "users",
                "conversions",
                "sum",
                "sum_squares",
                "recorded_by",
                "updated_at",
            ],
            batch_size=2_000,
        )
    return len(observations)


def _validated(holdout: Holdout, rows: list[dict], *, actor) -> list[HoldoutObservation]:
    problems: list[RowProblem] = []
    seen: dict[tuple, int] = {}
    observations = []
    today, now = timezone.localdate(), timezone.now()
    for number, row in enumerate(rows, start=1):

        def bad(field, message, number=number):
            problems.append(RowProblem(number, field, message))

        if not isinstance(row, dict):
            bad("row", "must be an object with date, group, users, …")
            continue
        check_known_fields(row, FIELDS, bad)
        day = parse_day(row.get("date"), bad)
        if day is not None and not holdout.started_on <= day <= today:
            bad("date", f"{day} is outside the holdout ({holdout.started_on} to {today})")
        group = row.get("group")
        if group not in Group.values:
            shown = group if isinstance(group, str) and len(group) <= 40 else type(group).__name__
            bad("group", f"“{shown}” is not a group (holdout or exposed)")
            group = None
        users = parse_number(row, "users", bad, integer=True, required=True)
        values = _kind_values(holdout, row, users, bad)
        if day is not None and group is not None:
            if (group, day) in seen:
                bad("date", f"duplicates row {seen[(group, day)]} (same day and group)")
            seen.setdefault((group, day), number)
        if not problems or problems[-1].row != number:
            observations.append(
                HoldoutObservation(
                    holdout=holdout,
                    date=day,
                    group=group,
                    users=users,
                    recorded_by=actor,
                    updated_at=now,
                    **values,
                )
            )
    if problems:
        raise BatchRejected(problems)
    return observations


def _kind_values(holdout: Holdout, row: dict, users, bad) -> dict:
    def blank(field):
        value = row.get(field)
        return value is None or (isinstance(value, str) and not value.strip())

    if holdout.kind == Kind.CONVERSION:
        for field in ("sum", "sum_squares"):
            if not blank(field):
                bad(field, f"this holdout counts conversions: give conversions, not {field}")
        conversions = parse_number(row, "conversions", bad, integer=True, required=True)
        if None not in (conversions, users) and conversions > users:
            bad("conversions", f"{conversions} conversions is more than the {users} users")
        return {"conversions": conversions, "sum": None, "sum_squares": None}
    if not blank("conversions"):
        bad("conversions", "this holdout measures a value per user: give sum and sum_squares")
    total = parse_number(row, "sum", bad, required=True, signed=True)
    squares = parse_number(row, "sum_squares", bad, required=True)
    if None not in (total, squares, users):
        if users == 0 and (total or squares):
            bad("sum", "must be 0 when there are no users")
        elif users and abs(total) / users > settings.OBSERVATION_MAX_ABS_VALUE:
            bad("sum", "a mean per user past the limit of real values")
        elif users and math.sqrt(squares / users) > settings.OBSERVATION_MAX_ABS_VALUE:
            bad("sum_squares", "a root mean square per user past the limit of real values")
        elif users and (problem := squares_problem(total, squares, users, total_field="sum")):
            bad("sum_squares", problem)
    return {"conversions": None, "sum": total, "sum_squares": squares}
