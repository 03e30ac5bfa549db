"""The endpoints of the calibration, false-wins and partners insights, each with its stored data
described once for the API schema (docs/insights.md)."""

from rest_framework import serializers

from experiments.models import Decision, Objective, Outcome
from roles.models import Channel

from .insights import InsightReportSerializer, InsightViewSet, describe_insight

Float = serializers.FloatField
Int = serializers.IntegerField


def _nullable(**kwargs):
    return Float(allow_null=True, **kwargs)


# --- calibration ---------------------------------------------------------------------


class ScoreBandSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="ICE score band, e.g. “6–7”.")
    experiments = Int()
    wins = Int()
    win_rate = _nullable()
    mean_lift = _nullable(help_text="Mean shrunk lift of the band's experiments.")


class CalibrationGroupSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Scorer id or channel code.")
    label = serializers.CharField()
    experiments = Int()
    wins = Int()
    win_rate = _nullable()
    stated_confidence = _nullable(help_text="Mean ICE confidence ÷ 10.")
    overconfidence = _nullable(help_text="stated_confidence − win_rate")
    spearman_ice_lift = _nullable()


class ConfidenceBandSerializer(serializers.Serializer):
    low = Int()
    high = Int()
    label = serializers.CharField()
    experiments = Int()
    wins = Int()
    rate = Float(help_text="Win rate shrunk toward the programme's (k = 5).")
    corrected = Float(help_text="10 × rate, within 1–10.")


class ChannelConfidenceSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(Channel.choices)
    channel_label = serializers.CharField()
    low = Int()
    high = Int()
    experiments = Int()
    wins = Int()
    rate = Float(help_text="The channel's win rate in the band, shrunk toward the band's.")
    corrected = Float()


class CorrectedConfidenceSerializer(serializers.Serializer):
    prior_rate = Float(help_text="The programme's win rate (0.3 before any conclusion).")
    default = Float(help_text="Corrected confidence where nothing more specific applies.")
    bands = ConfidenceBandSerializer(many=True)
    by_channel = ChannelConfidenceSerializer(many=True)


class OverrideSerializer(serializers.Serializer):
    id = Int()
    name = serializers.CharField()
    recommendation = serializers.ChoiceField(Decision.choices)
    decision = serializers.ChoiceField(Decision.choices)
    outcome = serializers.ChoiceField(Outcome.choices, allow_blank=True)
    lift = _nullable()
    shrunk = _nullable()


class GuardedCallSerializer(serializers.Serializer):
    id = Int()
    name = serializers.CharField()
    step = serializers.ChoiceField(["complete", "conclude"])
    reason = serializers.CharField(help_text="Why the call went against the plan or the verdict.")
    outcome = serializers.ChoiceField(
        Outcome.choices, allow_blank=True, help_text="Empty until the experiment is concluded."
    )
    shrunk = _nullable()


class OverridesSerializer(serializers.Serializer):
    decided = Int(help_text="Concluded experiments with both a recommendation and a decision.")
    against = Int()
    against_won = Int()
    against_mean_lift = _nullable()
    followed = Int()
    followed_won = Int()
    followed_mean_lift = _nullable()
    experiments = OverrideSerializer(many=True, help_text="The latest 50 decided against.")
    completed_early = Int(help_text="Tests completed before their planned sample or days.")
    against_verdict = Int(help_text="Decisions against the decision rule's verdict.")
    against_verdict_won = Int()
    against_verdict_mean_lift = _nullable()
    calls = GuardedCallSerializer(
        many=True, help_text="The latest 50 calls against the plan or the verdict, with reasons."
    )


class ScoreLiftSerializer(serializers.Serializer):
    id = Int()
    ice = Float()
    lift = Float(help_text="Measured improvement (positive = better).")
    won = serializers.BooleanField()


class CalibrationDataSerializer(serializers.Serializer):
    reading = serializers.CharField()
    concluded = Int()
    won = Int()
    win_rate = _nullable()
    with_lift = Int(help_text="Concluded experiments with a measured lift.")
    spearman_ice_lift = _nullable(help_text="Spearman ρ of ICE score and measured lift.")
    spearman_ice_won = _nullable(help_text="Spearman ρ of ICE score and winning (0/1).")
    with_rice = Int(help_text="Measured experiments whose hypothesis had a RICE score.")
    spearman_rice_lift = _nullable(help_text="Spearman ρ of RICE score and measured lift.")
    bands = ScoreBandSerializer(many=True)
    by_scorer = CalibrationGroupSerializer(many=True)
    by_channel = CalibrationGroupSerializer(many=True)
    corrected_confidence = CorrectedConfidenceSerializer()
    overrides = OverridesSerializer()
    points = ScoreLiftSerializer(many=True, help_text="The newest 500 measured experiments.")


# --- false wins ----------------------------------------------------------------------


class DecisionSerializer(serializers.Serializer):
    t = Int(help_text="Position in the stream of decisions, from 1.")
    id = Int()
    name = serializers.CharField()
    concluded_on = serializers.DateField()
    p_value = Float()
    level = Float(help_text="The LORD++ level this decision was tested at.")
    discovery = serializers.BooleanField()
    won = serializers.BooleanField()


class ShrunkLiftSerializer(serializers.Serializer):
    id = Int()
    name = serializers.CharField()
    outcome = serializers.ChoiceField(Outcome.choices, allow_blank=True)
    lift = Float(help_text="Measured improvement (positive = better).")
    shrunk = Float()
    prob_no_gain = _nullable()


class ObjectiveTotalSerializer(serializers.Serializer):
    objective = Int()
    name = serializers.CharField()
    unit = serializers.ChoiceField(
        Objective.Unit.choices, required=False, help_text="The objective's unit."
    )
    scaled = Int()
    raw = Float(help_text="Σ annual value of the measured lifts, in the objective's unit.")
    shrunk = Float(help_text="The same with the shrunk lifts.")


class FalseWinsDataSerializer(serializers.Serializer):
    reading = serializers.CharField()
    fdr_level = Float()
    year = Int()
    decisions = Int()
    discoveries = Int()
    wins_this_year = Int()
    discoveries_this_year = Int()
    wins_not_backed_this_year = Int()
    expected_false_wins_this_year = _nullable()
    wins_without_interval_this_year = Int()
    fdr_bound_this_year = _nullable()
    prior_mean = _nullable()
    prior_sd = _nullable()
    fitted_on = Int()
    next_level = _nullable(
        required=False,
        help_text="The LORD++ level the next decision will be tested at: the false-win level "
        "that decision rules with apply_false_win_level hold a win to (docs/decisions.md). "
        "Missing in reports computed before it was added.",
    )
    stream = DecisionSerializer(many=True)
    lifts = ShrunkLiftSerializer(many=True, help_text="The 30 largest measured lifts.")
    by_objective = ObjectiveTotalSerializer(many=True)


# --- partners ------------------------------------------------------------------------


class PartnerSerializer(serializers.Serializer):
    partner = serializers.CharField(help_text="Agency name, or the in-house team.")
    kind = serializers.ChoiceField(choices=["agency", "in_house"])
    concluded = Int()
    wins = Int()
    win_rate = Float()
    median_cycle_days = _nullable(help_text="First submit to conclusion.")
    shrunk_lift = _nullable()
    value = Float(help_text="Σ first-year value of its scaled winners (shrunk lifts).")
    with_cost = Int()
    cost = Float()
    # ``return`` is a Python keyword: declared below.
    cost_per_win = _nullable()
    fees = Float(help_text="An agency's monthly fee over its contract's months to date.")
    cost_with_fees = Float(help_text="Every test's recorded cost plus the fees.")
    return_with_fees = _nullable(help_text="value ÷ cost_with_fees")


PartnerSerializer._declared_fields["return"] = _nullable(help_text="value ÷ cost")


class ExperimentReturnSerializer(serializers.Serializer):
    id = Int()
    name = serializers.CharField()
    partner = serializers.CharField()
    outcome = serializers.ChoiceField(Outcome.choices, allow_blank=True)
    decision = serializers.ChoiceField(Decision.choices, allow_blank=True)
    cost = Float()
    value = Float()


ExperimentReturnSerializer._declared_fields["return"] = _nullable()


class PartnersDataSerializer(serializers.Serializer):
    reading = serializers.CharField()
    concluded = Int()
    with_cost = Int()
    cost = Float()
    value = Float()
    partners = PartnerSerializer(many=True)
    experiments = ExperimentReturnSerializer(many=True, help_text="The latest 50 with a cost.")


PartnersDataSerializer._declared_fields["return"] = _nullable()

# --- the endpoints ---------------------------------------------------------------------


class CalibrationInsightSerializer(InsightReportSerializer):
    data = CalibrationDataSerializer()


@describe_insight(CalibrationInsightSerializer)
class CalibrationInsightViewSet(InsightViewSet):
    insight_name = "calibration"


class FalseWinsInsightSerializer(InsightReportSerializer):
    data = FalseWinsDataSerializer()


@describe_insight(FalseWinsInsightSerializer)
class FalseWinsInsightViewSet(InsightViewSet):
    insight_name = "false-wins"


class PartnersInsightSerializer(InsightReportSerializer):
    data = PartnersDataSerializer()


@describe_insight(PartnersInsightSerializer)
class PartnersInsightViewSet(InsightViewSet):
    insight_name = "partners"
