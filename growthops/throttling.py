"""Request rates per signed-in user and per anonymous address (``API_THROTTLE_RATES``).

Rates are read from the settings on each request, not when the class is defined, so a
deployment (or a test) can change them. A refusal is a 429 with ``Retry-After``. An anonymous
client is counted by :func:`growthops.client_ip.client_ip`, the address the sign-in lock-out
counts too: ``X-Forwarded-For`` only as far as our own proxies vouch for it.
"""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from .client_ip import client_ip


class UserThrottle(UserRateThrottle):
    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        return client_ip(request)


class AnonThrottle(AnonRateThrottle):
    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        return client_ip(request)
