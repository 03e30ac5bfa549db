"""The signed-in user's own notifications, and marking them read."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from roles.permissions import HasAbility

from ..models import Notification
from ..services import notifications_mark_read


class NotificationSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="alert.kind", read_only=True)
    message = serializers.CharField(source="alert.message", read_only=True)
    experiment = serializers.IntegerField(source="alert.experiment_id", read_only=True)
    metric = serializers.SlugRelatedField(
        source="alert.metric", slug_field="key", read_only=True, allow_null=True
    )

    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "experiment", "metric", "created_at", "read_at"]
        read_only_fields = fields


class MarkedReadSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField()


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """``GET`` lists only the asking user's notifications, newest first (``?unread=1``)."""

    serializer_class = NotificationSerializer
    permission_classes = [HasAbility]
    required_ability = "results.read"
    filter_backends = []

    def get_queryset(self):
        rows = Notification.objects.filter(recipient=self.request.user).select_related(
            "alert", "alert__metric"
        )
        if self.request.query_params.get("unread") in ("1", "true"):
            rows = rows.filter(read_at__isnull=True)
        return rows.order_by("-created_at", "-id")

    @extend_schema(request=None, responses=MarkedReadSerializer)
    @action(detail=False, methods=["post"])
    def read(self, request):
        return Response({"marked_read": notifications_mark_read(user=request.user)})
