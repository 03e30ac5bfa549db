"""Request rates per signed-in user and per anonymous address (``API_THROTTLE_RATES``).

Rates are read from the settings on each request, not when the class is defined, so a
deployment (or a test) can change them. A refusal is a 429 with ``Retry-After``. An anonymous
client is counted by :func:`growthops.client_ip.client_ip`, the address the sign-in lock-out
counts too: ``X-Forwarded-For`` only as far as our own proxies vouch for it. A request signed
with a service token is counted per token (each program its own allowance), not per person.
With ``CACHE_URL`` on Redis every web process counts together.
"""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from roles.models import ServiceToken

from .client_ip import client_ip


class UserThrottle(UserRateThrottle):
    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ServiceToken):
            return self.cache_format % {"scope": self.scope, "ident": f"token-{request.auth.pk}"}
        return super().get_cache_key(request, view)

    def get_ident(self, request):
        return client_ip(request)


class AnonThrottle(AnonRateThrottle):
    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        return client_ip(request)
