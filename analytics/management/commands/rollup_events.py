"""``python manage.py rollup_events`` — run the events roll-up now (beat runs it every minute).

Useful right after a deploy that reset the roll-up (migration ``analytics/0004``) or to see
what a run does; it prints the counts ``events_rollup_run`` returns.
"""

from django.core.management.base import BaseCommand

from analytics.ingest.rollup import events_rollup_run


class Command(BaseCommand):
    help = "Roll new raw events up into daily cohort observations."

    def handle(self, *args, **options):
        counts = events_rollup_run()
        self.stdout.write(
            f"Rolled up {counts['events']:,} event(s) into {counts['observations']:,} "
            f"observation row(s) of {counts['experiments']:,} experiment(s); "
            f"watermark at event {counts['watermark']:,}."
        )
