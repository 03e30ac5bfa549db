"""Asking for a board pack: who may, which period, and the task queued once the row exists."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from growthops.errors import ValidationFailed
from roles.capabilities import require

from ..models import BoardReport
from .period import last_complete_period, period_containing
from .tasks import build_board_report


def board_report_request(*, actor, period: str, ending: dt.date | None = None) -> BoardReport:
    """Queue a pack for the month or quarter containing ``ending`` (default: the last one that
    has ended). ``actor`` None is the monthly schedule."""
    if actor is not None:
        require(actor, "reports.build")
    if period not in BoardReport.Period.values:
        raise ValidationFailed({"period": "Choose month or quarter."})
    today = timezone.localdate()
    if ending is None:
        start, end = last_complete_period(period, today)
    else:
        if ending > today:
            raise ValidationFailed({"ending": "A pack covers days that have passed."})
        start, end = period_containing(period, ending)
    with transaction.atomic():
        report = BoardReport.objects.create(
            period=period, period_start=start, period_end=end, requested_by=actor
        )
        transaction.on_commit(lambda: _queue(report.pk))
    return report


def _queue(report_id: int) -> None:
    task_id = build_board_report.delay(report_id).id
    BoardReport.objects.filter(pk=report_id).update(task_id=task_id or "")


def monthly_board_report() -> BoardReport | None:
    """The schedule's pack of last month, unless one was already asked for."""
    start, _ = last_complete_period(BoardReport.Period.MONTH, timezone.localdate())
    if BoardReport.objects.filter(period=BoardReport.Period.MONTH, period_start=start).exists():
        return None
    return board_report_request(actor=None, period=BoardReport.Period.MONTH)
