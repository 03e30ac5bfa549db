from django.apps import AppConfig


class RolesConfig(AppConfig):
    name = "roles"
    verbose_name = "People, roles and teams"

    def ready(self):
        from . import schema  # noqa: F401  (registers the schema's Bearer scheme)
