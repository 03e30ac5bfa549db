"""Which days a board pack covers: a calendar month or quarter."""

import datetime as dt

MONTH, QUARTER = "month", "quarter"


def period_containing(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The month or quarter that ``day`` falls in, as (first day, last day)."""
    if kind == MONTH:
        first_month = day.month
    elif kind == QUARTER:
        first_month = 3 * ((day.month - 1) // 3) + 1
    else:
        raise ValueError(f"Unknown period {kind!r}: month or quarter.")
    start = day.replace(month=first_month, day=1)
    months = 1 if kind == MONTH else 3
    year, month = divmod(start.month - 1 + months, 12)
    end = dt.date(start.year + year, month + 1, 1) - dt.timedelta(days=1)
    return start, end


def last_complete_period(kind: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The latest month or quarter that has ended before ``today``."""
    start, _ = period_containing(kind, today)
    return period_containing(kind, start - dt.timedelta(days=1))
