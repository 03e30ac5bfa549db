"""``/api/v1/webhooks/``: the CMO's endpoints, their delivery log, and a test ping."""

from django.utils.cache import patch_cache_control
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from growthops.api import refuse_any_body
from growthops.filters import LIST_FILTERS, filtered
from growthops.schema import filter_parameters
from roles.permissions import HasAbility

from .filters import DeliveryFilter
from .models import PING, WebhookDelivery, WebhookEndpoint, WebhookEvent
from .selectors import delivery_list, endpoint_list
from .services import (
    endpoint_create,
    endpoint_delete,
    endpoint_ping,
    endpoint_rotate_secret,
    endpoint_update,
)


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "enum": list(WebhookEvent.values)},
        "description": f"Any of: {', '.join(WebhookEvent.values)}.",
    }
)
class EventNamesField(serializers.ListField):
    """The events an endpoint hears: an enum in the schema; the service checks the names (its
    400 lists the events there are)."""

    child = serializers.CharField()


class EndpointSerializer(serializers.ModelSerializer):
    """An endpoint as every read shows it: its secret only by its last four characters."""

    events = EventNamesField(help_text=f"Any of: {', '.join(WebhookEvent.values)}.")
    created_by = serializers.StringRelatedField()
    secret_ends_with = serializers.SerializerMethodField(
        help_text="The last four characters of the signing secret, to tell which one is in use."
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "events",
            "description",
            "active",
            "secret_ends_with",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_by", "created_at", "updated_at"]
        # The service checks the URL (scheme, host, addresses); the serializer only parses.
        extra_kwargs = {"url": {"validators": []}}

    def get_secret_ends_with(self, endpoint) -> str:
        return endpoint.secret[-4:]


class EndpointWithSecretSerializer(EndpointSerializer):
    """The answer that made a secret (registering, rotating): the one time it is shown."""

    secret = serializers.CharField(
        read_only=True, help_text="Signs every delivery (HMAC-SHA256); not shown again."
    )

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]


class DeliverySerializer(serializers.ModelSerializer):
    event = serializers.ChoiceField([*WebhookEvent.values, PING], read_only=True)

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
    """Webhook endpoints: each receives the events it names, signed with its secret.

    The secret is in the answer that made it only (registering, ``rotate-secret``), as an API
    token is shown once; every other answer names its last four characters.
    """

    serializer_class = EndpointSerializer
    permission_classes = [HasAbility]
    required_ability = "webhooks.manage"
    filter_backends = LIST_FILTERS
    filterset_fields = ["active"]
    search_fields = ["url", "description"]
    ordering_fields = ["created_at", "updated_at", "url"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return endpoint_list(user=self.request.user)

    def get_serializer_class(self):
        return EndpointWithSecretSerializer if self.action == "create" else EndpointSerializer

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.action in ("create", "rotate_secret"):
            patch_cache_control(response, no_store=True)  # a secret is in it
        return response

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

    @extend_schema(request=None, responses=EndpointWithSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new signing secret, shown in this answer only; the old one stops signing at once."""
        refuse_any_body(request)
        endpoint = endpoint_rotate_secret(endpoint_id=self.get_object().pk, actor=request.user)
        return Response(EndpointWithSecretSerializer(endpoint).data)

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a ``ping`` now; the answer shows the delivery as it stands after queuing it."""
        refuse_any_body(request)
        delivery = endpoint_ping(endpoint_id=self.get_object().pk, actor=request.user)
        delivery.refresh_from_db()
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
