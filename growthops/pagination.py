"""How API lists page: ``?page`` and ``?page_size`` (at most 500); histories by cursor.

A CSV export (``?format=csv``) is the whole filtered list in one file, for spreadsheets, up to
``API_CSV_MAX_ROWS`` rows; a larger export asks for a narrower filter instead of running long.
"""

from django.conf import settings
from django.core.paginator import Page, Paginator
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination


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


class Pagination(PageNumberPagination):
    """``?page=N`` (from 1) and ``?page_size=K`` (default ``PAGE_SIZE``, at most 500).

    A page past the end is a 404 saying how many pages there are; a page size that is not a
    positive whole number falls back to the default, and one above 500 is 500.
    """

    django_paginator_class = _Paginator
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    invalid_page_message = "Page “{page_number}” does not exist: {message}"

    def paginate_queryset(self, queryset, request, view=None):
        if _is_csv(request):
            self.request = request
            _unpaged_export(queryset, request)
            return None
        return super().paginate_queryset(queryset, request, view)


class HistoryPagination(CursorPagination):
    """Pages of a long, growing history (``?cursor=``): stable while new rows arrive."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = ("look", "id")

    def paginate_queryset(self, queryset, request, view=None):
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
