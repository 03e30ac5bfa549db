"""Celery tasks of the programme: the nightly roll-ups. Arguments are ids only.

The names stay ``analytics.tasks.*`` (where they were first defined): beat's schedule and
messages already queued use them.
"""

from celery import shared_task

from analytics.analysis.tasks import progress_reporter

from .digests.delivery import digests_send_due
from .freshness import programme_refresh_run
from .insights.run import insights_run
from .portfolio.rechecks import ship_rechecks_run
from .portfolio.rollup import portfolio_rollup_run


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


@shared_task(bind=True, name="programme.tasks.programme_refresh")
def programme_refresh(self, names: list[str] | None = None):
    """After a decision, a step or a concluded test's new look (debounced, ``freshness.py``):
    today's roll-up rows and the insights ``names`` (default: all) again."""
    return programme_refresh_run(names)
