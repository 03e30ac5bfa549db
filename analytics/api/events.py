"""Raw events over HTTP: ``POST /api/v1/events/`` (JSON array or NDJSON) takes them in,
``GET /api/v1/events/`` reads them back in cursor pages."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from growthops.api_rows import RowPresenter
from growthops.pagination import EventPagination
from growthops.renderers import CSV_BATCH, CSVExports, csv_response, in_batches
from growthops.schema import CSV_TABLE, NDJSON_BODY
from roles.permissions import HasAbility

from ..filters import EventFilter
from ..ingest.events import KINDS, MAX_EVENTS, events_ingest
from ..selectors import event_list_for_user
from .parsers import EventsJSONParser, EventsNDJSONParser


class EventSerializer(serializers.Serializer):
    """One stored event, under the names ``POST`` takes (keys, not ids), plus its ``id``."""

    id = serializers.IntegerField(help_text="Increases in the order events were stored.")
    experiment = serializers.CharField(help_text="Experiment key.")
    variant = serializers.CharField(help_text="Variant key.")
    user_id = serializers.CharField()
    kind = serializers.ChoiceField(choices=list(KINDS))
    metric = serializers.CharField(allow_null=True, help_text="Metric key; null on exposures.")
    value = serializers.FloatField(allow_null=True)
    timestamp = serializers.DateTimeField()


EVENT_ROWS = RowPresenter.of(EventSerializer)
# What a page reads, in EventSerializer's order (``kind`` is read as its number).
EVENT_VALUES = (
    "id",
    "experiment__key",
    "variant__key",
    "user_id",
    "kind",
    "metric__key",
    "value",
    "timestamp",
)
KIND_NAMES = {number: name for name, number in KINDS.items()}


def events_presented(rows: list[dict]) -> list[dict]:
    """``EventSerializer``'s data for rows read with ``.values(*EVENT_VALUES)``."""
    tuples = [tuple(row[name] for name in EVENT_VALUES) for row in rows]
    kinds = [KIND_NAMES[row["kind"]] for row in rows]
    return EVENT_ROWS.present_columns(EVENT_ROWS.field_names, tuples, supplied={"kind": kinds})


class EventsAcceptedSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()


# Outside the class, whose ``list`` action hides the builtin.
EVENT_BATCH = {"application/json": list[dict], "application/x-ndjson": NDJSON_BODY}


class EventViewSet(CSVExports, viewsets.GenericViewSet):
    permission_classes = [HasAbility]
    # Reading needs results.read (everyone with a role); sending needs data.upload.
    required_abilities = {"list": "experiments.read", "create": "data.upload"}
    parser_classes = [EventsJSONParser, EventsNDJSONParser]
    serializer_class = EventSerializer
    pagination_class = EventPagination
    filterset_class = EventFilter
    csv_exports = frozenset({"list"})

    def get_queryset(self):
        return event_list_for_user(user=self.request.user)

    @extend_schema(
        responses={
            (200, "application/json"): EventSerializer(many=True),
            (200, "text/csv"): CSV_TABLE,
        },
        description="Stored events of the experiments the caller may see, oldest first (by "
        "``id``), in cursor pages (``next`` / ``previous``, ``page_size`` at most 500). New "
        "events come after the last page, so following ``next`` reads each event once. "
        "Timestamps filter inclusively (``timestamp_after`` / ``timestamp_before``). "
        "``?format=csv`` gives the whole filtered list as one CSV table (no cursor).",
    )
    def list(self, request):
        rows = self.filter_queryset(self.get_queryset()).values(*EVENT_VALUES)
        page = self.paginate_queryset(rows)
        if page is None:  # ?format=csv: every event, oldest first, read and written in batches
            batches = in_batches(rows.order_by("id").iterator(chunk_size=CSV_BATCH), CSV_BATCH)
            return csv_response(EVENT_ROWS.field_names, map(events_presented, batches))
        return self.get_paginated_response(events_presented(page))

    @extend_schema(
        request=EVENT_BATCH,
        responses={
            (201, "application/json"): EventsAcceptedSerializer,
        },
        description=f"Up to {MAX_EVENTS:,} events: experiment, variant, user_id, kind "
        "(exposure/conversion), metric (conversions only), value (≥ 0; required for mean "
        "metrics), timestamp (ISO 8601 with a time zone). One bad event rejects the batch "
        "(400, every problem listed by its 0-based ``index``); nothing is written. Events for an "
        "experiment the sender may not write are a 403 listing them the same way.",
    )
    def create(self, request):
        events = request.data
        return Response({"accepted": events_ingest(actor=request.user, events=events)}, status=201)
