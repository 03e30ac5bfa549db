"""Portfolio roll-ups over HTTP: the stored rows, and one objective's ledger."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from experiments.models import Objective
from experiments.selectors import objective_list_for_user
from roles.permissions import HasAbility

from ..models import PortfolioRollup
from ..portfolio.selectors import objective_ledger, rollups_on


class PortfolioRollupSerializer(serializers.ModelSerializer):
    class Meta:
        model = PortfolioRollup
        fields = ["dimension", "key", "label", "computed_on", "computed_at", "data"]


class RollupQuerySerializer(serializers.Serializer):
    dimension = serializers.ChoiceField(choices=PortfolioRollup.Dimension.choices, required=False)
    computed_on = serializers.DateField(required=False)


class ObjectiveLedgerSerializer(serializers.Serializer):
    objective = serializers.IntegerField()
    name = serializers.CharField()
    kpi = serializers.CharField()
    unit = serializers.ChoiceField(Objective.Unit.choices)
    unit_code = serializers.CharField(help_text="What the figures are in: EUR, count or %.")
    baseline = serializers.FloatField()
    target = serializers.FloatField()
    gap = serializers.FloatField(help_text="target − baseline")
    realised_impact = serializers.FloatField(allow_null=True)
    realised_impact_low = serializers.FloatField(allow_null=True)
    realised_impact_high = serializers.FloatField(allow_null=True)
    realised_impact_shrunk = serializers.FloatField(
        allow_null=True,
        help_text="The same, with each lift shrunk for the winner's curse.",
    )
    forecast_impact = serializers.FloatField(allow_null=True)
    progress = serializers.FloatField(allow_null=True, help_text="realised ÷ |gap|")
    progress_shrunk = serializers.FloatField(
        allow_null=True, help_text="realised_impact_shrunk ÷ |gap|"
    )
    progress_with_forecast = serializers.FloatField(allow_null=True)
    forecast_expected = serializers.FloatField(
        allow_null=True,
        help_text="The forecast with each MDE shrunk as past winners' lifts were.",
    )
    forecast_if_all_win = serializers.FloatField(
        allow_null=True, help_text="Every test in flight wins at its MDE: a ceiling."
    )
    winner_retention = serializers.FloatField(
        allow_null=True, help_text="Share of a winner's measured lift left after shrinkage."
    )
    progress_expected = serializers.FloatField(
        allow_null=True, help_text="(realised + forecast_expected) ÷ |gap|"
    )
    in_flight = serializers.IntegerField(allow_null=True)
    scaled = serializers.IntegerField(allow_null=True)
    scaled_without_results = serializers.IntegerField(allow_null=True)
    computed_on = serializers.DateField(allow_null=True)
    as_of = serializers.DateTimeField(
        allow_null=True,
        help_text="When these figures were computed (after each decision, step or new look of "
        "a concluded test, and nightly); null until a roll-up has run.",
    )


@extend_schema(
    parameters=[
        OpenApiParameter("dimension", enum=PortfolioRollup.Dimension.values),
        OpenApiParameter(
            "computed_on", type=str, description="YYYY-MM-DD; default: the latest day stored."
        ),
    ]
)
class RollupViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Stored portfolio roll-up rows of one day (default: the latest), optionally one dimension."""

    serializer_class = PortfolioRollupSerializer
    permission_classes = [HasAbility]
    required_ability = "results.read"
    filter_backends = []
    query_parameters = {"list": set(RollupQuerySerializer().fields)}

    def get_queryset(self):
        query = RollupQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return rollups_on(**query.validated_data)


class LedgerViewSet(viewsets.ViewSet):
    """One objective's realised impact against its gap to target, from the latest roll-up."""

    permission_classes = [HasAbility]
    required_ability = "results.read"
    lookup_value_regex = "[0-9]+"

    @extend_schema(responses=ObjectiveLedgerSerializer)
    def retrieve(self, request, pk=None):
        objective = get_object_or_404(objective_list_for_user(user=request.user), pk=pk)
        return Response(ObjectiveLedgerSerializer(objective_ledger(objective)).data)
