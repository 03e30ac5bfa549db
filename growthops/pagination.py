"""How API lists page: ``?page`` and ``?page_size`` (at most 500); histories by cursor.

Parameters are strict: a page that is not a whole number from 1, a page size that is not a
whole number from 1 to 500, and any parameter the list does not read are a 400 naming the
parameter (``growthops.query_params``); a page past the end is a 404 saying how many pages
there are.

A CSV export (``?format=csv``) is the whole filtered list in one file, for spreadsheets, up to
``API_CSV_MAX_ROWS`` rows; a larger export asks for a narrower filter instead of running long.
"""

from django.conf import settings
from django.core.paginator import Page, Paginator
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination

from .query_params import refuse_unknown_parameters


def _is_csv(request) -> bool:
    renderer = getattr(request, "accepted_renderer", None)
    return getattr(renderer, "format", None) == "csv"


def _unpaged_export(queryset, request) -> None:
    """Refuse an export too large for one file (None: export the whole list)."""
    count = queryset.count() if hasattr(queryset, "count") else len(queryset)
    if count > settings.API_CSV_MAX_ROWS:
        raise ValidationError(
            {
                "format": f"The export has {count:,} rows, more than {settings.API_CSV_MAX_ROWS:,}; "
                "filter the list to fewer rows or page through it as JSON."
            }
        )


MAX_PAGE_SIZE = 500


def _whole_number(request, name: str, *, most: int | None = None) -> int | None:
    """``?name=`` checked as a whole number from 1 (to ``most``, and then returned); a 400
    naming it when it is not one."""
    value = request.query_params.get(name)
    if value is None:
        return None
    text = value.strip()
    digits = text.lstrip("0")
    whole = text.isascii() and text.isdecimal() and digits != ""
    if not whole or (most is not None and (len(digits) > len(str(most)) or int(digits) > most)):
        bounds = f"from 1 to {most}" if most is not None else "from 1"
        raise ValidationError({name: f"“{value}” is not a whole number {bounds}."})
    return int(digits) if most is not None else None  # a page number: the paginator reads it


class StrictPageSize:
    """``page_size`` as a whole number from 1 to ``max_page_size``, else a 400 naming it; and
    every parameter the list does not read refused (``growthops.query_params``)."""

    def get_page_size(self, request):
        size = _whole_number(request, self.page_size_query_param, most=self.max_page_size)
        return self.page_size if size is None else size

    def get_schema_operation_parameters(self, view):
        # The schema states the ranges this class enforces.
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
            elif parameter["name"] == getattr(self, "page_query_param", None):
                parameter["schema"].update(minimum=1)
        return parameters

    def check_parameters(self, request, view) -> None:
        refuse_unknown_parameters(request, view, self)
        self.get_page_size(request)


BIGGEST_OFFSET = 2**62  # what a database can take as an OFFSET, with room for a page


class _Page(Page):
    def __iter__(self):
        # A Sequence iterates by asking for each item in turn, converting the list each time.
        if not isinstance(self.object_list, list):
            self.object_list = list(self.object_list)
        return iter(self.object_list)


class _Paginator(Paginator):
    def page(self, number):
        # Rows that can count themselves and read a page together (growthops.api_rows.
        # CountedRows) do so first: one round trip instead of two.
        read_page = getattr(self.object_list, "read_page", None)
        if read_page is not None:
            try:
                bottom = (int(number) - 1) * self.per_page
            except (TypeError, ValueError):
                bottom = -1  # Paginator refuses it below
            if 0 <= bottom < BIGGEST_OFFSET:  # past it, Paginator says how many pages there are
                read_page(bottom, bottom + self.per_page)
        return super().page(number)

    def _get_page(self, *args, **kwargs):
        return _Page(*args, **kwargs)


class Pagination(StrictPageSize, PageNumberPagination):
    """``?page=N`` (from 1, or ``last``) and ``?page_size=K`` (default ``PAGE_SIZE``, 1 to 500).

    A page past the end is a 404 saying how many pages there are; a page or a page size that
    is not a whole number in its range is a 400 naming it.
    """

    django_paginator_class = _Paginator
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    invalid_page_message = "Page “{page_number}” does not exist: {message}"

    def paginate_queryset(self, queryset, request, view=None):
        self.check_parameters(request, view)
        if request.query_params.get(self.page_query_param) not in self.last_page_strings:
            _whole_number(request, self.page_query_param)
        if _is_csv(request):
            self.request = request
            _unpaged_export(queryset, request)
            return None
        return super().paginate_queryset(queryset, request, view)


class HistoryPagination(StrictPageSize, CursorPagination):
    """Pages of a long, growing history (``?cursor=``): stable while new rows arrive."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = ("look", "id")

    def paginate_queryset(self, queryset, request, view=None):
        self.check_parameters(request, view)
        if _is_csv(request):
            _unpaged_export(queryset, request)
            return None
        return super().paginate_queryset(queryset, request, view)


class EventPagination(HistoryPagination):
    """Raw events by id: the order they arrived in, which new events only extend."""

    ordering = ("id",)

    def decode_cursor(self, request):
        # A cursor is opaque but not signed: a position that is no id is an invalid cursor
        # (404), not a database error.
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            position = cursor.position
            if not (position.isascii() and position.isdecimal() and int(position) < 2**63):
                raise NotFound(self.invalid_cursor_message)
        return cursor
