from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Results and roll-ups"

    def ready(self):
        # The backlog's calibrated order reads the calibration insight; experiments sits below
        # analytics, so analytics hands the table over rather than being imported.
        from experiments.ranking import register_calibration

        from .api import insights_stats  # noqa: F401  (describes the insights' data in the schema)
        from .insights.calibration import backlog_calibration

        register_calibration(backlog_calibration)
