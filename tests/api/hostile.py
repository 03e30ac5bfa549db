"""Hostile input for the API tests: text no database can store, JSON nested past Python's
reader, and a count of every table's rows to show that a refused request wrote nothing."""

import json

from django.db import connection
from rest_framework.test import APIClient

LONE_SURROGATE = "\ud800"
NUL = "a\x00b"
DEEP = 5_000
DEEPLY_NESTED = "[" * DEEP + "]" * DEEP


def json_text(body) -> str:
    """``body`` as JSON text; ``ensure_ascii`` writes a lone surrogate and a NUL as the
    escapes a client would send (DRF's test renderer cannot encode the surrogate at all)."""
    return json.dumps(body, ensure_ascii=True)


def send(client: APIClient, method: str, url: str, text, content_type="application/json"):
    return client.generic(method, url, text, content_type=content_type)


def table_counts() -> dict[str, int]:
    """Rows in every table of the database (Django's, the project's, the libraries'), read in
    one query."""
    tables = sorted(connection.introspection.table_names())
    quote = connection.ops.quote_name
    columns = ", ".join(f"(SELECT COUNT(*) FROM {quote(table)})" for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}")
        return dict(zip(tables, cursor.fetchone(), strict=True))
