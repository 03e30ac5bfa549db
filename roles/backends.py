from django.conf import settings
from django.contrib.auth.backends import ModelBackend

from .demo import DEMO_PASSWORD


class DemoAwareModelBackend(ModelBackend):
    """The normal backend, except that the public demo password only works with DEBUG on.

    The seeded demo users share a published password; on a production deployment that
    must never open a session, even if someone seeded demo data there.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not settings.DEBUG and password == DEMO_PASSWORD:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
