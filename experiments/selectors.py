"""Reads: querysets scoped to what the asking user may see, shaped for pages and the API."""

from collections import OrderedDict, defaultdict

from django.db.models import Count, ExpressionWrapper, F, FloatField, Q, QuerySet

from roles.capabilities import can
from roles.models import OperatorProfile

from .models import (
    IN_FLIGHT,
    OCCUPIES_OPERATOR,
    Comment,
    Experiment,
    ExperimentStatus,
    Hypothesis,
    Metric,
    Objective,
    Segment,
)


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
    return Objective.objects.annotate(
        experiments_in_flight=Count("experiments", filter=Q(experiments__status__in=IN_FLIGHT)),
        experiments_total=Count("experiments"),
    ).order_by("target_date")


def hypothesis_list_for_user(user) -> QuerySet[Hypothesis]:
    if not can(user, "results.read"):
        return Hypothesis.objects.none()
    return Hypothesis.objects.select_related("author", "objective", "segment", "metric")


def hypothesis_list_scored(user) -> QuerySet[Hypothesis]:
    """Hypotheses with their ICE ``score`` (the mean of impact, confidence and ease) as a column,
    so lists can filter and order by it."""
    return hypothesis_list_for_user(user).annotate(
        score=ExpressionWrapper(
            (F("impact") + F("confidence") + F("ease")) / 3.0, output_field=FloatField()
        )
    )


def segment_list_for_user(user) -> QuerySet[Segment]:
    if not can(user, "results.read"):
        return Segment.objects.none()
    return Segment.objects.select_related("parent", "owner_team")


def operator_profile_list_for_user(user) -> QuerySet[OperatorProfile]:
    """Operator profiles with ``active_experiments``: designs and tests they own right now."""
    if not can(user, "results.read"):
        return OperatorProfile.objects.none()
    return (
        OperatorProfile.objects.select_related("user")
        .annotate(
            active_experiments=Count(
                "user__owned_experiments",
                filter=Q(user__owned_experiments__status__in=OCCUPIES_OPERATOR),
            )
        )
        .order_by("user__username")
    )


def comment_list(*, experiment=None, hypothesis=None) -> QuerySet[Comment]:
    target = {"experiment": experiment} if experiment is not None else {"hypothesis": hypothesis}
    return Comment.objects.filter(**target).select_related("author").order_by("created_at", "id")


def segment_paths() -> dict[int, str]:
    """Every segment's path ("SMB › Agencies"), from one query instead of one per level."""
    rows = {
        pk: (name, parent)
        for pk, name, parent in Segment.objects.values_list("id", "name", "parent_id")
    }
    paths: dict[int, str] = {}

    def path(pk: int, seen: frozenset = frozenset()) -> str:
        if pk not in paths:
            name, parent = rows[pk]
            above = path(parent, seen | {pk}) if parent in rows and parent not in seen else ""
            paths[pk] = f"{above} › {name}" if above else name
        return paths[pk]

    for pk in rows:
        path(pk)
    return paths


def experiment_metric_ids(experiment_ids) -> dict[int, set[int]]:
    """Every metric id each experiment measures: primary, secondary and guardrail (3 queries)."""
    metrics: dict[int, set[int]] = defaultdict(set)
    for exp_id, metric_id in Experiment.objects.filter(
        id__in=experiment_ids, primary_metric__isnull=False
    ).values_list("id", "primary_metric_id"):
        metrics[exp_id].add(metric_id)
    for through in (Experiment.secondary_metrics.through, Experiment.guardrail_metrics.through):
        for exp_id, metric_id in through.objects.filter(
            experiment_id__in=experiment_ids
        ).values_list("experiment_id", "metric_id"):
            metrics[exp_id].add(metric_id)
    return metrics


def experiment_metrics(experiment: Experiment) -> dict[str, Metric]:
    """The experiment's metrics by key, as :func:`experiment_metric_ids` defines them."""
    ids = experiment_metric_ids([experiment.pk]).get(experiment.pk, set())
    return {m.key: m for m in Metric.objects.filter(pk__in=ids).order_by("pk")}
