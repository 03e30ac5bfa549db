from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Results"

    def ready(self):
        from experiments.lifecycle import register_step_check

        from .srm import srm_confirmation_problems

        # The experiments app sits below analytics and cannot import it: the lifecycle runs the
        # SRM check through its registry.
        register_step_check("complete", srm_confirmation_problems)
