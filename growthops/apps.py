from django.apps import AppConfig


class GrowthOpsConfig(AppConfig):
    name = "growthops"
    verbose_name = "GrowthOps"

    def ready(self):
        # Imported for what they register: the system checks, ``__in`` for integer columns.
        from . import checks, lookups  # noqa: F401
