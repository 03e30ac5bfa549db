"""What the API shows: the read shapes of objectives, segments, hypotheses and experiments."""

from collections import defaultdict

from django.db.models import F, Value
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from growthops.api_rows import CompiledOnce, CountedRows, InList, RowPresenter, read_together
from roles.models import OperatorProfile, User

from ..decisions import experiment_reading
from ..design import DESIGN_FIELDS, experiment_design, experiment_design_flags
from ..models import (
    Comment,
    Decision,
    Experiment,
    Hypothesis,
    KillReason,
    Metric,
    Objective,
    Outcome,
    Segment,
    StatusChange,
    Variant,
)
from ..stages import Stage, stage_of


class ObjectiveSerializer(serializers.ModelSerializer):
    class Meta:
        model = Objective
        fields = [
            "id",
            "name",
            "kpi",
            "unit",
            "baseline",
            "target",
            "target_date",
            "status",
            "description",
        ]


class MetricSerializer(serializers.ModelSerializer):
    class Meta:
        model = Metric
        fields = ["id", "key", "name", "kind", "direction", "unit"]


class VariantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Variant
        fields = ["id", "key", "name", "is_control", "weight"]


class StatusChangeSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField()
    overridden = serializers.ListField(
        child=serializers.CharField(),
        help_text="What the step went against (the planned sample, the days, the verdict); "
        "empty when it followed the plan.",
    )

    class Meta:
        model = StatusChange
        fields = [
            "step",
            "from_status",
            "to_status",
            "actor",
            "note",
            "overridden",
            "override_reason",
            "created_at",
        ]


class ExperimentSerializer(serializers.ModelSerializer):
    owner = serializers.StringRelatedField()
    variants = VariantSerializer(many=True, read_only=True)
    primary_metric = serializers.SlugRelatedField(slug_field="key", read_only=True)
    secondary_metrics = serializers.SlugRelatedField(slug_field="key", many=True, read_only=True)
    guardrail_metrics = serializers.SlugRelatedField(slug_field="key", many=True, read_only=True)
    # Blank until the step that sets them (DRF drops allow_blank from read-only model fields,
    # and the schema must say "" is a value these take).
    recommendation = serializers.ChoiceField(Decision.choices, allow_blank=True, read_only=True)
    decision = serializers.ChoiceField(Decision.choices, allow_blank=True, read_only=True)
    outcome = serializers.ChoiceField(Outcome.choices, allow_blank=True, read_only=True)
    kill_reason = serializers.ChoiceField(KillReason.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Experiment
        fields = [
            "id",
            "key",
            "status",
            "hypothesis",
            "owner",
            "template",
            *DESIGN_FIELDS,
            "start_date",
            "end_date",
            "recommendation",
            "decision",
            "outcome",
            "learnings",
            "kill_reason",
            "build_cost",
            "media_cost",
            "variants",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ExperimentRows:
    """``ExperimentSerializer``'s answer for a page of experiments, from rows.

    ``ids(queryset)`` is what a list pages: the filtered, ordered ids, counted without the
    joins the rows need. ``present(ids)`` reads those experiments, their variants and their
    secondary and guardrail metric keys (three queries whatever the page size, each compiled
    once per process) and presents each row as the serializer would.
    """

    experiments = RowPresenter.of(ExperimentSerializer)
    variants = RowPresenter.of(VariantSerializer)
    RELATED = {"owner", "primary_metric", "secondary_metrics", "guardrail_metrics", "variants"}
    OWNER_NAME_FIELDS = ("username", "first_name", "last_name")

    @classmethod
    def ids(cls, queryset) -> CountedRows:
        queryset = queryset.select_related(None).prefetch_related(None)
        return CountedRows(queryset.values_list("id", flat=True), counted=queryset)

    @classmethod
    def present(cls, ids) -> list[dict]:
        ids = list(ids)
        # One round trip on PostgreSQL for the three.
        (columns, found), (variant_columns, variant_rows), (link_columns, links) = read_together(
            (cls._experiment_rows, ids), (cls._variant_rows, ids), (cls._metric_rows, ids)
        )
        position = {pk: i for i, pk in enumerate(ids)}
        rows = sorted(found, key=lambda row: position[row[0]])  # "id" comes first
        experiment_ids = [row[0] for row in rows]

        variants = defaultdict(list)
        presented = cls.variants.present_columns(variant_columns, variant_rows)
        for row, variant in zip(variant_rows, presented, strict=True):
            variants[row[0]].append(variant)  # "experiment_id" comes first

        secondary, guardrail = defaultdict(list), defaultdict(list)
        link_at = {name: i for i, name in enumerate(link_columns)}
        for link in links:
            keys = secondary if link[link_at["role"]] == "secondary" else guardrail
            keys[link[link_at["experiment_id"]]].append(link[link_at["metric__key"]])

        at = {name: i for i, name in enumerate(columns)}
        owners: dict[int, str] = {}
        owner_names = []
        for row in rows:
            owner_id = row[at["owner_id"]]
            if owner_id not in owners:  # the name as User.__str__ gives it
                names = {name: row[at[f"owner__{name}"]] for name in cls.OWNER_NAME_FIELDS}
                owners[owner_id] = str(User(id=owner_id, **names))
            owner_names.append(owners[owner_id])
        empty = []
        return cls.experiments.present_columns(
            columns,
            rows,
            supplied={
                "owner": owner_names,
                "primary_metric": [row[at["primary_metric__key"]] for row in rows],
                "secondary_metrics": [secondary.get(pk, empty) for pk in experiment_ids],
                "guardrail_metrics": [guardrail.get(pk, empty) for pk in experiment_ids],
                "variants": [variants.get(pk, empty) for pk in experiment_ids],
            },
        )

    @classmethod
    def _experiments_by_id(cls, ids):
        plain = [name for name in cls.experiments.field_names if name not in cls.RELATED]
        owner = [f"owner__{name}" for name in cls.OWNER_NAME_FIELDS]
        # "id" first: ``present`` finds each row's experiment there.
        # Unordered: ``present`` puts them in the page's order.
        return (
            Experiment.objects.filter(InList(F("id"), ids))
            .order_by()
            .values(
                "id",
                *[name for name in plain if name != "id"],
                "owner_id",
                *owner,
                "primary_metric__key",
            )
        )

    @classmethod
    def _variants_of(cls, ids):
        # "experiment_id" first: ``present`` groups the variants by it.
        return Variant.objects.filter(InList(F("experiment_id"), ids)).values(
            "experiment_id", *cls.variants.field_names
        )

    @staticmethod
    def _metric_links_of(ids):
        """Each experiment's secondary and guardrail metric keys, in the metrics' own order
        (as ``.all()`` gives them), from both link tables at once."""
        ordering = [f"metric__{term}" for term in Metric._meta.ordering]

        def links(field, role):
            return (
                field.through.objects.filter(InList(F("experiment_id"), ids))
                .annotate(role=Value(role))
                .values("experiment_id", "metric__key", *ordering, "metric_id", "role")
                .order_by()
            )

        return (
            links(Experiment.secondary_metrics, "secondary")
            .union(links(Experiment.guardrail_metrics, "guardrail"), all=True)
            .order_by(*ordering, "metric_id")
        )


ExperimentRows._experiment_rows = CompiledOnce(ExperimentRows._experiments_by_id)
ExperimentRows._variant_rows = CompiledOnce(ExperimentRows._variants_of)
ExperimentRows._metric_rows = CompiledOnce(ExperimentRows._metric_links_of)


class DesignSummarySerializer(serializers.Serializer):
    """What the design implies: the sample size (null while an input is missing) and its flags."""

    sample_size_per_variant = serializers.IntegerField(allow_null=True)
    total_sample_size = serializers.IntegerField(allow_null=True)
    duration_days = serializers.IntegerField(allow_null=True)
    flags = serializers.DictField(
        child=serializers.CharField(),
        help_text="By field: `duration` over 90 days, `daily_traffic` above the segment's reach.",
    )


class VerdictSerializer(serializers.Serializer):
    action = serializers.ChoiceField(["keep_running", "ship", "iterate", "abandon", "inconclusive"])
    reasons = serializers.ListField(child=serializers.CharField())


class ProgressSerializer(serializers.Serializer):
    users = serializers.IntegerField(
        help_text="Users on the primary metric, all arms, latest look."
    )
    planned_users = serializers.IntegerField(allow_null=True)
    share = serializers.FloatField(allow_null=True, help_text="users ÷ planned_users")
    days_running = serializers.IntegerField(allow_null=True)
    planned_days = serializers.IntegerField(
        allow_null=True, help_text="The design's duration, at least the minimum run time."
    )


class ExperimentDetailSerializer(ExperimentSerializer):
    """One experiment, with what its design implies and what its decision rule says at the
    latest look (lists leave them out: they are computed)."""

    design = serializers.SerializerMethodField()
    verdict = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()

    class Meta(ExperimentSerializer.Meta):
        fields = [*ExperimentSerializer.Meta.fields, "design", "verdict", "progress"]
        read_only_fields = fields

    def _reading(self, experiment):
        # Read once for both fields.
        if getattr(experiment, "_api_reading", None) is None:
            experiment._api_reading = experiment_reading(experiment)
        return experiment._api_reading

    @extend_schema_field(VerdictSerializer)
    def get_verdict(self, experiment) -> dict:
        return self._reading(experiment).verdict.as_dict()

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, experiment) -> dict:
        return self._reading(experiment).progress.as_dict()

    @extend_schema_field(DesignSummarySerializer)
    def get_design(self, experiment) -> dict:
        design = experiment_design(experiment)
        return {
            "sample_size_per_variant": design and design.sample_size_per_variant,
            "total_sample_size": design and design.total_sample_size,
            "duration_days": design and design.duration_days,
            "flags": experiment_design_flags(experiment, design),
        }


class SegmentSerializer(serializers.ModelSerializer):
    path = serializers.SerializerMethodField(help_text="Names from the root, “ › ” between.")
    owner_team_name = serializers.CharField(source="owner_team.name", read_only=True)

    class Meta:
        model = Segment
        fields = [
            "id",
            "name",
            "parent",
            "path",
            "owner_team",
            "owner_team_name",
            "monthly_reach",
            "definition",
            "status",
            "launched_on",
            "sunset_on",
        ]
        read_only_fields = fields

    def get_path(self, segment) -> str:
        # A list passes every segment's path in the context, read in one query.
        paths = self.context.get("segment_paths")
        return paths[segment.pk] if paths and segment.pk in paths else segment.path


class OperatorProfileSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.CharField(source="user.__str__", read_only=True)
    active_experiments = serializers.IntegerField(
        read_only=True, help_text="Experiments they own now (draft to paused), against capacity."
    )

    class Meta:
        model = OperatorProfile
        fields = [
            "id",
            "user",
            "username",
            "name",
            "channels",
            "specialities",
            "capacity",
            "active_experiments",
        ]
        read_only_fields = fields


class StepDoneSerializer(ExperimentDetailSerializer):
    """The experiment after a lifecycle step, with what the person should know (a step is
    never refused for these)."""

    warnings = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="E.g. the owner is over capacity after a submit or a start.",
    )

    class Meta(ExperimentDetailSerializer.Meta):
        fields = [*ExperimentDetailSerializer.Meta.fields, "warnings"]
        read_only_fields = fields


class StageField(serializers.ChoiceField):
    """A hypothesis's stage (``experiments.stages``): the column when read with it."""

    def __init__(self, **kwargs):
        super().__init__(
            Stage.choices,
            read_only=True,
            help_text="Where the idea went, from its experiments (docs/decisions.md).",
            **kwargs,
        )

    def get_attribute(self, instance):
        return stage_of(instance)


class HypothesisSerializer(serializers.ModelSerializer):
    author = serializers.StringRelatedField()
    stage = StageField()
    metric = serializers.SlugRelatedField(slug_field="key", read_only=True)
    ice_score = serializers.FloatField(read_only=True)
    rice_score = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Hypothesis
        fields = [
            "id",
            "title",
            "observation",
            "change",
            "effect",
            "metric",
            "expected_mde",
            "channel",
            "objective",
            "segment",
            "author",
            "impact",
            "confidence",
            "ease",
            "reach",
            "effort",
            "ice_score",
            "rice_score",
            "status",
            "stage",
            "triaged_at",
            "iterates_on_hypothesis",
            "iterates_on_experiment",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.StringRelatedField()

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "created_at"]
        read_only_fields = ["id", "author", "created_at"]
