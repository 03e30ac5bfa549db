from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Results and roll-ups"

    def ready(self):
        from experiments.lifecycle import register_step_check

        from .srm import srm_confirmation_problems

        # The lifecycle cannot import this app; it runs the check through its registry.
        register_step_check("complete", srm_confirmation_problems)
