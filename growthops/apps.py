from django.apps import AppConfig


class GrowthOpsConfig(AppConfig):
    name = "growthops"
    verbose_name = "GrowthOps"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
