"""Numbers the design page suggests, each with where it came from (docs/decisions.md).

Baseline and daily traffic come from the segment's and the metric's recent observations, a
realistic MDE from the segment's past shrunk lifts. Both are read by apps above this one
(analytics, the programme): they hand their sources over through
:func:`register_design_suggestions` when they are ready, so nothing here imports them.
"""

from collections.abc import Callable
from dataclasses import dataclass

from roles.capabilities import can

from .models import Metric, Segment


@dataclass(frozen=True)
class Suggestion:
    """A value for one design field (``baseline``, ``baseline_sd``, ``daily_traffic``,
    ``mde``) and the sentence that says where it came from."""

    field: str
    value: float
    source: str


SuggestionSource = Callable[[Segment | None, Metric | None], list[Suggestion]]
_sources: list[SuggestionSource] = []


def register_design_suggestions(source: SuggestionSource) -> None:
    """Add a source of suggestions; registering the same one twice is a no-op."""
    if source not in _sources:
        _sources.append(source)


def design_suggestions(
    *, segment: Segment | None, metric: Metric | None, user
) -> dict[str, Suggestion]:
    """Every registered source's suggestions for this segment and metric, by field. They read
    every team's tests, so an agency partner's people, who see only their agency's, get none."""
    if not can(user, "experiments.all_partners"):
        return {}
    suggestions: dict[str, Suggestion] = {}
    for source in _sources:
        for suggestion in source(segment, metric):
            suggestions.setdefault(suggestion.field, suggestion)
    return suggestions
