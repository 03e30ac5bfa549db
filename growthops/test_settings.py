"""Settings for the test suite: the app's settings with test-only speed-ups.

pytest reads this module (``pyproject.toml``); nothing else should.
"""

import os
import tempfile

# The app's settings read DJANGO_DEBUG when imported; tests run the debug-mode configuration
# (dev secret, local hosts) unless a test asks for production explicitly.
os.environ.setdefault("DJANGO_DEBUG", "1")

from .settings import *  # noqa: E402, F403

# PBKDF2 costs about 0.4 s per hashed password here; every factory user pays it.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Alert mail stays in memory (pytest-django also does this; stated here so it holds for any
# runner that uses these settings).
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Tests share one process-wide cache; the throttle tests set their own low rates.
API_THROTTLE_RATES = {"user": None, "anon": None}

# Each test process writes the demo's warehouse file to its own directory.
WAREHOUSE_DEMO_PATH = os.path.join(tempfile.mkdtemp(prefix="demo_wh_"), "demo-warehouse.duckdb")

# Django logs every 4xx answer as a warning ("Forbidden: /api/v1/…"); the suite sends tens of
# thousands on purpose, each formatted, written and captured (about half a percent of its CPU).
# Server errors are still logged.
LOGGING = {**LOGGING, "loggers": {**LOGGING["loggers"], "django.request": {"level": "ERROR"}}}  # noqa: F405
