"""The board pack's Celery task (its services queue it on commit)."""

from celery import shared_task

from analytics.analysis.tasks import RETRY_ON_TRANSIENT_ERRORS

from .pack import board_report_build


@shared_task(bind=True, name="programme.tasks.build_board_report", **RETRY_ON_TRANSIENT_ERRORS)
def build_board_report(self, report_id: int):
    """Build one board pack (content, then PDF), recording its progress on the pack."""
    return board_report_build(report_id)
