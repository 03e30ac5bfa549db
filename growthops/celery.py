"""The Celery app. Configuration lives in settings under the ``CELERY_`` namespace."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "growthops.settings")

app = Celery("growthops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
