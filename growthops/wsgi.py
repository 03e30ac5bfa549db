import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "growthops.settings")
application = get_wsgi_application()

# gunicorn runs no system checks: refuse to start rather than answer every page with a 500.
from .checks import static_files_are_collected  # noqa: E402

for error in static_files_are_collected():
    raise ImproperlyConfigured(f"{error.msg} {error.hint}")

# Load what every request needs (the URLs, and through them every view) before serving, then
# set the process's long-lived objects aside from the garbage collector: a full collection
# traversed all of them, a few times in a thousand requests, for ~0.1 s each (docs/api.md).
import gc  # noqa: E402

from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018
gc.collect()
gc.freeze()
