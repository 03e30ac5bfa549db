"""Programme insights over HTTP: one read-only endpoint per insight, each with its own schema."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from growthops.api import OneObjectSchema
from roles.permissions import HasAbility

from ..insights import INSIGHTS
from ..insights.run import insight_report, insight_summaries


class InsightSummarySerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    question = serializers.CharField()
    url = serializers.CharField(help_text="This insight's endpoint.")
    computed_at = serializers.DateTimeField(
        allow_null=True, help_text="Empty until the first roll-up."
    )


# What every insight's endpoint answers; each insight's subclass describes its ``data``.
class InsightReportSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    question = serializers.CharField()
    computed_at = serializers.DateTimeField()
    seconds = serializers.FloatField(help_text="How long the computation took.")
    data = serializers.JSONField()


class InsightIndexViewSet(viewsets.ViewSet):
    """Every programme insight, with when it was last computed."""

    permission_classes = [HasAbility]
    required_ability = "results.read"

    @extend_schema(responses=InsightSummarySerializer(many=True))
    def list(self, request):
        rows = [
            {
                "name": row["insight"].name,
                "title": row["insight"].title,
                "question": row["insight"].question,
                "url": request.build_absolute_uri(f"{request.path}{row['insight'].name}/"),
                "computed_at": row["report"].computed_at if row["report"] else None,
            }
            for row in insight_summaries()
        ]
        return Response(InsightSummarySerializer(rows, many=True).data)


class InsightViewSet(viewsets.ViewSet):
    """One insight's latest stored report. Each insight's endpoint is a subclass naming the
    insight and the serializer of its report (``insights_ops.py``, ``insights_stats.py``)."""

    schema = OneObjectSchema()
    permission_classes = [HasAbility]
    required_ability = "results.read"
    insight_name: str
    report_serializer: type[InsightReportSerializer]  # set by ``describe_insight``

    def list(self, request):
        insight = INSIGHTS[self.insight_name]
        report = insight_report(insight.name)
        payload = {
            "name": insight.name,
            "title": insight.title,
            "question": insight.question,
            "computed_at": report.computed_at,
            "seconds": report.seconds,
            "data": report.data,
        }
        return Response(self.report_serializer(payload).data)


def describe_insight(report_serializer: type[InsightReportSerializer]):
    """Class decorator: the endpoint answers through ``report_serializer``, and its schema shows
    the insight's title, question and that report."""

    def decorate(viewset: type[InsightViewSet]) -> type[InsightViewSet]:
        insight = INSIGHTS[viewset.insight_name]
        viewset.report_serializer = report_serializer  # the one shape: answered and described
        return extend_schema_view(
            list=extend_schema(
                responses=report_serializer, summary=insight.title, description=insight.question
            )
        )(viewset)

    return decorate
