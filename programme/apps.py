from django.apps import AppConfig


class ProgrammeConfig(AppConfig):
    name = "programme"
    verbose_name = "The programme"

    def ready(self):
        from experiments.decisions import register_false_win_level
        from experiments.ranking import register_calibration
        from experiments.suggestions import register_design_suggestions

        from .insights.calibration import backlog_calibration
        from .insights.false_wins import false_win_level_of
        from .portfolio.suggestions import realistic_mde_suggestions

        # The experiments app sits below the programme and cannot import it: the backlog's
        # calibrated order reads the calibration insight through the table handed over here.
        register_calibration(backlog_calibration)
        # Likewise the design page's realistic MDE, from the segment's past shrunk lifts.
        register_design_suggestions(realistic_mde_suggestions)
        # And the false-win level a decision rule may hold a win to (docs/decisions.md).
        register_false_win_level(false_win_level_of)
