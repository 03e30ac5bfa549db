"""Reading and presenting the rows of API lists without model instances.

A list of a hundred experiments spent nearly all its time building model instances, one
queryset per prefetched relation per row, and walking DRF's field machinery for every cell
(bench/api_bench.py, docs/api.md). Here:

- ``RowPresenter`` presents rows read with ``.values()`` (or instances) exactly as a serializer
  presents instances. The serializer stays the one description of the shape (and of the
  schema); its fields are built once per process and only the cells whose database value is not
  already the answer are converted (dates, date-times, decimals). The caller
  supplies, under each field's name, what the field would present for related objects: the id,
  the key or the text; the presented list or object of a ``many`` field or nested serializer; a
  method field's answer.
- ``CompiledOnce`` runs a query over a list of ids (``InList``) that the ORM compiles once.
- ``CountedRows`` pages rows while counting the plain queryset.

``tests/api/test_api_rows.py`` checks the lists answer what their serializers answer.
"""

import datetime
import json
import threading

from django.db import connection
from django.db.models import Lookup, Value
from rest_framework import ISO_8601, relations, serializers
from rest_framework import fields as drf_fields
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
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


_PRESENTERS: dict = {}
_PRESENTERS_LOCK = threading.Lock()


class RowPresenter:
    """``present(rows)`` → the serializer's ``data`` for those ``.values()`` rows, and
    ``present_objects(instances)`` → the same for instances, as plain dicts."""

    def __init__(self, serializer_class):
        self.serializer_class = serializer_class
        self._readable_fields = None
        self._lock = threading.Lock()

    @classmethod
    def of(cls, serializer_class) -> "RowPresenter":
        """The one presenter of ``serializer_class`` (its fields are built once)."""
        with _PRESENTERS_LOCK:
            if serializer_class not in _PRESENTERS:
                _PRESENTERS[serializer_class] = cls(serializer_class)
            return _PRESENTERS[serializer_class]

    @property
    def field_names(self) -> list[str]:
        return [name for name, _ in self._fields()]

    def _readable(self) -> list:
        # Built once: a serializer builds its fields anew on every instance.
        if self._readable_fields is None:
            with self._lock:
                if self._readable_fields is None:
                    self._readable_fields = list(self.serializer_class()._readable_fields)
        return self._readable_fields

    def _fields(self) -> list[tuple[str, object]]:
        return [
            (field.field_name, None if isinstance(field, _AS_STORED) else field)
            for field in self._readable()
        ]

    def present(self, rows) -> list[dict]:
        fields = self._fields()
        names = [name for name, _ in fields]
        converters = [(name, _converter(field)) for name, field in fields if field is not None]
        presented = []
        for row in rows:
            item = {name: row[name] for name in names}
            for name, convert in converters:
                value = item[name]
                if value is not None:
                    item[name] = convert(value)
            presented.append(item)
        return presented

    def present_objects(self, objects) -> list[dict]:
        """The serializer's ``data`` for model instances: ``Serializer.to_representation``
        with the fields built once."""
        fields = self._readable()
        presented = []
        for instance in objects:
            item = {}
            for field in fields:
                try:
                    attribute = field.get_attribute(instance)
                except SkipField:
                    continue
                check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
                item[field.field_name] = (
                    None if check_for_none is None else field.to_representation(attribute)
                )
            presented.append(item)
        return presented


def _converter(field):
    """The field's ``to_representation``; for an ISO 8601 date-time field, the same answer
    with the time zone looked up once per list instead of once per cell."""
    if field is None:
        return None
    if not isinstance(field, drf_fields.DateTimeField):
        return field.to_representation
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    if zone is None or not isinstance(output_format, str) or output_format.lower() != ISO_8601:
        return field.to_representation

    def iso_8601(value):
        if value.__class__ is not datetime.datetime or value.tzinfo is None:
            return field.to_representation(value)  # naive, or not a datetime: DRF decides
        text = (value if value.tzinfo is zone else value.astimezone(zone)).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return iso_8601


class InList(Lookup):
    """``filter(InList(F("experiment_id"), ids))``: the ids as one parameter (PostgreSQL
    ``= ANY(array)``, SQLite ``json_each``), where ``__in`` binds and checks one per id; for
    the related rows of a page, whose ids come from the database."""

    lookup_name = "in_list"

    @staticmethod
    def parameter(connection, ids):
        ids = [int(pk) for pk in ids]
        return ids if connection.vendor == "postgresql" else json.dumps(ids)

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = self.rhs.value if isinstance(self.rhs, Value) else self.rhs
        if connection.vendor == "postgresql":
            sql = f"{lhs} = ANY(%s)"
        else:
            sql = f"{lhs} IN (SELECT value FROM json_each(%s))"
        return sql, (*lhs_params, self.parameter(connection, ids))


class CompiledOnce:
    """A ``.values()`` query over a list of ids (``InList``, once or more), compiled by the
    ORM once per process and then run with each page's ids.

    For a page of rows, compiling the queries cost the ORM more than the database took to
    answer them. The SQL of these depends only on the models, never on the request, so it is
    written once; the rows come back through the ORM's own converters, as ``.values()`` gives
    them.
    """

    SENTINEL = [-1]  # the ids it is compiled with, to find where each page's ids go

    def __init__(self, build):
        self.build = build  # ids → the ``.values()`` queryset
        self._compiled = {}

    def rows(self, ids) -> list[dict]:
        if not ids:
            return []
        sql, template, names, compiler, converters = self._compile()
        ids_parameter = InList.parameter(connection, ids)
        params = [ids_parameter if p is None else p for p in template]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            rows = compiler.apply_converters(rows, converters)
        return [dict(zip(names, row, strict=True)) for row in rows]

    def _compile(self):
        key = (connection.alias, connection.vendor)
        if key not in self._compiled:
            query = self.build(self.SENTINEL).query
            compiler = query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            sentinel = InList.parameter(connection, self.SENTINEL)
            template = [None if p == sentinel else p for p in params]
            if None not in template:
                raise ValueError(f"The query does not take the ids: {sql}")
            names = [*query.extra_select, *query.values_select, *query.annotation_select]
            columns = [select[0] for select in compiler.select[0 : compiler.col_count]]
            converters = compiler.get_converters(columns)
            self._compiled[key] = (sql, template, names, compiler, converters)
        return self._compiled[key]


class CountedRows:
    """``.values()`` rows to page, counted on the queryset they were read from.

    The joins that read related names (an owner's, a metric's key) cannot change how many rows
    there are, but PostgreSQL still joins every row of the list to count them: on 5,000
    experiments that made the count cost more than the whole page.
    """

    def __init__(self, rows, counted):
        self.rows = rows
        self.counted = counted

    @property
    def ordered(self) -> bool:
        return self.rows.ordered

    def count(self) -> int:
        return self.counted.count()

    def __getitem__(self, index):
        return self.rows[index]

    def __iter__(self):
        return iter(self.rows)
