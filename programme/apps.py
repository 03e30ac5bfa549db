from django.apps import AppConfig


class ProgrammeConfig(AppConfig):
    name = "programme"
    verbose_name = "The programme"

    def ready(self):
        from experiments.changes import register_change_listener
        from experiments.ranking import register_calibration
        from experiments.suggestions import register_design_suggestions

        from .freshness import programme_changed
        from .insights.calibration import backlog_calibration
        from .portfolio.suggestions import realistic_mde_suggestions

        # The experiments app sits below the programme and cannot import it: the backlog's
        # calibrated order reads the calibration insight through the table handed over here.
        register_calibration(backlog_calibration)
        # Likewise the design page's realistic MDE, from the segment's past shrunk lifts.
        register_design_suggestions(realistic_mde_suggestions)
        # Steps, new results and acknowledgements reach the programme's roll-ups the same way.
        register_change_listener(programme_changed)
