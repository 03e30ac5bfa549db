"""Reads: querysets scoped to what the asking user may see, shaped for pages and the API."""

from collections import OrderedDict

from django.db.models import Count, Q, QuerySet

from roles.capabilities import can

from .models import Experiment, ExperimentStatus, Hypothesis, Objective


def experiment_list_for_user(user) -> QuerySet[Experiment]:
    if not can(user, "results.read"):
        return Experiment.objects.none()
    return Experiment.objects.select_related(
        "owner", "objective", "segment", "primary_metric", "hypothesis"
    )


def experiments_by_status(user) -> "OrderedDict[str, list[Experiment]]":
    """Every status in lifecycle order, with the experiments in it (empty lists kept)."""
    groups: OrderedDict[str, list[Experiment]] = OrderedDict(
        (status, []) for status in ExperimentStatus.values
    )
    for experiment in experiment_list_for_user(user).order_by("-updated_at"):
        groups[experiment.status].append(experiment)
    return groups


def objective_list_for_user(user) -> QuerySet[Objective]:
    if not can(user, "results.read"):
        return Objective.objects.none()
    active = [s for s in ExperimentStatus.values if s not in ("concluded", "killed")]
    return Objective.objects.annotate(
        experiments_in_flight=Count("experiments", filter=Q(experiments__status__in=active)),
        experiments_total=Count("experiments"),
    ).order_by("target_date")


def hypothesis_list_for_user(user) -> QuerySet[Hypothesis]:
    if not can(user, "results.read"):
        return Hypothesis.objects.none()
    return Hypothesis.objects.select_related("author", "objective", "segment", "metric")


def _words(text: str, limit: int = 8) -> list[str]:
    return [w for w in (text or "").split() if len(w) > 1][:limit]


def hypothesis_search(user, text: str) -> QuerySet[Hypothesis]:
    """Hypotheses whose title contains every word of ``text`` (for the global search box)."""
    found = hypothesis_list_for_user(user)
    words = _words(text)
    if not words:
        return found.none()
    for word in words:
        found = found.filter(title__icontains=word)
    return found.order_by("-created_at")


def experiment_search(user, text: str) -> QuerySet[Experiment]:
    """Experiments whose name or key contains every word of ``text``."""
    found = experiment_list_for_user(user)
    words = _words(text)
    if not words:
        return found.none()
    for word in words:
        found = found.filter(Q(name__icontains=word) | Q(key__icontains=word))
    return found.order_by("-updated_at")
