from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .history import ProgrammeHistory


@dataclass(frozen=True)
class Insight:
    """One programme insight.

    ``compute`` turns the programme's history into JSON-ready data, including a plain-language
    ``reading``. The insight draws nothing: ``programme.charts.insights`` turns that stored data
    into the page's charts, so a page never recomputes.
    """

    name: str  # the slug in /insights/<name>/ and /api/v1/insights/<name>/
    title: str
    question: str  # the question it answers, shown on the index
    compute: Callable[["ProgrammeHistory"], dict[str, Any]]
    template: str = ""  # the page's own part (tables), below the reading and the charts
    terms: tuple[str, ...] = ()  # the statistical words it uses (experiments/glossary.py)


INSIGHTS: dict[str, Insight] = {}


def register(insight: Insight) -> Insight:
    if insight.name in INSIGHTS:
        raise ValueError(f"Two insights are called {insight.name!r}.")
    INSIGHTS[insight.name] = insight
    return insight
