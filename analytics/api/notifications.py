"""The signed-in user's own notifications, and marking them read."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from growthops.api import refuse_any_body
from growthops.filters import LIST_FILTERS
from roles.permissions import HasAbility

from ..filters import NotificationFilter
from ..models import Alert, Notification
from ..services import notifications_mark_read


class NotificationSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(Alert.Kind.choices, source="alert.kind", read_only=True)
    message = serializers.CharField(source="alert.message", read_only=True)
    experiment = serializers.IntegerField(source="alert.experiment_id", read_only=True)
    metric = serializers.SlugRelatedField(
        source="alert.metric", slug_field="key", read_only=True, allow_null=True
    )
    resolved_at = serializers.DateTimeField(
        source="alert.resolved_at",
        read_only=True,
        allow_null=True,
        help_text="When the alert's cause ended; null while it is open.",
    )

    class Meta:
        model = Notification
        fields = [
            "id", "kind", "message", "experiment", "metric", "created_at", "read_at", "resolved_at",
        ]  # fmt: skip
        read_only_fields = fields


class MarkedReadSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField()


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """``GET`` lists only the asking user's notifications, newest first (``?unread=1``,
    ``?open=1`` for those whose alert is not resolved)."""

    serializer_class = NotificationSerializer
    permission_classes = [HasAbility]
    required_ability = "experiments.read"
    filter_backends = LIST_FILTERS
    filterset_class = NotificationFilter
    search_fields = ["alert__message"]
    ordering_fields = ["created_at", "read_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema asks with no one signed in
            return Notification.objects.none()
        return Notification.objects.filter(recipient=self.request.user).select_related(
            "alert", "alert__metric"
        )

    @extend_schema(request=None, responses=MarkedReadSerializer)
    @action(detail=False, methods=["post"])
    def read(self, request):
        refuse_any_body(request)
        return Response({"marked_read": notifications_mark_read(actor=request.user)})
