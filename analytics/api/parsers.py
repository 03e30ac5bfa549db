"""Request bodies of the analytics API: JSON rows (the API's own parser), CSV text, and event
batches.

A body that cannot be read is a 400 naming why, never a 500.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from growthops.parsers import JSONParser

from ..ingest.events import events_parse

__all__ = ["CSVTextParser", "EventsJSONParser", "EventsNDJSONParser", "JSONParser"]


class CSVTextParser(parsers.BaseParser):
    """``text/csv`` as text; ``analytics.ingest.observations.parse_csv`` reads the rows."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        charset = (parser_context or {}).get("encoding") or "utf-8"
        try:
            return stream.read().decode(charset)
        except UnicodeDecodeError as exc:
            raise ParseError(f"The CSV is not valid {charset} text.") from exc


class EventsJSONParser(parsers.BaseParser):
    """A JSON array of events, read by ``analytics.ingest.events.events_parse`` in one go.

    Its refusals keep the events' shape (``detail`` and ``errors`` by line).
    """

    media_type = "application/json"
    ndjson = False

    def parse(self, stream, media_type=None, parser_context=None):
        return events_parse(stream.read() if stream is not None else b"", ndjson=self.ndjson)


class EventsNDJSONParser(EventsJSONParser):
    """One event a line."""

    media_type = "application/x-ndjson"
    ndjson = True
