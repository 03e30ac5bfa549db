"""Search and "similar ideas": words matched across hypotheses and experiments the user may see."""

from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    Case,
    Q,
    QuerySet,
    Value,
    When,
)

from .models import (
    Experiment,
    ExperimentStatus,
    Hypothesis,
)
from .selectors import experiment_list_for_user, hypothesis_list_for_user


def _words(text: str, limit: int = 8) -> list[str]:
    return [w for w in (text or "").split() if len(w) > 1][:limit]


def hypothesis_search(text: str, *, user) -> QuerySet[Hypothesis]:
    """Hypotheses whose title contains every word of ``text`` (for the global search box)."""
    found = hypothesis_list_for_user(user=user)
    words = _words(text)
    if not words:
        return found.none()
    for word in words:
        found = found.filter(title__icontains=word)
    return found.order_by("-created_at")


def experiment_search(text: str, *, user) -> QuerySet[Experiment]:
    """Experiments whose name or key contains every word of ``text``."""
    found = experiment_list_for_user(user=user)
    words = _words(text)
    if not words:
        return found.none()
    for word in words:
        found = found.filter(Q(name__icontains=word) | Q(key__icontains=word))
    return found.order_by("-updated_at")


@dataclass(frozen=True)
class SimilarItem:
    """A past hypothesis or concluded experiment that resembles what is being typed."""

    kind: str  # "hypothesis" or "experiment"
    pk: int
    title: str
    status: str
    status_label: str
    detail: str
    rank: float


# Words too common to say two ideas are alike.
_STOPWORDS = frozenset(
    "the and for with from that this our are was were will into more less than on in of to a an "
    "by at we us it its be is as or not new".split()
)


def _similarity_words(text: str, limit: int = 8) -> list[str]:
    words = []
    for raw in (text or "").lower().split():
        word = raw.strip(".,;:!?()[]\"'“”‘’-–—")
        if len(word) >= 3 and word not in _STOPWORDS and word not in words:
            words.append(word)
    return words[:limit]


def hypothesis_similar(text: str, limit: int = 5, *, user) -> list[SimilarItem]:
    """Up to ``limit`` past hypotheses and concluded experiments resembling ``text``, best first.

    PostgreSQL ranks them by full-text search (title weighted above the observation and the
    change; an experiment's name above its learnings). Elsewhere (SQLite) each title or name
    scores the number of the text's words it contains, so any one shared word is a match.
    """
    words = _similarity_words(text)
    if not words:
        return []
    hypotheses = hypothesis_list_for_user(user=user)
    experiments = (
        experiment_list_for_user(user=user)
        .select_related(None)
        .filter(status=ExperimentStatus.CONCLUDED)
    )
    if connection.vendor == "postgresql":
        hypotheses, experiments = _ranked_by_full_text(hypotheses, experiments, words)
    else:
        hypotheses, experiments = _ranked_by_shared_words(hypotheses, experiments, words)
    items = [
        SimilarItem(
            "hypothesis",
            h.pk,
            h.title,
            h.status,
            h.get_status_display(),
            f"{h.get_channel_display()} · {h.segment.name}",
            float(h.rank),
        )
        for h in hypotheses.select_related("segment")[:limit]
    ] + [
        SimilarItem(
            "experiment",
            e.pk,
            e.name,
            e.status,
            e.get_outcome_display() or e.get_status_display(),
            (e.learnings or e.get_decision_display())[:140],
            float(e.rank),
        )
        for e in experiments[:limit]
    ]
    items.sort(key=lambda item: -item.rank)
    return items[:limit]


def _ranked_by_full_text(hypotheses, experiments, words):
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    # Any shared word counts (OR), so a half-typed title already finds its neighbours.
    query = SearchQuery(words[0], search_type="plain", config="english")
    for word in words[1:]:
        query |= SearchQuery(word, search_type="plain", config="english")
    h_vector = (
        SearchVector("title", weight="A", config="english")
        + SearchVector("change", weight="B", config="english")
        + SearchVector("observation", weight="C", config="english")
    )
    e_vector = SearchVector("name", weight="A", config="english") + SearchVector(
        "learnings", weight="C", config="english"
    )
    hypotheses = (
        hypotheses.annotate(rank=SearchRank(h_vector, query))
        .filter(rank__gt=0.01)
        .order_by("-rank", "-created_at")
    )
    experiments = (
        experiments.annotate(rank=SearchRank(e_vector, query))
        .filter(rank__gt=0.01)
        .order_by("-rank", "-updated_at")
    )
    return hypotheses, experiments


def _ranked_by_shared_words(hypotheses, experiments, words):
    def shared(field):
        return sum(
            (
                Case(When(**{f"{field}__icontains": w}, then=Value(1.0)), default=Value(0.0))
                for w in words
            ),
            start=Value(0.0),
        )

    hypotheses = (
        hypotheses.annotate(rank=shared("title"))
        .filter(rank__gt=0)
        .order_by("-rank", "-created_at")
    )
    experiments = (
        experiments.annotate(rank=shared("name"))
        .filter(rank__gt=0)
        .order_by("-rank", "-updated_at")
    )
    return hypotheses, experiments
