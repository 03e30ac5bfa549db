import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "growthops.settings")
application = get_wsgi_application()

# gunicorn runs no system checks: refuse to start rather than answer every page with a 500.
from .checks import static_files_are_collected  # noqa: E402

for error in static_files_are_collected():
    raise ImproperlyConfigured(f"{error.msg} {error.hint}")
