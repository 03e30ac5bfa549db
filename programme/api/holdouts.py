"""Programme holdouts over HTTP: ``/holdouts/`` (list; the CMO keeps a new one), each with what it
measures against the ledger (``/holdouts/{id}/``) and its daily data (``/holdouts/{id}/data/``)."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from analytics.api.parsers import CSVTextParser, JSONParser
from experiments.models import Objective, Segment
from growthops.schema import CSV_BODY
from roles.permissions import HasAbility

from ..holdouts import holdout_create, holdout_data_ingest, holdout_parse_csv
from ..models import Holdout, HoldoutObservation
from ..portfolio.holdouts import holdout_list_for_user, holdout_report


class HoldoutSerializer(serializers.ModelSerializer):
    created_by = serializers.StringRelatedField()

    class Meta:
        model = Holdout
        fields = [
            "id", "name", "segment", "share", "started_on", "kind", "objective", "notes",
            "created_by", "created_at",
        ]  # fmt: skip


class HoldoutInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    segment = serializers.PrimaryKeyRelatedField(queryset=Segment.objects.all())
    share = serializers.FloatField(
        help_text="The share of the segment kept away, above 0 and below 1."
    )
    started_on = serializers.DateField()
    kind = serializers.ChoiceField(choices=Holdout.Kind.choices, default=Holdout.Kind.CONVERSION)
    objective = serializers.PrimaryKeyRelatedField(
        queryset=Objective.objects.all(), required=False, allow_null=True, default=None
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class MeasuredSerializer(serializers.Serializer):
    users_holdout = serializers.IntegerField()
    users_exposed = serializers.IntegerField()
    mean_holdout = serializers.FloatField()
    mean_exposed = serializers.FloatField()
    lift = serializers.FloatField(allow_null=True)
    lift_ci_low = serializers.FloatField(allow_null=True)
    lift_ci_high = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True)


class ShippedSerializer(serializers.Serializer):
    experiment = serializers.IntegerField()
    name = serializers.CharField()
    shipped_on = serializers.DateField()
    improvement = serializers.FloatField(
        help_text="The lift the ledger counts (positive = better)."
    )


class CorrectionSerializer(serializers.Serializer):
    ratio = serializers.FloatField()
    ratio_low = serializers.FloatField(allow_null=True)
    ratio_high = serializers.FloatField(allow_null=True)


class SeriesPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    lift = serializers.FloatField(allow_null=True)


class HoldoutReportSerializer(serializers.Serializer):
    period_start = serializers.DateField(allow_null=True)
    period_end = serializers.DateField(allow_null=True)
    days = serializers.IntegerField(help_text="Days with data of both groups.")
    measured = MeasuredSerializer(allow_null=True, help_text="Exposed against holdout, cumulative.")
    estimated_lift = serializers.FloatField(
        allow_null=True, help_text="The ledger's lift for the same days."
    )
    correction = CorrectionSerializer(allow_null=True, help_text="Measured ÷ estimated.")
    shipped = ShippedSerializer(many=True)
    series = SeriesPointSerializer(many=True)
    problem = serializers.CharField(allow_null=True)


class HoldoutDetailSerializer(HoldoutSerializer):
    report = serializers.SerializerMethodField()

    class Meta(HoldoutSerializer.Meta):
        fields = [*HoldoutSerializer.Meta.fields, "report"]

    @extend_schema_field(HoldoutReportSerializer)
    def get_report(self, holdout) -> dict:
        return HoldoutReportSerializer(holdout_report(holdout)).data


class HoldoutRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = HoldoutObservation
        fields = ["date", "group", "users", "conversions", "sum", "sum_squares", "updated_at"]
        read_only_fields = ["updated_at"]


class HoldoutWrittenSerializer(serializers.Serializer):
    written = serializers.IntegerField(help_text="Rows written (a day sent again is replaced).")


class HoldoutViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Everyone reads holdouts; the CMO keeps a new one; the CMO and analysts send its data."""

    permission_classes = [HasAbility]
    # The only other POST is the data's.
    required_abilities = {"create": "holdouts.manage", "POST": "holdouts.data"}
    required_ability = "results.read"
    filter_backends = []
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return holdout_list_for_user(user=self.request.user)

    def get_serializer_class(self):
        return HoldoutDetailSerializer if self.action == "retrieve" else HoldoutSerializer

    @extend_schema(request=HoldoutInputSerializer, responses={201: HoldoutDetailSerializer})
    def create(self, request):
        payload = HoldoutInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        holdout = holdout_create(actor=request.user, **payload.validated_data)
        return Response(HoldoutDetailSerializer(holdout).data, status=201)

    @extend_schema(
        methods=["GET"],
        responses=HoldoutRowSerializer(many=True),
        description="The stored daily rows, by day and group, in pages.",
    )
    @extend_schema(
        methods=["POST"],
        request={"application/json": HoldoutRowSerializer(many=True), "text/csv": CSV_BODY},
        responses={201: HoldoutWrittenSerializer},
        description="One row per group (holdout, exposed) and day: users and conversions, or "
        "users, sum and sum_squares for a value holdout. A day sent again replaces that row. "
        "One bad row refuses the whole batch (400, every bad row listed); nothing is written. "
        "CSV header: date,group,users,conversions or date,group,users,sum,sum_squares.",
    )
    @action(detail=True, methods=["get", "post"], parser_classes=[JSONParser, CSVTextParser])
    def data(self, request, pk=None):
        holdout = self.get_object()
        if request.method == "POST":
            body = request.data
            rows = holdout_parse_csv(body) if isinstance(body, str) else body
            written = holdout_data_ingest(holdout_id=holdout.pk, actor=request.user, rows=rows)
            return Response(HoldoutWrittenSerializer({"written": written}).data, status=201)
        rows = holdout.observations.order_by("date", "group", "pk")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(HoldoutRowSerializer(page, many=True).data)
