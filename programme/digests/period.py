"""Which period a digest is for: the week (from Monday) or the day it is sent in, and the span
of time its sections look back over."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from ..models import DigestFrequency

LENGTH = {DigestFrequency.WEEKLY: dt.timedelta(days=7), DigestFrequency.DAILY: dt.timedelta(days=1)}


@dataclass(frozen=True)
class Period:
    frequency: str
    start: dt.date  # the first day of the period: one digest per person and start
    since: dt.datetime  # what the digest covers: since < t <= until
    until: dt.datetime

    @property
    def label(self) -> str:
        return "this week" if self.frequency == DigestFrequency.WEEKLY else "today"


def period_for(frequency: str, now: dt.datetime) -> Period:
    """The period ``now`` falls in for a weekly or daily digest."""
    if frequency not in LENGTH:
        raise ValueError(f"No digest period for {frequency!r}.")
    today = timezone.localdate(now)
    weekly = frequency == DigestFrequency.WEEKLY
    start = today - dt.timedelta(days=today.weekday()) if weekly else today
    return Period(frequency=frequency, start=start, since=now - LENGTH[frequency], until=now)
