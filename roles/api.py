from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from growthops.api import OneObjectSchema
from growthops.errors import ValidationFailed

from .lockout import lockout_response
from .models import Role
from .permissions import HasAbility


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class TokenViewSet(viewsets.ViewSet):
    """Exchange a username and password for the account's API token.

    The one view open to everyone: it signs in through ``authenticate`` with the Django request,
    so django-axes counts failures and locks out here as on the login page.
    """

    authentication_classes = []
    permission_classes = [AllowAny]
    serializer_class = CredentialsSerializer

    @extend_schema(
        request=CredentialsSerializer,
        responses={200: TokenSerializer},  # the same token each time: nothing is created
        description="Exchange a username and password for the account's API token: 400 on "
        "wrong credentials; 429, with ``Retry-After`` (the cool-off in seconds), once too many "
        "wrong passwords have locked the username out from this address.",
    )
    def create(self, request):
        credentials = CredentialsSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        # Axes flags the lock-out on the request it was given; DRF's wrapper would hide it.
        django_request = request._request
        user = authenticate(django_request, **credentials.validated_data)
        if getattr(django_request, "axes_locked_out", False):
            return lockout_response(django_request)  # the 429 every API lock-out answers
        if user is None:
            refusal = "Unable to sign in with those credentials."
            raise ValidationFailed({"non_field_errors": refusal}, message=refusal)
        token, _ = Token.objects.get_or_create(user=user)
        return Response(TokenSerializer({"token": token.key}).data)


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField(source="__str__")
    role = serializers.ChoiceField(Role.choices)


class MeViewSet(viewsets.ViewSet):
    """``GET /auth/me/``: who the token belongs to (name and role), without a query of its own."""

    schema = OneObjectSchema()
    permission_classes = [HasAbility]
    required_ability = "experiments.read"

    @extend_schema(responses=MeSerializer)
    def list(self, request):
        return Response(MeSerializer(request.user).data)
