"""Celery tasks of the programme: the nightly roll-ups. Arguments are ids only.

The names stay ``analytics.tasks.*`` (where they were first defined): beat's schedule and
messages already queued use them.
"""

from celery import shared_task

from analytics.analysis.tasks import progress_reporter

from .digests.delivery import digests_send_due
from .freshness import programme_refresh  # defined beside the queue that sends it
from .insights.run import insights_run
from .portfolio.rechecks import ship_rechecks_run
from .portfolio.rollup import portfolio_rollup_run
from .postmortems import postmortems_overdue_notify
from .reports.services import monthly_board_report
from .reports.tasks import build_board_report


@shared_task(bind=True, name="analytics.tasks.portfolio_rollup")
def portfolio_rollup(self):
    """Nightly programme numbers per objective, segment, channel, team and operator."""
    return portfolio_rollup_run(progress=progress_reporter(self))


@shared_task(bind=True, name="analytics.tasks.ship_rechecks")
def ship_rechecks(self):
    """Daily, before the portfolio roll-up: re-check winners shipped 30 and 90 days ago."""
    return ship_rechecks_run()


@shared_task(bind=True, name="analytics.tasks.insights_rollup")
def insights_rollup(self):
    """Nightly programme insights (docs/insights.md); returns the seconds each took."""
    return insights_run(progress=progress_reporter(self))


@shared_task(bind=True, name="programme.tasks.send_digests")
def send_digests(self):
    """Hourly: send the digests that are due, once per person, period and channel."""
    return digests_send_due()


@shared_task(bind=True, name="programme.tasks.monthly_board_report")
def board_report_monthly(self):
    """On the 1st: queue last month's board pack (once)."""
    report = monthly_board_report()
    return report.pk if report else None


@shared_task(bind=True, name="programme.tasks.postmortems_overdue")
def postmortems_overdue(self):
    """Daily: tell owners, once each, of overdue post-mortems and actions."""
    return postmortems_overdue_notify()


__all__ = [
    "board_report_monthly",
    "build_board_report",
    "insights_rollup",
    "portfolio_rollup",
    "postmortems_overdue",
    "programme_refresh",
    "send_digests",
    "ship_rechecks",
]
