"""A segment's economics over ``/api/v1/segments/{id}/economics/``: everyone reads them;
analysts and the segment's team send them (JSON rows or CSV), all or nothing."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from experiments.models import SegmentEconomics
from experiments.selectors import segment_list_for_user
from growthops.schema import CSV_BODY
from roles.permissions import HasAbility

from ..ingest.economics import economics_ingest, economics_list, economics_parse_csv
from .parsers import CSVTextParser, JSONParser


class EconomicsSerializer(serializers.ModelSerializer):
    cac = serializers.DecimalField(
        max_digits=20, decimal_places=2, read_only=True, allow_null=True,
        help_text="Acquisition cost per customer acquired (null with no customers).",
    )  # fmt: skip
    value_to_cost = serializers.DecimalField(
        max_digits=20, decimal_places=2, read_only=True, allow_null=True,
        help_text="Customer value per unit of acquisition cost (null when nothing was spent).",
    )  # fmt: skip

    class Meta:
        model = SegmentEconomics
        fields = [
            "period_start",
            "period_end",
            "customers_acquired",
            "customer_value",
            "acquisition_cost",
            "cac",
            "value_to_cost",
        ]


class EconomicsRowSerializer(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    customers_acquired = serializers.IntegerField(min_value=0)
    customer_value = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0)
    acquisition_cost = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0)


class EconomicsWrittenSerializer(serializers.Serializer):
    written = serializers.IntegerField(
        help_text="Periods written (a period sent again is replaced)."
    )


class SegmentEconomicsViewSet(viewsets.GenericViewSet):
    """Registered on the ``segments`` prefix beside the segments' own viewset, with this one
    action. Who may send is decided per segment by the service (analysts, or its team)."""

    permission_classes = [HasAbility]
    required_abilities = {"POST": "segments.economics"}
    required_ability = "results.read"  # reading, and the 405 of a method it does not take
    parser_classes = [JSONParser, CSVTextParser]
    serializer_class = EconomicsSerializer
    filter_backends = []

    def get_queryset(self):
        return segment_list_for_user(user=self.request.user)

    @extend_schema(
        methods=["GET"],
        responses=EconomicsSerializer(many=True),
        description="The segment's periods, newest first, in pages.",
    )
    @extend_schema(
        methods=["POST"],
        request={"application/json": EconomicsRowSerializer(many=True), "text/csv": CSV_BODY},
        responses={201: EconomicsWrittenSerializer},
        description="A period already stored (the same period_start) is replaced by the row "
        "sent. One bad row (a bad date or number, a negative amount, a period that ends before "
        "it starts or starts in the future, a period named twice, an unknown field) refuses the "
        "whole batch (400, every bad row listed by row and column); nothing is written. CSV "
        "header: period_start,period_end,customers_acquired,customer_value,acquisition_cost. "
        "Analysts, or the members of the team that owns the segment.",
    )
    @action(detail=True, methods=["get", "post"])
    def economics(self, request, pk=None):
        segment = self.get_object()
        if request.method == "POST":
            data = request.data
            rows = economics_parse_csv(data) if isinstance(data, str) else data
            written = economics_ingest(segment_id=segment.pk, actor=request.user, rows=rows)
            return Response(EconomicsWrittenSerializer({"written": written}).data, status=201)
        page = self.paginate_queryset(economics_list(segment))
        return self.get_paginated_response(EconomicsSerializer(page, many=True).data)
