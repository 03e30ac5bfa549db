"""The process-faults insight's endpoint, with its stored data described for the API schema."""

from rest_framework import serializers

from ..models import POSTMORTEM_DECISIONS, Cause, ProcessFault
from .insights import InsightReportSerializer, InsightViewSet, describe_insight


class FaultCountSerializer(serializers.Serializer):
    fault = serializers.ChoiceField(ProcessFault.choices)
    label = serializers.CharField()
    count = serializers.IntegerField()
    share = serializers.FloatField(
        allow_null=True, help_text="Of the post-mortems that name their faults."
    )


class DecisionFaultsSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(POSTMORTEM_DECISIONS)
    label = serializers.CharField()
    count = serializers.IntegerField(help_text="Its post-mortems that name their faults.")
    faults = serializers.DictField(child=serializers.IntegerField(), help_text="Count per fault.")


class CauseCountSerializer(serializers.Serializer):
    cause = serializers.ChoiceField(Cause.choices)
    label = serializers.CharField()
    count = serializers.IntegerField()


class ProcessFaultsDataSerializer(serializers.Serializer):
    postmortems = serializers.IntegerField()
    with_faults = serializers.IntegerField()
    faults = FaultCountSerializer(many=True)
    by_decision = DecisionFaultsSerializer(many=True)
    causes = CauseCountSerializer(many=True)
    reading = serializers.CharField()


class ProcessFaultsInsightSerializer(InsightReportSerializer):
    data = ProcessFaultsDataSerializer()


@describe_insight(ProcessFaultsInsightSerializer)
class ProcessFaultsInsightViewSet(InsightViewSet):
    insight_name = "process-faults"
