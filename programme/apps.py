from django.apps import AppConfig


class ProgrammeConfig(AppConfig):
    name = "programme"
    verbose_name = "The programme"

    def ready(self):
        from experiments.decisions import register_false_win_level
        from experiments.hooks import (
            register_after_step,
            register_after_triage,
            register_change_listener,
        )
        from experiments.ranking import register_calibration
        from experiments.suggestions import register_design_suggestions

        from .feedback import after_decision, after_step
        from .freshness import programme_changed
        from .insights.calibration import backlog_calibration
        from .insights.false_wins import false_win_level_of
        from .models.postmortems import POSTMORTEM_STEPS
        from .notices import notify_author_of_triage
        from .portfolio.suggestions import realistic_mde_suggestions

        # The experiments app sits below the programme and cannot import it: the backlog's
        # calibrated order reads the calibration insight through the table handed over here.
        register_calibration(backlog_calibration)
        # Likewise the design page's realistic MDE, from the segment's past shrunk lifts.
        register_design_suggestions(realistic_mde_suggestions)
        # Every conclude and kill opens a post-mortem in the step's own transaction, and the
        # idea's author hears of each step that decides its fate (docs/postmortems.md).
        for step in ("approve", "start"):
            register_after_step(step, after_step)
        for step in POSTMORTEM_STEPS:
            register_after_step(step, after_decision)
        register_after_triage(notify_author_of_triage)
        # And the false-win level a decision rule may hold a win to (docs/decisions.md).
        register_false_win_level(false_win_level_of)
        # Steps, new results and acknowledgements reach the programme's roll-ups the same way.
        register_change_listener(programme_changed)
