from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Results"

    def ready(self):
        from experiments.decisions import register_look_reader
        from experiments.hooks import register_change_listener
        from experiments.lifecycle import register_step_check
        from experiments.list_rows import register_result_columns
        from experiments.suggestions import register_design_suggestions

        from .analysis.alerts import alerts_after_change
        from .decisions import experiment_latest_looks
        from .list_columns import primary_result_columns
        from .srm import srm_confirmation_problems
        from .suggestions import recent_data_suggestions

        # The experiments app sits below analytics and cannot import it: the lifecycle runs the
        # SRM check through its registry, and reads the latest look (the decision rule's
        # verdict), the design page's recent data and the experiment list's sortable result
        # columns through the readers handed over here.
        register_step_check("complete", srm_confirmation_problems)
        register_look_reader(experiment_latest_looks)
        register_design_suggestions(recent_data_suggestions)
        register_result_columns(primary_result_columns)
        # A step or an acknowledgement that ends an alert's cause resolves it in its transaction.
        register_change_listener(alerts_after_change)
