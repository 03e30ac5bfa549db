"""Streams over HTTP (docs/streams.md): ``GET /api/v1/streams/`` and ``/streams/{id}/``, where
the id is the stream's root hypothesis. Read by everyone who reads results."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from analytics.stats.verdict import ACTIONS as VERDICT_ACTIONS
from experiments.models import Decision, ExperimentStatus, Hypothesis, Objective, Outcome
from experiments.stages import Stage
from roles.permissions import HasAbility

from ..streams import stream_detail, stream_root_ids, streams_for

Float = serializers.FloatField


def _nullable_float(**kwargs):
    return Float(allow_null=True, **kwargs)


class StreamIdeaSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    title = serializers.CharField()
    status = serializers.ChoiceField(Hypothesis.Status.choices)
    stage = serializers.ChoiceField(Stage.choices, help_text="Where the idea went.")
    iterates_on_hypothesis = serializers.IntegerField(
        source="iterates_on_hypothesis_id", allow_null=True
    )
    iterates_on_experiment = serializers.IntegerField(
        source="iterates_on_experiment_id", allow_null=True
    )


class StreamVerdictSerializer(serializers.Serializer):
    action = serializers.ChoiceField(VERDICT_ACTIONS)
    reasons = serializers.ListField(child=serializers.CharField())


class StreamTestSerializer(serializers.Serializer):
    position = serializers.IntegerField(help_text="Order in the stream, from 1 (by start date).")
    experiment = serializers.IntegerField(source="experiment.pk")
    name = serializers.CharField(source="experiment.name")
    hypothesis = serializers.IntegerField(source="experiment.hypothesis_id")
    segment = serializers.IntegerField(source="experiment.segment_id", allow_null=True)
    status = serializers.ChoiceField(ExperimentStatus.choices, source="experiment.status")
    start_date = serializers.DateField(source="experiment.start_date", allow_null=True)
    end_date = serializers.DateField(source="experiment.end_date", allow_null=True)
    decision = serializers.ChoiceField(
        Decision.choices, allow_blank=True, source="experiment.decision"
    )
    outcome = serializers.ChoiceField(
        Outcome.choices, allow_blank=True, source="experiment.outcome"
    )
    lift = _nullable_float(
        help_text="The best treatment's lift on the primary metric, latest look."
    )
    lift_ci_low = _nullable_float(source="lift_low")
    lift_ci_high = _nullable_float(source="lift_high")
    shrunk_improvement = _nullable_float(
        source="shrunk",
        help_text="Concluded tests: the improvement (positive = better) shrunk for the winner's "
        "curse (programme/portfolio/shrinkage.py).",
    )
    verdict = StreamVerdictSerializer(
        allow_null=True, help_text="The rule's verdict at the latest look; null before the start."
    )
    impact_shrunk = _nullable_float(
        help_text="Shipped tests: the annual value of the shrunk lift, in the objective's unit."
    )
    champion = serializers.BooleanField()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.verdict is not None:
            data["verdict"] = instance.verdict.as_dict()
        return data


class NextTestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(["finish", "design", "repeat", "iterate", "reopen", "first"])
    text = serializers.CharField()
    hypothesis = serializers.IntegerField(source="hypothesis.pk", allow_null=True, default=None)
    experiment = serializers.IntegerField(source="experiment.pk", allow_null=True, default=None)


class SiblingSerializer(serializers.Serializer):
    segment = serializers.IntegerField(source="segment.pk")
    name = serializers.CharField(source="segment.name")
    daily_reach = Float()
    sample = serializers.IntegerField(allow_null=True, help_text="Total sample to repeat the test.")
    days = serializers.IntegerField(allow_null=True)
    forecast = _nullable_float(help_text="P(win) × the shrunk lift's value a year there.")
    value_per_person = _nullable_float(help_text="forecast ÷ sample: the capacity planner's order.")


class ObjectiveImpactSerializer(serializers.Serializer):
    objective = serializers.IntegerField(source="objective.pk")
    name = serializers.CharField(source="objective.name")
    unit = serializers.ChoiceField(Objective.Unit.choices, source="objective.unit")
    impact = Float(help_text="A year, in the objective's unit.")


class StreamSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The stream's root hypothesis.")
    title = serializers.CharField(source="root.title")
    hypotheses = StreamIdeaSerializer(
        many=True, help_text="The root first, each before its iterations."
    )
    tests = StreamTestSerializer(many=True)
    champion = serializers.IntegerField(
        source="champion.experiment.pk",
        allow_null=True,
        default=None,
        help_text="The latest shipped (scaled) test; null while the control stands.",
    )
    cumulative_impact_shrunk = ObjectiveImpactSerializer(
        many=True,
        help_text="Σ of the shipped tests' impact_shrunk, per objective (each in its unit); "
        "empty when none is valued.",
    )
    shipped_without_value = serializers.IntegerField()
    next_test = NextTestSerializer()
    siblings = SiblingSerializer(
        many=True,
        help_text="Detail only: sibling segments to repeat the champion in, by value per person.",
    )


class StreamViewSet(viewsets.GenericViewSet):
    """Streams of iterations: each test in order, the champion, the cumulative shrunk impact,
    the next test; the detail adds verdicts and sibling segments."""

    serializer_class = StreamSerializer
    permission_classes = [HasAbility]
    required_ability = "results.read"
    filter_backends = []
    lookup_value_regex = "[0-9]+"

    def list(self, request):
        page = self.paginate_queryset(stream_root_ids())
        streams = streams_for(list(page), user=request.user)
        return self.get_paginated_response(StreamSerializer(streams, many=True).data)

    @extend_schema(responses=StreamSerializer)
    def retrieve(self, request, pk=None):
        stream = stream_detail(int(pk), user=request.user)
        if stream is None:
            raise NotFound("No stream starts with this hypothesis.")
        return Response(StreamSerializer(stream).data)
