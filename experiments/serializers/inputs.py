"""What the API takes: inputs of the writes. They parse the body; the services decide."""

from rest_framework import serializers

from ..design import DESIGN_FIELDS
from ..models import (
    Decision,
    Experiment,
    ExperimentStatus,
    Hypothesis,
    KillReason,
    Metric,
    Objective,
    Outcome,
    Segment,
)


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
    confirm_srm = serializers.BooleanField(
        required=False,
        default=False,
        help_text="complete: go ahead although a sample-ratio mismatch is unacknowledged.",
    )
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="complete, conclude: why the call goes against the plan (the planned sample, "
        "the minimum run time) or the decision rule's verdict. Without it such a call is "
        "refused (409) naming what it goes against.",
    )

    STEP_FIELDS = {
        "complete": ["analysis", "recommendation", "confirm_srm", "override_reason"],
        "conclude": ["decision", "outcome", "learnings", "override_reason"],
        "kill": ["reason"],
    }

    def service_kwargs(self, step: str) -> dict:
        data = self.validated_data
        kwargs = {"expected_status": data["expected_status"], "note": data["note"]}
        for field in self.STEP_FIELDS.get(step, []):
            kwargs[field] = data[field]
        return kwargs


class StrictInput:
    """Refuse fields the input does not take, so a misspelt or read-only field is not ignored."""

    read_only_hints: dict[str, str] = {}

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: self.read_only_hints.get(name, "Not a field this request takes.")
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)


def service_fields(serializer) -> dict:
    """The validated fields the caller sent (defaults left to the service and the model)."""
    return {k: v for k, v in serializer.validated_data.items() if k in serializer.initial_data}


class ObjectiveInputSerializer(StrictInput, serializers.ModelSerializer):
    read_only_hints = {"id": "Read-only."}

    class Meta:
        model = Objective
        fields = [
            "name",
            "kpi",
            "unit",
            "baseline",
            "target",
            "target_date",
            "status",
            "description",
        ]
        # The rules (target differs from baseline …) are the model's, checked by the service.
        validators = []


class SegmentInputSerializer(StrictInput, serializers.ModelSerializer):
    read_only_hints = {
        "status": "Read-only: launch or sunset through /segments/{id}/launch/ or /sunset/."
    }

    class Meta:
        model = Segment
        fields = ["name", "parent", "owner_team", "monthly_reach", "definition"]
        validators = []


class HypothesisInputSerializer(StrictInput, serializers.ModelSerializer):
    read_only_hints = {
        "status": "Read-only: triage through /hypotheses/{id}/triage/.",
        "author": "Read-only: the author is who sends the request.",
    }
    metric = serializers.SlugRelatedField(slug_field="key", queryset=Metric.objects.all())

    class Meta:
        model = Hypothesis
        fields = [
            "title",
            "observation",
            "change",
            "effect",
            "metric",
            "expected_mde",
            "channel",
            "objective",
            "segment",
            "impact",
            "confidence",
            "ease",
            "reach",
            "effort",
            "iterates_on_hypothesis",
        ]
        validators = []


class HypothesisScoreSerializer(StrictInput, serializers.Serializer):
    impact = serializers.IntegerField(help_text="1–10")
    confidence = serializers.IntegerField(help_text="1–10")
    ease = serializers.IntegerField(help_text="1–10")
    reach = serializers.IntegerField(required=False, allow_null=True, default=None)
    effort = serializers.FloatField(required=False, allow_null=True, default=None)


class HypothesisTriageSerializer(StrictInput, serializers.Serializer):
    status = serializers.ChoiceField(
        [Hypothesis.Status.BACKLOG, Hypothesis.Status.REJECTED],
        help_text="backlog or rejected",
    )


class CommentInputSerializer(StrictInput, serializers.Serializer):
    body = serializers.CharField(allow_blank=True, trim_whitespace=False)


class VariantInputSerializer(StrictInput, serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    is_control = serializers.BooleanField(default=False)
    weight = serializers.FloatField()


class ExperimentDesignSerializer(StrictInput, serializers.ModelSerializer):
    """The design an operator writes: create (with ``hypothesis`` and ``key``) or PATCH."""

    read_only_hints = {
        "status": "Read-only: change it through /experiments/{id}/steps/{step}/.",
        "owner": "Read-only: the owner is the operator who creates the experiment.",
    }
    primary_metric = serializers.SlugRelatedField(
        slug_field="key", queryset=Metric.objects.all(), required=False, allow_null=True
    )
    secondary_metrics = serializers.SlugRelatedField(
        slug_field="key", queryset=Metric.objects.all(), many=True, required=False
    )
    guardrail_metrics = serializers.SlugRelatedField(
        slug_field="key", queryset=Metric.objects.all(), many=True, required=False
    )
    variants = VariantInputSerializer(many=True, required=False)

    class Meta:
        model = Experiment
        fields = [
            "hypothesis",
            "key",
            "template",
            *DESIGN_FIELDS,
            "variants",
        ]
        validators = []

    def validate_template(self, template):
        if self.partial:
            raise serializers.ValidationError("Set when the design is created; it cannot change.")
        return template

    def service_kwargs(self) -> dict:
        kwargs = service_fields(self)
        if "variants" in kwargs:
            kwargs["variants"] = [dict(v) for v in kwargs["variants"]]
        return kwargs


class ExperimentCostSerializer(StrictInput, serializers.Serializer):
    """Input of ``POST /experiments/{id}/cost/``: a field left out keeps its value, null clears it."""

    build_cost = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, allow_null=True, required=False,
        help_text="Design and build, in the reporting currency.",
    )  # fmt: skip
    media_cost = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, allow_null=True, required=False,
        help_text="Paid media bought for the test, in the reporting currency.",
    )  # fmt: skip
