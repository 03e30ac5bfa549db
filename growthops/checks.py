"""System checks that stop a misconfigured deployment before it answers 500s."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, register


@register()
def static_files_are_collected(app_configs=None, **kwargs):
    """With DEBUG off the manifest storage needs ``staticfiles.json``, or every page is a 500.

    Not tagged ``staticfiles``, so ``collectstatic`` (which runs only those) is not blocked.
    """
    backend = settings.STORAGES["staticfiles"]["BACKEND"]
    if settings.DEBUG or "Manifest" not in backend:
        return []
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.exists():
        return []
    return [
        Error(
            f"Static files are not collected: {manifest} is missing, so with DEBUG off every "
            "page would fail.",
            hint="Run `python manage.py collectstatic --noinput` before starting the app "
            "(the Docker image does this when it is built).",
            id="growthops.E001",
        )
    ]


@register()
def proxy_count_is_a_count(app_configs=None, **kwargs):
    """``DJANGO_NUM_PROXIES`` below 0 would read the client's address from the wrong entry."""
    if settings.NUM_PROXIES >= 0:
        return []
    return [
        Error(
            f"DJANGO_NUM_PROXIES is {settings.NUM_PROXIES}; it counts proxies, so 0 or more.",
            hint="0 when clients connect to the app directly; 1 behind one reverse proxy.",
            id="growthops.E002",
        )
    ]
