"""Request rates per signed-in user and per anonymous address (``API_THROTTLE_RATES``).

Rates are read from the settings on each request, not when the class is defined, so a
deployment (or a test) can change them. A refusal is a 429 with ``Retry-After``.
"""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class UserThrottle(UserRateThrottle):
    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)


class AnonThrottle(AnonRateThrottle):
    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)
