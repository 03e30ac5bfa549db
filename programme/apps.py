from django.apps import AppConfig


class ProgrammeConfig(AppConfig):
    name = "programme"
    verbose_name = "The programme"

    def ready(self):
        from experiments.ranking import register_calibration

        from .insights.calibration import backlog_calibration

        # The experiments app sits below the programme and cannot import it: the backlog's
        # calibrated order reads the calibration insight through the table handed over here.
        register_calibration(backlog_calibration)
