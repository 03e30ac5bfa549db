"""``python manage.py dispatch_webhooks`` — make and send the deliveries of new events now.

Beat runs this every ``WEBHOOKS_DISPATCH_SECONDS``; without a broker (tasks in-process) the
deliveries are sent before the command returns.
"""

from django.core.management.base import BaseCommand

from webhooks.tasks import deliveries_dispatch


class Command(BaseCommand):
    help = "Turn new lifecycle steps, alerts and significant results into webhook deliveries."

    def handle(self, *args, **options):
        counts = deliveries_dispatch()
        self.stdout.write(f"Queued {counts['queued']:,} webhook delivery(ies).")
