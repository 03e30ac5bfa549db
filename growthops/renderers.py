"""``?format=csv``: a list as a flat CSV table, for spreadsheets."""

import csv
import io
import json

from rest_framework.renderers import BaseRenderer

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _flat(row: dict, prefix: str = "") -> dict:
    """Nested objects become ``parent.child`` columns; lists become one JSON cell."""
    flat = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flat(value, f"{name}."))
        elif isinstance(value, list):
            flat[name] = json.dumps(value, ensure_ascii=False, default=str)
        elif isinstance(value, str) and value.startswith(FORMULA_STARTS):
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
