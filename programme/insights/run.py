"""Compute and store the programme insights; read the stored reports."""

import datetime as dt
import time
from collections.abc import Callable, Iterable

from django.utils import timezone

from ..models import InsightReport
from .history import ProgrammeHistory
from .registry import INSIGHTS


def insights_run(
    *,
    names: Iterable[str] | None = None,
    today: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, float]:
    """Compute the named insights (default: all) over one shared history and store each report.

    Returns the seconds each took. Each report is replaced whole, so a page never reads half of
    a new computation beside half of an old one.
    """
    selected = list(names) if names is not None else list(INSIGHTS)
    unknown = [name for name in selected if name not in INSIGHTS]
    if unknown:
        raise ValueError(f"Unknown insight(s): {', '.join(unknown)}.")
    history = ProgrammeHistory(today=today or timezone.localdate())
    seconds = {}
    for done, name in enumerate(selected, start=1):
        started = time.perf_counter()
        data = INSIGHTS[name].compute(history)
        seconds[name] = time.perf_counter() - started
        InsightReport.objects.update_or_create(
            name=name,
            defaults={"data": data, "computed_at": timezone.now(), "seconds": seconds[name]},
        )
        if progress:
            progress(done, len(selected))
    return seconds


def insight_report(name: str) -> InsightReport:
    """The stored report; computed now the first time (before the first nightly roll-up)."""
    if name not in INSIGHTS:
        raise KeyError(name)
    report = InsightReport.objects.filter(name=name).first()
    if report is None:
        insights_run(names=[name])
        report = InsightReport.objects.get(name=name)
    return report


def insight_summaries() -> list[dict]:
    """Every insight with its stored report's reading and time (None before the first run)."""
    reports = {report.name: report for report in InsightReport.objects.all()}
    return [{"insight": insight, "report": reports.get(name)} for name, insight in INSIGHTS.items()]
