from django.conf import settings
from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from demo.bench import seed_large
from demo.organisation import DEMO_USERS
from demo.seed import seed_demo
from demo.templates import seed_templates
from programme.insights.run import insights_run
from roles.backends import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Load the demo organisation into an empty database (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--large", action="store_true", help="Also add 5,000 experiments for benchmarks."
        )

    # The alerts the demo's history raises are for reading in the app, not for a mailbox.
    @override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend")
    def handle(self, *args, large=False, **options):
        write = self.stdout.write
        added = seed_demo(out=write)
        # The templates the demo team designs from (added where missing, even to an older demo).
        seed_templates(out=write)
        if not added:
            write("Demo data already present; nothing added.")
        if large:
            added = seed_large(out=write) or added
        if added:
            # The insight pages read stored reports: the demo's are there from the start.
            write(f"Computed {len(insights_run())} programme insights.")
        if settings.DEBUG:
            logins = ", ".join(username for username, *_ in DEMO_USERS)
            write(self.style.SUCCESS(f"Demo logins: {logins} — password “{DEMO_PASSWORD}”."))
        else:
            write(
                "DEBUG is off: the demo password is refused. Set real passwords with `manage.py changepassword`."
            )
