"""Programme insights over HTTP: one read-only endpoint per insight, each with its own schema."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from growthops.api import OneObjectSchema
from roles.permissions import HasAbility

from ..insights import INSIGHTS
from ..insights.run import insight_report, insight_summaries

# Each insight's stored data, described for the schema (an insight missing here is documented
# as a free-form object).
DATA_SERIALIZERS: dict[str, type[serializers.Serializer]] = {}


class InsightSummarySerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    question = serializers.CharField()
    url = serializers.CharField(help_text="This insight's endpoint.")
    computed_at = serializers.DateTimeField(
        allow_null=True, help_text="Empty until the first roll-up."
    )


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


def insight_viewset(name: str) -> type[viewsets.ViewSet]:
    """A read-only endpoint for one insight: its latest stored report."""
    insight = INSIGHTS[name]
    camel = "".join(part.title() for part in name.split("-"))
    data = DATA_SERIALIZERS.get(name)
    report_serializer = type(
        f"{camel}InsightSerializer",
        (InsightReportSerializer,),
        {"data": data() if data else serializers.JSONField()},
    )

    class InsightViewSet(viewsets.ViewSet):
        schema = OneObjectSchema()
        permission_classes = [HasAbility]
        required_ability = "results.read"

        @extend_schema(responses=report_serializer, summary=insight.title)
        def list(self, request):
            report = insight_report(name)
            return Response(
                {
                    "name": name,
                    "title": insight.title,
                    "question": insight.question,
                    "computed_at": report.computed_at,
                    "seconds": report.seconds,
                    "data": report.data,
                }
            )

    InsightViewSet.__name__ = f"{camel}InsightViewSet"
    InsightViewSet.__doc__ = insight.question
    return InsightViewSet
