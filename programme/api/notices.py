"""The signed-in user's own notices (what became of their ideas, post-mortems, overdue work),
and marking them read."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from growthops.api import refuse_any_body
from roles.permissions import HasAbility

from ..models import Notice
from ..notices import notices_mark_read


class NoticeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notice
        fields = ["id", "kind", "message", "url", "experiment", "hypothesis", "created_at"]
        fields += ["read_at"]
        read_only_fields = fields


class NoticesReadSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField()


class NoticeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """``GET`` lists only the asking user's notices, newest first."""

    serializer_class = NoticeSerializer
    permission_classes = [HasAbility]
    required_ability = "experiments.read"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema asks with no one signed in
            return Notice.objects.none()
        return Notice.objects.filter(recipient=self.request.user).order_by("-created_at", "-id")

    @extend_schema(request=None, responses=NoticesReadSerializer)
    @action(detail=False, methods=["post"])
    def read(self, request):
        """Mark every unread notice of the asking user read."""
        refuse_any_body(request)
        return Response({"marked_read": notices_mark_read(actor=request.user)})
