"""``/api/v1/tokens/``: the caller's own service tokens (list, create, revoke)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from .models import Scope, ServiceToken
from .permissions import HasAbility
from .services import SERVICE_TOKEN_MAX_DAYS, service_token_create, service_token_revoke


class ServiceTokenSerializer(serializers.ModelSerializer):
    scopes = serializers.ListField(child=serializers.ChoiceField(Scope.choices))

    class Meta:
        model = ServiceToken
        fields = ["id", "name", "prefix", "scopes", "created_at", "expires_at"]
        fields += ["last_used_at", "revoked_at"]
        read_only_fields = fields


class ServiceTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(Scope.choices), min_length=1, max_length=len(Scope.values)
    )
    days = serializers.IntegerField(min_value=1, max_value=SERVICE_TOKEN_MAX_DAYS, default=90)


class ServiceTokenCreatedSerializer(ServiceTokenSerializer):
    secret = serializers.CharField(help_text="Shown in this answer only: store it now.")

    class Meta(ServiceTokenSerializer.Meta):
        fields = [*ServiceTokenSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class ServiceTokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The caller's own service tokens, newest first (revoked ones too, with ``revoked_at``).

    Managed with a password session or the personal ``Token``: a service token may not make or
    revoke tokens, whatever its scopes.
    """

    serializer_class = ServiceTokenSerializer
    permission_classes = [HasAbility]
    required_ability = "tokens.manage"
    filter_backends = []
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema asks with no one signed in
            return ServiceToken.objects.none()
        return ServiceToken.objects.filter(user=self.request.user).order_by("-created_at", "-id")

    @extend_schema(
        request=ServiceTokenCreateSerializer,
        responses={201: ServiceTokenCreatedSerializer},
        description="Create a named token with scopes, expiring in ``days`` (1–366, 90 by "
        "default). The answer holds the ``secret``, shown this once: send it as "
        "``Authorization: Bearer <secret>``.",
    )
    def create(self, request):
        body = ServiceTokenCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        token, secret = service_token_create(actor=request.user, **body.validated_data)
        token.secret = secret
        return Response(ServiceTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={204: OpenApiResponse(description="Revoked (or already revoked).")},
        description="Revoke one of your tokens: programs using it are refused (401) at once.",
    )
    def destroy(self, request, pk=None):
        token = self.get_object()
        service_token_revoke(actor=request.user, token_id=token.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
