"""Raw event ingestion over HTTP: ``POST /api/v1/events/`` (JSON array or NDJSON)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from roles.permissions import HasAbility

from ..ingest.events import MAX_EVENTS, events_ingest
from .parsers import EventsJSONParser, EventsNDJSONParser


class EventProblemSerializer(serializers.Serializer):
    index = serializers.IntegerField(allow_null=True, help_text="0-based; null for the batch.")
    field = serializers.CharField()
    message = serializers.CharField()


class EventBatchRefusedSerializer(serializers.Serializer):
    """A refused batch lists its problems by event, not by field (a batch has thousands)."""

    detail = serializers.CharField()
    errors = EventProblemSerializer(many=True)


class EventsForbiddenSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = EventProblemSerializer(
        many=True, required=False, help_text="The events for experiments the sender may not write."
    )


class EventsAcceptedSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()


class EventViewSet(viewsets.ViewSet):
    permission_classes = [HasAbility]
    required_ability = "data.upload"
    parser_classes = [EventsJSONParser, EventsNDJSONParser]

    @extend_schema(
        request={"application/json": list[dict], "application/x-ndjson": str},
        responses={
            201: EventsAcceptedSerializer,
            400: EventBatchRefusedSerializer,
            403: EventsForbiddenSerializer,
        },
        description=f"Up to {MAX_EVENTS:,} events: experiment, variant, user_id, kind "
        "(exposure/conversion), metric (conversions only), value (≥ 0; required for mean "
        "metrics), timestamp (ISO 8601 with a time zone). One bad event rejects the batch "
        "(400, every problem listed by 0-based index); nothing is written.",
    )
    def create(self, request):
        events = request.data
        return Response({"accepted": events_ingest(actor=request.user, events=events)}, status=201)
