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

import contextlib
import datetime
import threading

from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connection
from django.db.models import Lookup, Value
from django.db.models.query import FlatValuesListIterable
from django.utils import timezone
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
        self._converters = {}
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
        names = self.field_names
        return self.present_columns(names, [tuple(row[name] for name in names) for row in rows])

    def present_columns(self, columns: list[str], rows: list[tuple], supplied=None) -> list[dict]:
        """The serializer's ``data`` for rows read as tuples of ``columns``, column by column
        (each column converted in one pass, each item built in one step).

        ``supplied`` holds, under a field's name, its presented value for every row in order,
        for the fields the rows do not hold themselves (related names, lists, method fields).
        """
        supplied = supplied or {}
        read = dict(zip(columns, zip(*rows, strict=True), strict=False)) if rows else {}
        values = []
        for name, convert in self._cell_converters():
            if name in supplied:
                values.append(supplied[name])
            elif convert is None:
                values.append(read.get(name, ()))
            else:
                values.append(list(map(convert, read.get(name, ()))))
        names = self.field_names
        return [dict(zip(names, item, strict=True)) for item in zip(*values, strict=True)]

    def _cell_converters(self) -> list[tuple[str, object]]:
        # Per time zone: the date-times are presented in the one active when asked.
        zone = timezone.get_current_timezone()
        if zone not in self._converters:
            self._converters[zone] = [
                (name, None if field is None else _null_or(_converter(field)))
                for name, field in self._fields()
            ]
        return self._converters[zone]

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


def _null_or(convert):
    def convert_or_none(value):
        return None if value is None else convert(value)

    return convert_or_none


def _converter(field):
    """The field's ``to_representation``; for ISO 8601 dates and date-times, the same answer
    with the format and time zone looked up once per list instead of once per cell."""
    if isinstance(field, drf_fields.DateField) and not isinstance(field, drf_fields.DateTimeField):
        output_format = getattr(field, "format", api_settings.DATE_FORMAT)
        if isinstance(output_format, str) and output_format.lower() == ISO_8601:
            return _iso_date(field)
    if not isinstance(field, drf_fields.DateTimeField):
        return field.to_representation
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    if zone is None or not isinstance(output_format, str) or output_format.lower() != ISO_8601:
        return field.to_representation

    # Already in the zone: its own time zone object, or UTC as psycopg gives it when the API's
    # zone is UTC (converting would only cost time).
    same = {zone, datetime.UTC} if getattr(zone, "key", None) == "UTC" else {zone}

    def iso_8601(value):
        if value.__class__ is not datetime.datetime or value.tzinfo is None:
            return field.to_representation(value)  # naive, or not a datetime: DRF decides
        text = (value if value.tzinfo in same else value.astimezone(zone)).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return iso_8601


def _iso_date(field):
    def iso_date(value):
        if value.__class__ is not datetime.date:
            return field.to_representation(value)  # a string, or a datetime: DRF decides
        return value.isoformat()

    return iso_date


class InList(Lookup):
    """``filter(InList(F("experiment_id"), ids))``: the ids as one parameter (PostgreSQL
    ``= ANY(array)``, SQLite ``json_each``), where ``__in`` binds and checks one per id; for
    the related rows of a page, whose ids come from the database.

    On both, the parameter is text (``{1,2}``, ``[1,2]``): psycopg adapts a list of numbers
    element by element in Python, which cost a page of experiments more than its query.
    """

    lookup_name = "in_list"

    @staticmethod
    def parameter(connection, ids):
        text = ",".join(str(int(pk)) for pk in ids)
        return f"{{{text}}}" if connection.vendor == "postgresql" else f"[{text}]"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = self.rhs.value if isinstance(self.rhs, Value) else self.rhs
        if connection.vendor == "postgresql":
            sql = f"{lhs} = ANY(%s::bigint[])"
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
        names, rows = read_together((self, ids))[0]
        return [dict(zip(names, row, strict=True)) for row in rows]

    def _converted(self, rows) -> list[tuple]:
        sql, template, names, compiler, converters = self._compile()
        if converters:
            return [tuple(row) for row in compiler.apply_converters(rows, converters)]
        return rows

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


def read_together(*queries: tuple[CompiledOnce, list]) -> list[tuple[list[str], list[tuple]]]:
    """Run each ``(compiled, ids)`` and return each one's ``(column names, rows)``, all in one
    round trip on PostgreSQL (``run_together``)."""
    ids_parameters = {}
    statements = []
    for compiled, ids in queries:
        sql, template, *_ = compiled._compile()
        if not ids:
            statements.append(None)
            continue
        key = tuple(ids)
        if key not in ids_parameters:
            ids_parameters[key] = InList.parameter(connection, ids)
        statements.append((sql, [ids_parameters[key] if p is None else p for p in template]))
    return [
        (compiled._compile()[2], compiled._converted(rows) if rows else rows)
        for (compiled, _), rows in zip(queries, run_together(statements, prepare=True), strict=True)
    ]


def run_together(statements: list[tuple[str, list] | None], *, prepare=False) -> list[list[tuple]]:
    """Each ``(sql, params)``'s rows (``None``: no query, no rows). On PostgreSQL they are sent
    in one pipeline: one round trip to the server for all of them, where waiting for each query
    in turn had cost more than reading its rows. ``prepare``: statements whose text never
    changes (``CompiledOnce``), bound on the server so that psycopg prepares them (``_cursor``).
    """
    try:
        with _pipeline():
            cursors = []
            for statement in statements:
                if statement is None:
                    cursors.append(None)
                    continue
                cursor = _cursor() if prepare else connection.cursor()
                cursor.execute(*statement)
                cursors.append(cursor)
            fetched = []
            for cursor in cursors:
                if cursor is None:
                    fetched.append([])
                else:
                    with cursor:
                        fetched.append(cursor.fetchall())
        return fetched
    except Exception:  # the driver's own errors too: a pipeline's are raised as it closes
        if prepare:
            _forget_prepared_statements()
        raise


def _forget_prepared_statements() -> None:
    """After a failed pipeline outside a transaction, psycopg may count as prepared a statement
    that PostgreSQL skipped, and every later run of it would fail ("prepared statement … does
    not exist") for as long as the connection lives. ``DEALLOCATE ALL`` empties both sides.
    In a transaction there is nothing to do: its rollback empties psycopg's side."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")


def _pipeline():
    """psycopg's pipeline on PostgreSQL (queries sent together, results read together)."""
    if connection.vendor != "postgresql":
        return contextlib.nullcontext()
    connection.ensure_connection()
    return connection.connection.pipeline()


def _cursor():
    """Django's cursor; on PostgreSQL, one that binds parameters on the server and reads
    ``timestamptz`` with psycopg's own loader.

    Binding on the server lets psycopg prepare these statements once per connection
    (``prepare_threshold``, settings), after which PostgreSQL no longer parses and plans them
    on every page: planning took longer than running them. The ORM's own cursors bind on the
    client and are never prepared. psycopg's ``timestamptz`` loader is written in C, Django's
    in Python (a fifth of the time to read a page of experiments); both give the same instant
    in the connection's time zone, and the presenters convert to the API's time zone either way.
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor
    from psycopg.types.datetime import TimestamptzLoader

    connection.ensure_connection()
    cursor = ServerBindingCursor(connection.connection)
    cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
    # Wrapped as ``connection.cursor()`` wraps its own: counted, logged, checked.
    return connection._prepare_cursor(cursor)


class CountedRows:
    """``.values()`` rows to page, counted on the queryset they were read from.

    The joins that read related names (an owner's, a metric's key) cannot change how many rows
    there are, but PostgreSQL still joins every row of the list to count them: on 5,000
    experiments that made the count cost more than the whole page.

    ``read_page(bottom, top)`` counts and reads ``rows[bottom:top]`` together (one round trip
    on PostgreSQL); the paginator (``growthops.pagination``) asks for it before it counts and
    slices, and then gets both from here.
    """

    def __init__(self, rows, counted):
        self.rows = rows
        self.counted = counted
        self._count = None
        self._page = None  # (bottom, the rows from there)

    @property
    def ordered(self) -> bool:
        return self.rows.ordered

    def read_page(self, bottom: int, top: int) -> None:
        try:
            page_sql = self.rows[bottom:top].query.sql_with_params()
            inner_sql, inner_params = self.counted.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:  # a filter no row can match
            self._count, self._page = 0, (bottom, [])
            return
        count_sql = (f"SELECT COUNT(*) FROM ({inner_sql}) counted", inner_params)
        (counted,), page = run_together([count_sql, page_sql])
        flat = self.rows._iterable_class is FlatValuesListIterable
        self._count = counted[0]
        self._page = (bottom, [row[0] for row in page] if flat else page)

    def count(self) -> int:
        return self.counted.count() if self._count is None else self._count

    def __getitem__(self, index):
        # The page read with the count: a slice from its start (to its end or the list's).
        if self._page is not None and isinstance(index, slice) and index.start == self._page[0]:
            return self._page[1]
        return self.rows[index]

    def __iter__(self):
        return iter(self.rows)
