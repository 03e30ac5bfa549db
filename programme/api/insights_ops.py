"""The endpoints of the operational insights (capacity, bottlenecks, re-checks), each with its
stored data described once for the API schema."""

from rest_framework import serializers

from experiments.models import Decision, ExperimentStatus

from ..insights.bottlenecks import STAGES
from .insights import InsightReportSerializer, InsightViewSet, describe_insight

# --- capacity --------------------------------------------------------------------------


class RunningExperimentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    daily = serializers.IntegerField(help_text="People a day it takes.")
    days_left = serializers.IntegerField(help_text="Days until its planned sample is reached.")
    ends_on = serializers.DateField()


class QueuedExperimentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.ChoiceField(ExperimentStatus.choices)
    status_label = serializers.CharField()
    rank = serializers.IntegerField(help_text="Place in the segment's queue.")
    daily = serializers.IntegerField(help_text="People a day in its design.")
    days = serializers.IntegerField(help_text="Days its design needs.")
    sample = serializers.IntegerField(help_text="Total required sample, all variants.")
    planned_daily = serializers.FloatField(help_text="People a day in the plan (≤ the reach).")
    planned_days = serializers.IntegerField()
    expected_value = serializers.FloatField(
        allow_null=True, help_text="Forecast impact a year, in its objective's unit."
    )
    value_per_user = serializers.FloatField(
        allow_null=True, help_text="Expected value per person of traffic it uses."
    )
    start_on = serializers.DateField(
        allow_null=True,
        help_text="Earliest start on the segment's traffic (empty: not within five years).",
    )
    decision_on = serializers.DateField(allow_null=True, help_text="When its sample is reached.")


class SegmentCapacitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    team = serializers.CharField()
    daily_reach = serializers.FloatField(help_text="Monthly reach ÷ 30.")
    running_daily = serializers.FloatField()
    free_daily = serializers.FloatField()
    running = RunningExperimentSerializer(many=True)
    queue = QueuedExperimentSerializer(many=True)
    unplanned = serializers.IntegerField(help_text="Queued designs missing an input.")
    can_start_now = serializers.IntegerField()
    at_once = serializers.IntegerField(
        allow_null=True, help_text="Experiments of the queue's median size the reach carries."
    )
    last_decision_on = serializers.DateField(allow_null=True)
    beyond_horizon = serializers.IntegerField(
        help_text="Queued experiments that cannot be decided within five years."
    )


class CapacityDataSerializer(serializers.Serializer):
    today = serializers.DateField()
    segments = SegmentCapacitySerializer(many=True)
    reading = serializers.CharField()


# --- bottlenecks -----------------------------------------------------------------------


class CycleStageSerializer(serializers.Serializer):
    key = serializers.ChoiceField(STAGES)
    label = serializers.CharField()


class CycleStageCellSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(STAGES)
    median_days = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField()


class CycleStageRowSerializer(serializers.Serializer):
    name = serializers.CharField()
    cells = CycleStageCellSerializer(many=True)
    slowest = serializers.CharField(allow_null=True)


class CycleStageSummarySerializer(serializers.Serializer):
    median_days = serializers.FloatField()
    count = serializers.IntegerField()


class CycleTrendSerializer(serializers.Serializer):
    months = serializers.ListField(child=serializers.CharField())
    stages = serializers.DictField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
        help_text="Per stage, the median days of the passes that ended in each month.",
    )


class OverdueDecisionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    owner = serializers.CharField()
    recommendation = serializers.ChoiceField(Decision.choices, allow_blank=True)
    days_waiting = serializers.IntegerField()


class BottlenecksDataSerializer(serializers.Serializer):
    stages = CycleStageSerializer(many=True)
    overall = serializers.DictField(child=CycleStageSummarySerializer())
    slowest = serializers.CharField(allow_null=True)
    teams = CycleStageRowSerializer(many=True)
    operators = CycleStageRowSerializer(many=True)
    trend = CycleTrendSerializer()
    decision_sla_days = serializers.IntegerField()
    overdue_decisions = OverdueDecisionSerializer(many=True)
    reading = serializers.CharField()


# --- re-checks -------------------------------------------------------------------------


class RecheckSerializer(serializers.Serializer):
    experiment = serializers.IntegerField()
    name = serializers.CharField()
    after_days = serializers.IntegerField()
    shipped_on = serializers.DateField()
    checked_on = serializers.DateField()
    estimated_lift = serializers.FloatField()
    lift = serializers.FloatField(allow_null=True)
    lift_ci_low = serializers.FloatField(allow_null=True)
    lift_ci_high = serializers.FloatField(allow_null=True)
    retained = serializers.FloatField(allow_null=True, help_text="lift ÷ estimated lift.")
    users = serializers.IntegerField()
    verdict = serializers.ChoiceField(choices=["held", "faded", "no_data"])


class UpcomingRecheckSerializer(serializers.Serializer):
    experiment = serializers.IntegerField()
    name = serializers.CharField()
    after_days = serializers.IntegerField()
    due_on = serializers.DateField()
    overdue = serializers.BooleanField()


class RechecksDataSerializer(serializers.Serializer):
    fade_share = serializers.FloatField(help_text="Below this share of the estimate: faded.")
    shipped = serializers.IntegerField()
    rechecked = serializers.IntegerField()
    held = serializers.IntegerField()
    faded = serializers.IntegerField()
    no_data = serializers.IntegerField()
    median_retained = serializers.FloatField(allow_null=True)
    latest = RecheckSerializer(many=True, help_text="Each winner's latest re-check.")
    rechecks = RecheckSerializer(many=True)
    upcoming = UpcomingRecheckSerializer(many=True)
    reading = serializers.CharField()


# --- the endpoints ---------------------------------------------------------------------


class CapacityInsightSerializer(InsightReportSerializer):
    data = CapacityDataSerializer()


@describe_insight(CapacityInsightSerializer)
class CapacityInsightViewSet(InsightViewSet):
    insight_name = "capacity"


class BottlenecksInsightSerializer(InsightReportSerializer):
    data = BottlenecksDataSerializer()


@describe_insight(BottlenecksInsightSerializer)
class BottlenecksInsightViewSet(InsightViewSet):
    insight_name = "bottlenecks"


class RechecksInsightSerializer(InsightReportSerializer):
    data = RechecksDataSerializer()


@describe_insight(RechecksInsightSerializer)
class RechecksInsightViewSet(InsightViewSet):
    insight_name = "rechecks"
