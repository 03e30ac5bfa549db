from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Results and roll-ups"

    def ready(self):
        from experiments.lifecycle import register_step_check
        from experiments.ranking import register_calibration

        from .api import insights_stats  # noqa: F401  (describes the insights' data in the schema)
        from .insights.calibration import backlog_calibration
        from .srm import srm_confirmation_problems

        # The experiments app sits below analytics and cannot import it: the lifecycle runs the
        # SRM check through its registry, and the backlog's calibrated order reads the
        # calibration insight through the table handed over here.
        register_step_check("complete", srm_confirmation_problems)
        register_calibration(backlog_calibration)
