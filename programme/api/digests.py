"""``/auth/me/digest/``: the caller's digest preference (``GET``, ``PATCH``)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from growthops.api import OneObjectSchema
from roles.permissions import HasAbility

from ..digests.preferences import digest_preference_update, preference_of
from ..models import DigestFrequency


class DigestPreferenceSerializer(serializers.Serializer):
    frequency = serializers.ChoiceField(
        DigestFrequency.choices, required=False, help_text="weekly (the default), daily or off."
    )
    slack_webhook_url = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="A Slack incoming webhook (https, public host); empty: e-mail only.",
    )


class DigestPreferenceViewSet(viewsets.ViewSet):
    """The caller's digest: how often, and the Slack webhook it also goes to."""

    schema = OneObjectSchema()
    permission_classes = [HasAbility]
    required_ability = "results.read"

    @extend_schema(
        methods=["GET"], responses=DigestPreferenceSerializer, operation_id="auth_me_digest_read"
    )
    @extend_schema(
        methods=["PATCH"],
        request=DigestPreferenceSerializer,
        responses=DigestPreferenceSerializer,
        operation_id="auth_me_digest_update",
    )
    @action(detail=False, methods=["get", "patch"], url_path="digest")
    def digest(self, request):
        if request.method == "PATCH":
            body = DigestPreferenceSerializer(data=request.data, partial=True)
            body.is_valid(raise_exception=True)
            preference = digest_preference_update(user=request.user, **body.validated_data)
        else:
            preference = preference_of(user=request.user)
        return Response(DigestPreferenceSerializer(preference).data)
