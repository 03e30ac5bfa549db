from django.conf import settings
from django.core.management.base import BaseCommand

from analytics.analysis.alerts import raise_overdue_alerts
from analytics.demo import seed_decision_history, seed_observations, seed_programme_history
from analytics.portfolio.rollup import portfolio_rollup_run
from experiments.demo import DEMO_USERS, finish_demo_decisions, seed_demo, seed_large
from roles.demo import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Load the demo organisation into an empty database (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--large", action="store_true", help="Also add 5,000 experiments for benchmarks."
        )

    def handle(self, *args, large=False, **options):
        write = self.stdout.write
        if seed_demo(out=write):
            seed_observations(out=write)
            finish_demo_decisions()
            seed_programme_history(out=write)
            seed_decision_history(out=write)
            raise_overdue_alerts()
            rollup = portfolio_rollup_run()
            write(f"Rolled up the portfolio: {rollup['rows']} slices.")
        else:
            write("Demo data already present; nothing added.")
        if large:
            seed_large(out=write)
        if settings.DEBUG:
            logins = ", ".join(username for username, *_ in DEMO_USERS)
            write(self.style.SUCCESS(f"Demo logins: {logins} — password “{DEMO_PASSWORD}”."))
        else:
            write(
                "DEBUG is off: the demo password is refused. Set real passwords with `manage.py changepassword`."
            )
