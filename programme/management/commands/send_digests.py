"""``manage.py send_digests``: send the digests due now; ``--dry-run`` prints them instead."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from programme.digests.build import digest_build
from programme.digests.delivery import digests_send_due
from programme.digests.period import period_for
from programme.digests.preferences import preference_of
from programme.digests.render import digest_text
from programme.models import DigestFrequency


class Command(BaseCommand):
    help = "Send the role digests that are due; with --dry-run, print them and send nothing."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Print the text form; send and record nothing."
        )
        parser.add_argument("--user", help="Only this username (with --dry-run).")

    def handle(self, *args, dry_run=False, user=None, **options):
        if not dry_run:
            if user:
                raise CommandError("--user goes with --dry-run: sending follows the schedule.")
            counts = digests_send_due()
            self.stdout.write(", ".join(f"{name}: {n}" for name, n in counts.items()))
            return
        users = get_user_model().objects.exclude(role="").order_by("username")
        if user:
            users = users.filter(username=user)
            if not users:
                raise CommandError(f"No user {user!r} with a role.")
        now = timezone.now()
        for person in users:
            self._print(person, now)

    def _print(self, person, now):
        preference = preference_of(user=person)
        frequency = preference.frequency
        if frequency == DigestFrequency.OFF:
            self.stdout.write(f"== {person.username}: digests are off\n")
            return
        digest = digest_build(user=person, period=period_for(frequency, now))
        if digest.is_empty:
            self.stdout.write(f"== {person.username}: nothing to say, nothing would be sent\n")
            return
        self.stdout.write(f"== {person.username} <{person.email or 'no e-mail'}>")
        self.stdout.write(digest_text(digest))
