"""Present rows read with ``.values()`` exactly as a serializer presents model instances.

A list of a hundred experiments spent nearly all its time building model instances, one
queryset per prefetched relation per row, and walking DRF's field machinery for every cell
(bench/api_bench.py). ``RowPresenter`` keeps the serializer as the one description of the shape
(and of the schema) but builds its fields once per process and converts only the cells whose
database value is not already what the serializer would answer: dates, times and decimals.

The caller reads the rows and supplies, under each field's name, the value the field would
present for related objects: the id for a primary-key field, the key for a slug field, the
text for a string field, the presented list or object of a ``many`` field or nested
serializer, a method field's answer.
``tests/api/test_api_rows.py`` checks the two paths answer the same on every row.
"""

import datetime
import json
import threading

from django.db.models import Lookup, Value
from django.utils import timezone
from rest_framework import ISO_8601, relations, serializers
from rest_framework import fields as drf_fields
from rest_framework.settings import api_settings

# Fields whose representation of a database value of their own type is the value itself.
_AS_STORED = (
    drf_fields.BooleanField,
    drf_fields.CharField,  # with SlugField, EmailField…
    drf_fields.ChoiceField,
    drf_fields.FloatField,
    drf_fields.IntegerField,
    drf_fields.JSONField,
    drf_fields.ReadOnlyField,
    # The caller supplies what these present: an id, key or text; a list; a method's answer.
    relations.RelatedField,
    relations.ManyRelatedField,
    serializers.BaseSerializer,
    drf_fields.SerializerMethodField,
)


class RowPresenter:
    """``present(rows)`` → the serializer's ``data`` for those rows, as plain dicts."""

    def __init__(self, serializer_class):
        self.serializer_class = serializer_class
        self._converters = None
        self._lock = threading.Lock()

    @property
    def field_names(self) -> list[str]:
        return [name for name, _ in self._fields()]

    def _fields(self) -> list[tuple[str, object]]:
        # Built once: a serializer builds its fields anew on every instance.
        if self._converters is None:
            with self._lock:
                if self._converters is None:
                    readable = self.serializer_class()._readable_fields
                    self._converters = [
                        (field.field_name, None if isinstance(field, _AS_STORED) else field)
                        for field in readable
                    ]
        return self._converters

    def present(self, rows) -> list[dict]:
        converters = [(name, _converter(field)) for name, field in self._fields()]
        presented = []
        for row in rows:
            item = {}
            for name, convert in converters:
                value = row[name]
                item[name] = value if convert is None or value is None else convert(value)
            presented.append(item)
        return presented


def _converter(field):
    """The field's ``to_representation``; for an ISO 8601 date-time field, the same answer
    with the time zone looked up once per list instead of once per cell."""
    if not isinstance(field, drf_fields.DateTimeField):
        return None if field is None else field.to_representation
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    if zone is None or not isinstance(output_format, str) or output_format.lower() != ISO_8601:
        return field.to_representation

    def iso_8601(value):
        if not isinstance(value, datetime.datetime) or timezone.is_naive(value):
            return field.to_representation(value)
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return iso_8601


class InList(Lookup):
    """``filter(InList(F("experiment_id"), ids))``: the ids as one parameter (PostgreSQL
    ``= ANY(array)``, SQLite ``json_each``), where ``__in`` binds and checks one per id; for
    the related rows of a page, whose ids come from the database."""

    lookup_name = "in_list"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = [int(pk) for pk in (self.rhs.value if isinstance(self.rhs, Value) else self.rhs)]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", (*lhs_params, ids)
        return f"{lhs} IN (SELECT value FROM json_each(%s))", (*lhs_params, json.dumps(ids))
