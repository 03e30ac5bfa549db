"""``python manage.py analyse FILE`` — the JSON contract of analytics.stats on the command line.

Reads one request (``-`` for stdin), prints the response JSON on stdout. Bad input prints
``{"errors": {field: message}}`` and exits with status 2; nothing ends in a traceback.
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from analytics.stats import AnalysisInputError, analyse

EXIT_BAD_INPUT = 2


class Command(BaseCommand):
    help = "Analyse one experiment metric from a JSON request (FILE, or - for stdin)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to the JSON request, or - to read stdin")

    def handle(self, *args, **options):
        try:
            request = json.loads(self._read(options["file"]))
            response = analyse(request)
        except AnalysisInputError as exc:
            self._fail(exc.errors)
        except json.JSONDecodeError as exc:
            self._fail({"request": f"invalid JSON: {exc}"})
        except (OSError, UnicodeDecodeError) as exc:
            self._fail({"file": f"cannot read {options['file']}: {exc}"})
        except RecursionError:
            self._fail({"request": "is nested too deeply"})
        except Exception as exc:  # a bug, not bad input: still no traceback, but not 2 either
            self.stdout.write(
                json.dumps({"errors": {"request": f"could not be analysed: {exc!r}"}})
            )
            raise CommandError(f"internal error: {exc!r}", returncode=1) from exc
        self.stdout.write(json.dumps(response, allow_nan=False))

    def _read(self, path: str) -> str:
        if path == "-":
            return sys.stdin.read()
        with open(path, encoding="utf-8") as handle:
            return handle.read()

    def _fail(self, errors: dict[str, str]):
        self.stdout.write(json.dumps({"errors": errors}))
        # CommandError: manage.py prints one line on stderr and exits 2, no traceback.
        raise CommandError("invalid analysis request", returncode=EXIT_BAD_INPUT)
