from django.conf import settings
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed


class DemoAwareTokenAuthentication(TokenAuthentication):
    """DRF's token check, refusing the seeded demo accounts when DEBUG is off."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if user.is_demo and not settings.DEBUG:
            raise AuthenticationFailed("Demo accounts are refused on this deployment.")
        return user, token
