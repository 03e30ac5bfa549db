"""Building one board pack: read the content, draw the PDF, store both (the task's work)."""

import logging

from django.db import transaction
from django.utils import timezone

from ..models import BoardReport
from .content import board_pack_content
from .render import pdf_bytes

logger = logging.getLogger(__name__)

# Share of the progress bar the content takes; the PDF takes the rest.
CONTENT_SHARE = 60


def pack_title(report: BoardReport) -> str:
    if report.period == BoardReport.Period.MONTH:
        return f"Growth programme: {report.period_start:%B %Y}"
    quarter = (report.period_start.month - 1) // 3 + 1
    return f"Growth programme: Q{quarter} {report.period_start:%Y}"


def board_report_build(report_id: int) -> str:
    """Build the pack once: a pack already built is left as it is (a retried task does not
    build it twice). Returns the pack's status."""
    with transaction.atomic():
        report = BoardReport.objects.select_for_update().get(pk=report_id)
        if report.status == BoardReport.Status.READY:
            return report.status
        report.status, report.progress, report.error = BoardReport.Status.BUILDING, 0, ""
        report.save(update_fields=["status", "progress", "error"])

    def progress(done: int, total: int) -> None:
        percent = round(CONTENT_SHARE * done / total)
        BoardReport.objects.filter(pk=report_id).update(progress=percent)

    try:
        content = board_pack_content(report.period_start, report.period_end, progress=progress)
        pdf = pdf_bytes(content, title=pack_title(report))
    except Exception as error:
        logger.exception("Board pack %s failed", report_id)
        BoardReport.objects.filter(pk=report_id).update(
            status=BoardReport.Status.FAILED, error=f"{type(error).__name__}: {error}"
        )
        raise
    BoardReport.objects.filter(pk=report_id).update(
        status=BoardReport.Status.READY,
        progress=100,
        content=content,
        pdf=pdf,
        finished_at=timezone.now(),
    )
    return BoardReport.Status.READY
