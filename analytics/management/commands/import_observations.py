import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from analytics.ingest.observations import observations_ingest, parse_csv
from experiments.models import Experiment
from growthops.errors import DomainError, ValidationFailed
from roles.models import Role, User


class Command(BaseCommand):
    help = "Import daily observations for one experiment from a CSV file (all rows or none)."

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="CSV with header date,variant,metric,users,conversions,sum,sum_squares"
        )
        parser.add_argument("--experiment", type=int, required=True, help="Experiment id")
        parser.add_argument(
            "--as-user",
            default=None,
            help="Username to record as uploader (default: the first active analyst)",
        )

    def handle(self, *args, file, experiment, as_user, **options):
        try:
            text = Path(file).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        if not Experiment.objects.filter(pk=experiment).exists():
            raise CommandError(f"There is no experiment {experiment}.")
        actor = self._actor(as_user)
        try:
            written = observations_ingest(
                experiment_id=experiment, actor=actor, rows=parse_csv(text)
            )
        except ValidationFailed as exc:
            self.stderr.write(exc.message)
            self.stderr.write(json.dumps(exc.errors, indent=2, ensure_ascii=False))
            raise CommandError("Nothing was imported.") from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Imported {written} observation rows; analysis queued.")
        )

    def _actor(self, username):
        users = User.objects.filter(is_active=True)
        user = (
            users.filter(username=username).first()
            if username
            else users.filter(role=Role.ANALYST).order_by("pk").first()
        )
        if user is None:
            raise CommandError(
                f"No active user “{username}”."
                if username
                else "No active analyst; pass --as-user."
            )
        return user
