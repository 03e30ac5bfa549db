"""Raw event ingestion over HTTP: ``POST /api/v1/events/`` (JSON array or NDJSON)."""

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.response import Response

from roles.permissions import HasAbility

from ..ingest.events import MAX_EVENTS, events_ingest
from .parsers import EventsJSONParser, EventsNDJSONParser


class EventViewSet(viewsets.ViewSet):
    permission_classes = [HasAbility]
    required_ability = "data.upload"
    parser_classes = [EventsJSONParser, EventsNDJSONParser]

    @extend_schema(
        request={"application/json": list[dict], "application/x-ndjson": str},
        responses={201: dict},
        description=f"Up to {MAX_EVENTS:,} events: experiment, variant, user_id, kind "
        "(exposure/conversion), metric (conversions only), value (≥ 0; required for mean "
        "metrics), timestamp (ISO 8601 with a time zone). One bad event rejects the batch "
        "(400, every problem listed by 0-based index); nothing is written.",
    )
    def create(self, request):
        events = request.data
        return Response({"accepted": events_ingest(actor=request.user, events=events)}, status=201)
