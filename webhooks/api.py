"""``/api/v1/webhooks/``: the CMO's endpoints, their delivery log, and a test ping."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from growthops.filters import LIST_FILTERS, filtered
from growthops.schema import filter_parameters
from roles.permissions import HasAbility

from .filters import DeliveryFilter
from .models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from .selectors import delivery_list, endpoint_list
from .services import endpoint_create, endpoint_delete, endpoint_ping, endpoint_update


class EndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.CharField(),
        help_text=f"Any of: {', '.join(WebhookEvent.values)}.",  # the service checks them
    )
    created_by = serializers.StringRelatedField()

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "events",
            "description",
            "active",
            "secret",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["secret", "created_by", "created_at", "updated_at"]
        # The service checks the URL (scheme, host, addresses); the serializer only parses.
        extra_kwargs = {"url": {"validators": []}}


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "source",
            "status",
            "attempts",
            "response_code",
            "last_error",
            "created_at",
            "last_attempt_at",
            "next_attempt_at",
            "delivered_at",
            "payload",
        ]


class WebhookViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Webhook endpoints: each receives the events it names, signed with its secret."""

    serializer_class = EndpointSerializer
    permission_classes = [HasAbility]
    required_ability = "webhooks.manage"
    filter_backends = LIST_FILTERS
    filterset_fields = ["active"]
    search_fields = ["url", "description"]
    ordering_fields = ["created_at", "updated_at", "url"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return endpoint_list()

    def perform_create(self, serializer):
        serializer.instance = endpoint_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = endpoint_update(
            endpoint_id=serializer.instance.pk, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        endpoint_delete(endpoint_id=instance.pk, actor=self.request.user)

    @extend_schema(
        responses=DeliverySerializer(many=True), parameters=filter_parameters(DeliveryFilter)
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request, pk=None):
        """Every delivery to the endpoint, newest first: status, tries, last response code."""
        deliveries = filtered(DeliveryFilter, request, delivery_list(endpoint=self.get_object()))
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a ``ping`` now; the answer shows the delivery as it stands after queuing it."""
        delivery = endpoint_ping(endpoint_id=self.get_object().pk, actor=request.user)
        delivery.refresh_from_db()
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
