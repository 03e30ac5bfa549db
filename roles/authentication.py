import datetime as dt
import hmac

from django.conf import settings
from django.utils import timezone
from rest_framework.authentication import (
    BaseAuthentication,
    TokenAuthentication,
    get_authorization_header,
)
from rest_framework.exceptions import AuthenticationFailed

from .models import ServiceToken
from .tokens import digest_of, prefix_of

# How stale ``last_used_at`` may grow before a request writes it again: one write a minute at
# most, not one per request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def _refuse_demo(user) -> None:
    if user.is_demo and not settings.DEBUG:
        raise AuthenticationFailed("Demo accounts are refused on this deployment.")


class DemoAwareTokenAuthentication(TokenAuthentication):
    """DRF's token check, refusing the seeded demo accounts when DEBUG is off."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        _refuse_demo(user)
        return user, token


class ServiceTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <secret>``: a service token (:class:`roles.models.ServiceToken`).

    ``request.auth`` is the token, whose scopes :class:`roles.permissions.HasAbility` checks.
    An unknown, expired or revoked token is a 401 saying which. A personal token's key sent as
    ``Bearer`` (what generated clients send) is accepted as with ``Token``.
    """

    keyword = "Bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Invalid Bearer header: send 'Bearer <secret>'.")
        try:
            secret = parts[1].decode()
        except UnicodeError:
            raise AuthenticationFailed("Invalid token.") from None
        return self.authenticate_credentials(secret)

    def authenticate_credentials(self, secret: str):
        prefix = prefix_of(secret)
        if prefix is None:  # not a service token's shape: a personal token's key, or nothing
            return DemoAwareTokenAuthentication().authenticate_credentials(secret)
        token = ServiceToken.objects.select_related("user").filter(prefix=prefix).first()
        if token is None or not hmac.compare_digest(token.digest, digest_of(secret)):
            raise AuthenticationFailed("Invalid token.")
        now = timezone.now()
        if token.revoked_at is not None:
            raise AuthenticationFailed(
                f"This token was revoked on {token.revoked_at:%Y-%m-%d %H:%M} UTC."
            )
        if token.expires_at <= now:
            raise AuthenticationFailed(
                f"This token expired on {token.expires_at:%Y-%m-%d %H:%M} UTC."
            )
        if not token.user.is_active:
            raise AuthenticationFailed("User inactive or deleted.")
        _refuse_demo(token.user)
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ServiceToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
