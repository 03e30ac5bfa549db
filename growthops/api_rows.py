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

import threading

from rest_framework import fields as drf_fields
from rest_framework import relations, serializers

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
        fields = self._fields()
        presented = []
        for row in rows:
            item = {}
            for name, field in fields:
                value = row[name]
                item[name] = (
                    value if field is None or value is None else field.to_representation(value)
                )
            presented.append(item)
        return presented
