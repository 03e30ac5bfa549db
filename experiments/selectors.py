"""Reads: querysets scoped to what the asking user may see, shaped for pages and the API."""

from collections import OrderedDict, defaultdict

from django.db.models import (
    Case,
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils.text import slugify

from roles.capabilities import can
from roles.models import Channel, OperatorProfile

from .models import (
    DECIDED,
    IN_FLIGHT,
    LIVE,
    OCCUPIES_OPERATOR,
    Comment,
    Experiment,
    ExperimentStatus,
    Hypothesis,
    Metric,
    Objective,
    Segment,
    SegmentEconomics,
    StatusChange,
)
from .next_steps import next_steps_for
from .scores import ice_expression
from .stages import with_stage


def is_partner(*, user) -> bool:
    """Whether ``user`` works for an agency partner: every read below is then scoped to it."""
    return user.is_authenticated and not can(user, "experiments.all_partners")


def experiment_list_for_user(*, user) -> QuerySet[Experiment]:
    """The experiments ``user`` may see: all of them, or a partner's people their partner's."""
    if not can(user, "experiments.read"):
        return Experiment.objects.none()
    experiments = Experiment.objects.select_related(
        "owner", "objective", "segment", "primary_metric", "hypothesis", "partner"
    )
    if is_partner(user=user):
        return experiments.filter(partner_id=user.partner_id)
    return experiments


def _partner_experiments(user) -> QuerySet[Experiment]:
    return Experiment.objects.filter(partner_id=user.partner_id)


def _partner_ideas(user) -> QuerySet[Hypothesis]:
    return Hypothesis.objects.filter(author__partner_id=user.partner_id)


def objective_list_for_user(*, user) -> QuerySet[Objective]:
    """Objectives; a partner's people see those their partner's experiments serve."""
    if not can(user, "experiments.read"):
        return Objective.objects.none()
    objectives, counted = Objective.objects.all(), Q()
    if is_partner(user=user):
        mine = _partner_experiments(user)
        objectives = objectives.filter(
            Q(pk__in=mine.values("objective_id"))
            | Q(pk__in=mine.values("hypothesis__objective_id"))
            | Q(pk__in=_partner_ideas(user).values("objective_id"))
        )
        counted = Q(experiments__partner_id=user.partner_id)  # its own experiments only
    return objectives.annotate(
        experiments_in_flight=Count(
            "experiments", filter=counted & Q(experiments__status__in=IN_FLIGHT)
        ),
        experiments_total=Count("experiments", filter=counted),
    ).order_by("target_date")


def hypothesis_list_for_user(*, user) -> QuerySet[Hypothesis]:
    """Hypotheses; a partner's people see those they logged and those their tests test."""
    if not can(user, "experiments.read"):
        return Hypothesis.objects.none()
    hypotheses = Hypothesis.objects.select_related("author", "objective", "segment", "metric")
    if is_partner(user=user):
        hypotheses = hypotheses.filter(
            Q(author__partner_id=user.partner_id)
            | Q(pk__in=_partner_experiments(user).values("hypothesis_id"))
        )
    return hypotheses


def hypothesis_list_scored(*, user) -> QuerySet[Hypothesis]:
    """Hypotheses with their ICE as the column ``score`` (the API's name for ``ice_value``), so
    lists can filter and order by it."""
    return with_stage(hypothesis_list_for_user(user=user).annotate(score=ice_expression()))


def segment_list_for_user(*, user) -> QuerySet[Segment]:
    """Segments; a partner's people see those their partner's experiments reach."""
    if not can(user, "experiments.read"):
        return Segment.objects.none()
    segments = Segment.objects.select_related("parent", "owner_team")
    if is_partner(user=user):
        mine = _partner_experiments(user)
        segments = segments.filter(
            Q(pk__in=mine.values("segment_id"))
            | Q(pk__in=mine.values("hypothesis__segment_id"))
            | Q(pk__in=_partner_ideas(user).values("segment_id"))
        )
    return segments


def operator_profile_list_for_user(*, user) -> QuerySet[OperatorProfile]:
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


def hypothesis_backlog(*, user) -> QuerySet[Hypothesis]:
    """The hypotheses ``user`` may see, with ICE and RICE as columns for sorting and filters
    (``HypothesisQuerySet.with_scores``) and their comments counted."""
    return with_stage(
        hypothesis_list_for_user(user=user)
        .select_related("segment__parent__parent__parent", "scored_by")
        .with_scores()
        .annotate(comment_count=Count("comments"))
    )


def experiment_status_counts(*, user) -> "OrderedDict[str, int]":
    """How many experiments are in each status, in lifecycle order (zeros kept); one query."""
    counts = dict(
        experiment_list_for_user(user=user)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return OrderedDict((status, counts.get(status, 0)) for status in ExperimentStatus.values)


def experiments_in_charge_of(*, user) -> QuerySet[Experiment]:
    """The experiments ``user`` runs: their own, or for a partner's person their agency's
    (owning one is being its agency: ``roles.capabilities``)."""
    experiments = experiment_list_for_user(user=user)
    if user.partner_id:
        return experiments.filter(partner_id=user.partner_id)
    return experiments.filter(owner=user)


def experiments_owned_by(*, user, limit: int = 8) -> list[Experiment]:
    """The experiments the user runs, those still undecided first, newest change first
    (capped); each carries ``next_step``: what it needs from its owner now."""
    experiments = list(
        experiments_in_charge_of(user=user)
        .annotate(done=Case(When(status__in=DECIDED, then=Value(1)), default=Value(0)))
        .prefetch_related("variants", "guardrail_metrics")
        .order_by("done", "-updated_at")[:limit]
    )
    steps = next_steps_for(experiments, user=user)
    for experiment in experiments:
        experiment.next_step = steps[experiment.pk]
    return experiments


def hypotheses_authored_by(*, user, limit: int = 8) -> list[Hypothesis]:
    """The user's own ideas, newest first (capped)."""
    return list(
        with_stage(hypothesis_list_for_user(user=user).filter(author=user)).order_by("-created_at")[
            :limit
        ]
    )


def hypothesis_counts_by_status(hypotheses: QuerySet[Hypothesis]) -> dict[str, int]:
    """How many of ``hypotheses`` are in each status (statuses with none are left out); one
    query. Ids are counted once: ``hypothesis_backlog`` joins comments to count them, and a
    hypothesis would otherwise count once per comment."""
    return dict(
        hypotheses.order_by()
        .values_list("status")
        .annotate(n=Count("id", distinct=True))
        .values_list("status", "n")
    )


def hypothesis_status_counts(*, user) -> dict[str, int]:
    """How many hypotheses ``user`` may see are in each status (the dashboard's counts)."""
    return hypothesis_counts_by_status(hypothesis_list_for_user(user=user))


def hypothesis_board(
    hypotheses: QuerySet[Hypothesis], *, statuses, cap: int
) -> list[tuple[Hypothesis.Status, list[Hypothesis], int]]:
    """The backlog's board: for each of ``statuses``, its first ``cap`` of ``hypotheses`` and
    how many it holds. A column is ``hypotheses`` in that status, which is what the list shows
    with the same filters and ``?status=`` (its "Show all" link), so both count the same."""
    counts = hypothesis_counts_by_status(hypotheses)
    return [
        (
            Hypothesis.Status(status),
            list(hypotheses.filter(status=status)[:cap]),
            counts.get(status, 0),
        )
        for status in statuses
    ]


def experiments_awaiting_decision(*, user) -> QuerySet[Experiment]:
    """For the CMO: designs in review and completed tests waiting for a decision, the one that
    has waited longest first. Each carries ``waiting_since``: when it entered its status (from
    the audit trail; its last change when there is none).

    Experiments the user owns are left out: they may not review their own.
    """
    steps = []
    if can(user, "experiments.review"):
        steps.append(ExperimentStatus.IN_REVIEW)
    if can(user, "experiments.conclude"):
        steps.append(ExperimentStatus.COMPLETED)
    if not steps:
        return Experiment.objects.none()
    entered = (
        StatusChange.objects.filter(experiment=OuterRef("pk"), to_status=OuterRef("status"))
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    return (
        experiment_list_for_user(user=user)
        .filter(status__in=steps)
        .exclude(owner=user)
        .annotate(waiting_since=Coalesce(Subquery(entered), F("updated_at")))
        .order_by("waiting_since", "pk")
    )


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


def experiment_key_suggestion(title: str) -> str:
    """A free experiment key from a title: its slug, or the slug with the first free number."""
    base = slugify(title)[:70].strip("-") or "experiment"
    taken = set(Experiment.objects.filter(key__startswith=base).values_list("key", flat=True))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


# --- the cockpit: objectives, segments and the team --------------------------------------


def objective_status_counts(objective_ids, *, user) -> dict[int, "OrderedDict[str, int]"]:
    """Per objective, how many of its experiments are in each status (lifecycle order, zeros
    kept); one query."""
    counts: dict[int, OrderedDict[str, int]] = {
        pk: OrderedDict((status, 0) for status in ExperimentStatus.values) for pk in objective_ids
    }
    rows = (
        experiment_list_for_user(user=user)
        .filter(objective_id__in=objective_ids)
        .order_by()
        .values_list("objective_id", "status")
        .annotate(n=Count("id"))
    )
    for objective_id, status, n in rows:
        counts[objective_id][status] = n
    return counts


def _newest_per(queryset, group: str, limit: int) -> dict[int, list]:
    """The ``limit`` most recently changed rows of ``queryset`` per value of ``group``.

    Two queries: a window function numbers each group's rows over the bare table (ids only,
    no joins), then the chosen rows are read with the queryset's joins."""
    chosen = (
        queryset.order_by()
        .annotate(
            rank=Window(
                RowNumber(), partition_by=F(group), order_by=[F("updated_at").desc(), F("pk")]
            )
        )
        .filter(rank__lte=limit)
        .values_list("pk", flat=True)
    )
    grouped: dict[int, list] = defaultdict(list)
    for row in queryset.filter(pk__in=list(chosen)).order_by(group, "-updated_at", "pk"):
        grouped[getattr(row, group)].append(row)
    return grouped


def experiments_in_flight_by_objective(objective_ids, *, user, limit: int = 5):
    """Per objective, its in-flight experiments, most recently changed first (capped)."""
    return _newest_per(
        experiment_list_for_user(user=user).filter(
            objective_id__in=objective_ids, status__in=IN_FLIGHT
        ),
        "objective_id",
        limit,
    )


def segment_tree(*, user) -> list[Segment]:
    """Every segment in tree order (each parent before its children, siblings by name), each
    with ``path``, ``depth``, ``latest_economics`` (its newest period or None) and
    ``live_experiments`` / ``live_traffic`` (running or paused experiments and their daily
    traffic). Four queries, whatever the number of experiments."""
    segments = list(segment_list_for_user(user=user))
    if not segments:
        return []
    paths = segment_paths()
    latest = {}
    for row in SegmentEconomics.objects.order_by("segment_id", "-period_start"):
        latest.setdefault(row.segment_id, row)
    live = {
        row["segment_id"]: row
        for row in Experiment.objects.filter(status__in=LIVE, segment__isnull=False)
        .order_by()
        .values("segment_id")
        .annotate(n=Count("id"), traffic=Sum("daily_traffic"))
    }
    for segment in segments:
        segment.tree_path = paths[segment.pk]
        segment.depth = segment.tree_path.count(" › ")
        segment.latest_economics = latest.get(segment.pk)
        segment.live_experiments = live.get(segment.pk, {}).get("n", 0)
        segment.live_traffic = live.get(segment.pk, {}).get("traffic") or 0
    segments.sort(key=lambda s: [part.lower() for part in s.tree_path.split(" › ")])
    return segments


def segment_live_experiments(segment: Segment, *, user) -> QuerySet[Experiment]:
    """What runs in ``segment`` now (running or paused), the largest traffic first."""
    return (
        experiment_list_for_user(user=user)
        .filter(segment=segment, status__in=LIVE)
        .order_by(F("daily_traffic").desc(nulls_last=True), "pk")
    )


def operators_with_load(*, user) -> list[OperatorProfile]:
    """Operator profiles with ``active_experiments`` (what counts against capacity),
    ``in_flight`` and up to five ``current`` in-flight experiments each (three queries)."""
    profiles = list(
        operator_profile_list_for_user(user=user).annotate(
            in_flight=Count(
                "user__owned_experiments",
                filter=Q(user__owned_experiments__status__in=IN_FLIGHT),
            )
        )
    )
    current = _newest_per(
        experiment_list_for_user(user=user).filter(
            owner_id__in=[p.user_id for p in profiles], status__in=IN_FLIGHT
        ),
        "owner_id",
        5,
    )
    for profile in profiles:
        profile.current = current.get(profile.user_id, [])
        profile.channel_labels = [Channel(c).label for c in profile.channels if c in Channel.values]
    return profiles


def agency_partners(*, user, limit: int = 5) -> list[dict]:
    """Each agency partner with its experiments: counts in flight, concluded and in all, and
    its ``current`` in-flight experiments (capped); two queries."""
    agency = experiment_list_for_user(user=user).filter(executed_by=Experiment.ExecutedBy.AGENCY)
    rows = (
        agency.order_by()
        .values("partner_id", partner_name=F("partner__name"))
        .annotate(
            experiments=Count("id"),
            in_flight=Count("id", filter=Q(status__in=IN_FLIGHT)),
            concluded=Count("id", filter=Q(status=ExperimentStatus.CONCLUDED)),
        )
        .order_by("partner_name")
    )
    current = _newest_per(agency.filter(status__in=IN_FLIGHT), "partner_id", limit)
    return [{**row, "current": current.get(row["partner_id"], [])} for row in rows]


def learnings_for_user(*, user) -> QuerySet[Experiment]:
    """Concluded experiments, newest decision first, with their follow-up hypotheses."""
    return (
        experiment_list_for_user(user=user)
        .filter(status=ExperimentStatus.CONCLUDED)
        .select_related("primary_metric", "segment", "objective", "hypothesis")
        .prefetch_related("follow_ups")
        .order_by(F("end_date").desc(nulls_last=True), "-updated_at", "-pk")
    )
