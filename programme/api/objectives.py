"""An objective over HTTP with where it stands (``/objectives/{id}/``), and its measured KPI
(``/objectives/{id}/measurements/``). The objectives app's viewset, extended here: that app sits
below the programme and cannot read the ledger, measurements or holdouts."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from analytics.api.parsers import CSVTextParser, JSONParser
from experiments.api import BaseObjectiveViewSet
from experiments.selectors import objective_list_for_user
from experiments.serializers import ObjectiveSerializer
from growthops.renderers import CSVExports, csv_response
from growthops.schema import CSV_BODY
from roles.permissions import HasAbility

from ..measurements import (
    measurement_csv_header,
    measurement_series,
    measurements_ingest,
    measurements_parse_csv,
)
from ..models import ObjectiveMeasurement
from ..portfolio.standing import objective_standing


class FigureSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True)
    display = serializers.CharField(help_text="The value in the objective's unit, e.g. €1,234.")
    as_of = serializers.DateField(allow_null=True, help_text="The day the figure describes.")


class ForecastExplainedSerializer(serializers.Serializer):
    expected = FigureSerializer(help_text="Σ P(win) × the MDE's value × the winners' retention.")
    expected_share_of_gap = serializers.FloatField(allow_null=True)
    if_all_win_at_mde = FigureSerializer(help_text="Σ the MDE's value: every test in flight wins.")
    if_all_win_share_of_gap = serializers.FloatField(allow_null=True)
    calibrated_win_rate = serializers.FloatField(allow_null=True)
    winner_retention = serializers.FloatField(
        allow_null=True, help_text="Share of a winner's measured lift left after shrinkage."
    )
    in_flight = serializers.IntegerField()
    reading = serializers.CharField(allow_null=True)


class HoldoutCorrectionSerializer(serializers.Serializer):
    holdout = serializers.IntegerField()
    name = serializers.CharField()
    as_of = serializers.DateField(allow_null=True)
    ratio = serializers.FloatField(help_text="Measured lift ÷ the ledger's estimate.")
    ratio_low = serializers.FloatField(allow_null=True)
    ratio_high = serializers.FloatField(allow_null=True)


class StandingSerializer(serializers.Serializer):
    unit = serializers.CharField(help_text="EUR (the reporting currency), count or %.")
    measured = FigureSerializer(help_text="The latest measured value.")
    estimated = FigureSerializer(help_text="Baseline + realised impact.")
    estimated_shrunk = FigureSerializer(help_text="Baseline + realised impact, lifts shrunk.")
    estimated_corrected = FigureSerializer(
        help_text="Baseline + realised impact × the holdout's correction."
    )
    forecast = FigureSerializer(help_text="Estimated + the expected forecast of what is in flight.")
    unexplained_movement = FigureSerializer(help_text="Measured − estimated.")
    forecast_explained = ForecastExplainedSerializer()
    holdout_correction = HoldoutCorrectionSerializer(allow_null=True)
    measured_days = serializers.IntegerField(help_text="Days measured in the last year.")


class ObjectiveDetailSerializer(ObjectiveSerializer):
    standing = serializers.SerializerMethodField()

    class Meta(ObjectiveSerializer.Meta):
        fields = [*ObjectiveSerializer.Meta.fields, "standing"]

    @extend_schema_field(StandingSerializer)
    def get_standing(self, objective) -> dict:
        return StandingSerializer(objective_standing(objective)).data


class MeasurementSerializer(serializers.ModelSerializer):
    recorded_by = serializers.StringRelatedField()

    class Meta:
        model = ObjectiveMeasurement
        fields = ["date", "value", "source", "recorded_by", "created_at"]


class MeasurementRowSerializer(serializers.Serializer):
    date = serializers.DateField()
    value = serializers.DecimalField(max_digits=16, decimal_places=2)


class MeasurementsWrittenSerializer(serializers.Serializer):
    written = serializers.IntegerField(help_text="Days written (a day sent again is replaced).")


class ObjectiveViewSet(BaseObjectiveViewSet):
    """Objectives; the detail adds where the objective stands (``standing``)."""

    def get_serializer_class(self):
        return ObjectiveDetailSerializer if self.action == "retrieve" else ObjectiveSerializer

    @extend_schema(responses=ObjectiveDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        return Response(ObjectiveDetailSerializer(self.get_object()).data)


class ObjectiveMeasurementViewSet(CSVExports, viewsets.GenericViewSet):
    """An objective's measured KPI: ``/objectives/{id}/measurements/``. Registered on the
    ``objectives`` prefix beside the objectives' own viewset, with this one action."""

    csv_exports = frozenset({"measurements"})

    permission_classes = [HasAbility]
    required_abilities = {"GET": "results.read", "POST": "objectives.measure"}
    parser_classes = [JSONParser, CSVTextParser]
    serializer_class = MeasurementSerializer
    filter_backends = []

    def get_queryset(self):
        return objective_list_for_user(user=self.request.user)

    @extend_schema(
        methods=["GET"],
        responses=MeasurementSerializer(many=True),
        description="The measured values, oldest first, in pages; ``?format=csv`` gives them "
        "all as ``date,value (<unit>)``.",
    )
    @extend_schema(
        methods=["POST"],
        request={"application/json": MeasurementRowSerializer(many=True), "text/csv": CSV_BODY},
        responses={201: MeasurementsWrittenSerializer},
        description="A day already stored is replaced by the value sent. One bad row (a bad "
        "date or number, a value below zero for a count objective, a day in the "
        "future, a day named twice, an unknown field) refuses the whole batch (400, every bad "
        "row listed); nothing is written. CSV header: date,value.",
    )
    @action(detail=True, methods=["get", "post"])
    def measurements(self, request, pk=None):
        objective = self.get_object()
        if request.method == "POST":
            data = request.data
            rows = measurements_parse_csv(data) if isinstance(data, str) else data
            written = measurements_ingest(objective_id=objective.pk, actor=request.user, rows=rows)
            return Response(MeasurementsWrittenSerializer({"written": written}).data, status=201)
        series = measurement_series(objective).select_related("recorded_by")
        if request.accepted_renderer.format == "csv":
            header = measurement_csv_header(objective)
            values = series.values_list("date", "value")
            return csv_response(
                header, [[{header[0]: day, header[1]: value} for day, value in values]]
            )
        page = self.paginate_queryset(series)
        return self.get_paginated_response(MeasurementSerializer(page, many=True).data)
