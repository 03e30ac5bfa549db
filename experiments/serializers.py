"""API shapes. Serializers parse and present; the services decide."""

from rest_framework import serializers

from .design import DESIGN_FIELDS
from .models import (
    Decision,
    Experiment,
    ExperimentStatus,
    KillReason,
    Metric,
    Objective,
    Outcome,
    StatusChange,
    Variant,
)


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

    class Meta:
        model = StatusChange
        fields = ["step", "from_status", "to_status", "actor", "note", "created_at"]


class ExperimentSerializer(serializers.ModelSerializer):
    owner = serializers.StringRelatedField()
    variants = VariantSerializer(many=True, read_only=True)
    primary_metric = serializers.SlugRelatedField(slug_field="key", read_only=True)
    secondary_metrics = serializers.SlugRelatedField(slug_field="key", many=True, read_only=True)
    guardrail_metrics = serializers.SlugRelatedField(slug_field="key", many=True, read_only=True)

    class Meta:
        model = Experiment
        fields = [
            "id",
            "key",
            "status",
            "hypothesis",
            "owner",
            *DESIGN_FIELDS,
            "start_date",
            "end_date",
            "recommendation",
            "decision",
            "outcome",
            "learnings",
            "kill_reason",
            "variants",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class StepSerializer(serializers.Serializer):
    """Input of a lifecycle step; which fields matter depends on the step."""

    expected_status = serializers.ChoiceField(
        ExperimentStatus.choices,
        help_text="The status you saw when you decided; the step is refused if it has moved on.",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")
    analysis = serializers.CharField(required=False, allow_blank=True, default="")
    recommendation = serializers.ChoiceField(
        Decision.choices, required=False, allow_blank=True, default=""
    )
    decision = serializers.ChoiceField(
        Decision.choices, required=False, allow_blank=True, default=""
    )
    outcome = serializers.ChoiceField(Outcome.choices, required=False, allow_blank=True, default="")
    learnings = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.ChoiceField(
        KillReason.choices, required=False, allow_blank=True, default=""
    )

    STEP_FIELDS = {
        "complete": ["analysis", "recommendation"],
        "conclude": ["decision", "outcome", "learnings"],
        "kill": ["reason"],
    }

    def service_kwargs(self, step: str) -> dict:
        data = self.validated_data
        kwargs = {"expected_status": data["expected_status"], "note": data["note"]}
        for field in self.STEP_FIELDS.get(step, []):
            kwargs[field] = data[field]
        return kwargs
