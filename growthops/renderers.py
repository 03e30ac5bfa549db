"""How the API writes its answers: JSON (encoded by orjson) and, with ``?format=csv``, a flat
CSV table for spreadsheets.

A whole list (up to ``API_CSV_MAX_ROWS`` rows) is streamed: ``csv_response`` writes the header,
then each batch of rows as it is read and presented, so an export never holds the whole list
in memory. ``CSVRenderer`` renders what fits in one answer (an experiment's latest results, a
refusal).
"""

import csv
import io
import json
import unicodedata
from collections.abc import Iterable, Iterator
from itertools import islice

import orjson
from django.http import StreamingHttpResponse
from rest_framework import renderers
from rest_framework.renderers import BaseRenderer
from rest_framework.utils.encoders import JSONEncoder

# Rows read, presented and written at a time by a streamed export.
CSV_BATCH = 500

# A cell starting with one of these is read by a spreadsheet as a formula ("=HYPERLINK(…)").
FORMULA_STARTS = frozenset("=+-@\t\r")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would run ``text`` as a formula. The full-width (＝ ＋ － ＠) and
    small (﹦ ﹢ ﹣ ﹫) forms count: spreadsheets with East Asian input read them as the ASCII
    ones, and NFKC folds each form onto its ASCII character."""
    first = text[:1]
    if not first.isascii():
        first = unicodedata.normalize("NFKC", first)[:1]  # "⩵" folds to "=="
    return first in FORMULA_STARTS


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON, written by orjson: the same text for what DRF writes, in a tenth of the time.

    Encoding was a fifth of a page of a hundred experiments (docs/api.md). What orjson does
    not write itself (dates and times, decimals, lazy translations…) goes to DRF's encoder, so
    it is written as before; an indented answer (``Accept: application/json; indent=4``) and
    anything orjson refuses (an integer beyond 64 bits) are left to DRF. One difference: a
    float that is not a number is written as ``null`` where DRF would fail the request.
    """

    _OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
    _drf_default = JSONEncoder().default

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is None:
            try:
                text = orjson.dumps(data, default=self._drf_default, option=self._OPTIONS)
            except orjson.JSONEncodeError:
                pass
            else:
                # As DRF does: these two are valid JSON but not valid JavaScript.
                if b"\xe2\x80\xa8" in text or b"\xe2\x80\xa9" in text:
                    text = text.replace(b"\xe2\x80\xa8", b"\\u2028")
                    text = text.replace(b"\xe2\x80\xa9", b"\\u2029")
                return text
        return super().render(data, accepted_media_type, renderer_context)


def _flat(row: dict, prefix: str = "", whole: frozenset[str] = frozenset()) -> dict:
    """Nested objects become ``parent.child`` columns; lists, and objects named in ``whole``
    (a column of their own), become one JSON cell."""
    flat = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and name not in whole:
            flat.update(_flat(value, f"{name}."))
        elif isinstance(value, list | dict):
            flat[name] = json.dumps(value, ensure_ascii=False, default=str)
        elif isinstance(value, str) and looks_like_formula(value):
            # A spreadsheet would run "=…" typed into a title as a formula.
            flat[name] = "'" + value
        else:
            flat[name] = value
    return flat


class CSVRenderer(BaseRenderer):
    """One row per item; the columns are the keys of the items, in order of appearance.

    An error (a dict with ``detail``) is rendered as a one-row table of its fields, so a
    spreadsheet still shows what went wrong.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if isinstance(data, dict):
            data = data.get("results", [data]) if "results" in data else [data]
        rows = [_flat(item) if isinstance(item, dict) else {"value": item} for item in data]
        columns = list(dict.fromkeys(key for row in rows for key in row))
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
        return out.getvalue().encode(self.charset)


class CSVExports:
    """A viewset mixin: the actions named in ``csv_exports`` answer ``GET ?format=csv`` with
    ``CSVRenderer``; their writes (the same route's ``POST``) answer JSON only, and the schema
    says so (drf-spectacular reads the renderers of each method)."""

    csv_exports: frozenset[str] = frozenset()

    def get_renderers(self):
        renderers = super().get_renderers()
        request = getattr(self, "request", None)
        method = getattr(request, "method", "GET")
        if getattr(self, "action", None) in self.csv_exports and method in ("GET", "HEAD"):
            renderers.append(CSVRenderer())
        return renderers


def in_batches(items: Iterable, size: int = CSV_BATCH) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class _Line:
    """A file for ``csv.writer`` that hands back what was written."""

    def write(self, text: str) -> str:
        return text


def csv_response(columns: list[str], batches: Iterable[list[dict]]) -> StreamingHttpResponse:
    """A CSV file streamed batch by batch: the header, then each batch's rows (flattened as
    ``CSVRenderer`` flattens them), read only when the client is ready for them."""

    # A field holding an object (a decision rule) is one of the columns: one JSON cell.
    whole = frozenset(columns)

    def lines() -> Iterator[bytes]:
        writer = csv.writer(_Line(), lineterminator="\r\n")
        yield writer.writerow(columns).encode(CSVRenderer.charset)
        for batch in batches:
            chunk = []
            for item in batch:
                flat = _flat(item, whole=whole)
                chunk.append(
                    writer.writerow(["" if (v := flat.get(c)) is None else v for c in columns])
                )
            yield "".join(chunk).encode(CSVRenderer.charset)

    return StreamingHttpResponse(lines(), content_type=f"text/csv; charset={CSVRenderer.charset}")
