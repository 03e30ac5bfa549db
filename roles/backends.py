from django.conf import settings
from django.contrib.auth.backends import ModelBackend

# The seeded demo accounts' published password (``manage.py seed_demo``).
DEMO_PASSWORD = "growthops"


class DemoAwareModelBackend(ModelBackend):
    """The normal backend, except that demo accounts and the demo password need DEBUG on.

    The seeded demo users share a published password; on a production deployment they must
    never open a session, even if someone seeded demo data there. ``user_can_authenticate``
    also decides ``get_user``, so a session opened while DEBUG was on ends when it is off.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not settings.DEBUG and password == DEMO_PASSWORD:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    def user_can_authenticate(self, user):
        if getattr(user, "is_demo", False) and not settings.DEBUG:
            return False
        return super().user_can_authenticate(user)
