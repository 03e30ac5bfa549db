"""List filters shared by every app: django-filter's fields, and ordering and search that refuse
what they cannot use.

Every FilterSet of the API derives from :class:`FilterSet` here (the backend builds those of
``filterset_fields`` from it too), so a yes/no filter is :class:`BooleanFilter`: a value it
cannot read is a 400 naming the field, where django-filter's own ignores it and filters nothing.
"""

import datetime

import django_filters
from django import forms
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import fields, filters
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.filters import OrderingFilter

from .query_params import note_filtered

# The longest search text, in characters, on the API's lists (``?search=``) and the pages'
# search boxes. SQLite refuses a LIKE pattern over 50,000 bytes; no title here is over 200.
MAX_SEARCH_LENGTH = 200


class SearchFilter(filters.SearchFilter):
    """DRF's ``?search=``, its refusals (a NUL, more than ``MAX_SEARCH_LENGTH`` characters)
    a 400 naming ``search``."""

    def get_search_terms(self, request):
        value = request.query_params.get(self.search_param, "")
        field = fields.CharField(
            trim_whitespace=False, allow_blank=True, max_length=MAX_SEARCH_LENGTH
        )
        try:
            cleaned = field.run_validation(value)
        except ValidationError as exc:
            raise ValidationError({self.search_param: exc.detail}) from None
        return filters.search_smart_split(cleaned)


class StrictOrderingFilter(OrderingFilter):
    """``?ordering=a,-b``; a field it cannot order by is a 400 naming it (DRF ignores it)."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            valid = {
                name for name, _ in self.get_valid_fields(queryset, view, {"request": request})
            }
            asked = [term.strip() for term in params.split(",") if term.strip()]
            unknown = [term for term in asked if term.lstrip("-") not in valid]
            if unknown:
                raise ValidationError(
                    {
                        self.ordering_param: f"Cannot order by {', '.join(unknown)}; "
                        f"choose from {', '.join(sorted(valid))}."
                    }
                )
        ordering = super().get_ordering(request, queryset, view)
        # Ties broken by the primary key: rows that sort alike (two objectives of one name)
        # otherwise came in a different order from one page to the next, some twice, some never.
        if ordering and not {"pk", "-pk", "id", "-id"} & set(ordering):
            ordering = [*ordering, "pk"]
        return ordering


class StrictBooleanField(forms.Field):
    """true / false (or 1 / 0, any case); nothing at all is no filter; anything else is refused."""

    VALUES = {"true": True, "1": True, "false": False, "0": False}
    default_error_messages = {"invalid": "Use true or false (or 1 or 0)."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return self.VALUES[str(value).strip().lower()]
        except KeyError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class BooleanFilter(django_filters.BooleanFilter):
    """A yes/no filter that answers 400 to ``?active=maybe`` instead of ignoring it."""

    field_class = StrictBooleanField


class FilterSet(django_filters.rest_framework.FilterSet):
    """The base of every API FilterSet: model booleans get the strict :class:`BooleanFilter`."""

    FILTER_DEFAULTS = {
        **django_filters.rest_framework.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": BooleanFilter},
    }


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend (``DEFAULT_FILTER_BACKENDS``), which builds and validates the
    filter form on every request. A request whose parameters are only the page, the format,
    search and ordering (read by the other backends) names no filter, so the list is the
    queryset as it is and the form is not built."""

    NOT_FILTERS = frozenset({"page", "page_size", "cursor", "format", "search", "ordering"})
    # The FilterSet built for a view's ``filterset_fields``.
    filterset_base = FilterSet

    def filter_queryset(self, request, queryset, view):
        if self.NOT_FILTERS.issuperset(request.query_params):
            return queryset
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise refusal(filterset, request.query_params)
        return filterset.qs


# A list's backends: django-filter's fields, ``?search=`` and ``?ordering=``. A view using them
# names its ``search_fields``, its ``ordering_fields`` and a default ``ordering``.
LIST_FILTERS = [FilterBackend, SearchFilter, StrictOrderingFilter]


class InstantRangeFilter(django_filters.IsoDateTimeFromToRangeFilter):
    """``<name>_after`` / ``<name>_before``: ISO 8601 date-times, inclusive, compared as the
    instants they name. Each is turned to UTC first: PostgreSQL refuses an offset beyond
    ±15:59 (``+23:50`` parses in Python), and a bound that has no UTC date is a 400."""

    def filter(self, queryset, value):
        if value:
            try:
                value = slice(_in_utc(value.start), _in_utc(value.stop))
            except OverflowError:
                raise ValidationError(
                    {self.field_name: "A date and time out of range; use years 1 to 9999."}
                ) from None
        return super().filter(queryset, value)


def _in_utc(moment):
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(datetime.UTC)


def filtered(filterset_class, request, queryset):
    """``queryset`` through ``filterset_class`` with the request's parameters, for a list that is
    an action on one object (its view's queryset is of the parent, so the backend cannot).
    A value a filter cannot read is a 400 naming the field, as on the lists."""
    note_filtered(request, filterset_class)  # the parameters this list reads
    filterset = filterset_class(request.query_params, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise refusal(filterset, request.query_params)
    return filterset.qs


def refusal(filterset, query_params) -> ValidationError:
    """The filter form's errors, each named by the parameter the caller sent: a range's bound
    (``created_at_after``) rather than the filter (``created_at``); each message keeps its
    code."""
    errors: dict[str, list[ErrorDetail]] = {}
    for name, problems in filterset.form.errors.as_data().items():
        spec = filterset.filters.get(name)
        suffixes = getattr(spec.field_class.widget, "suffixes", None) if spec else None
        names = [f"{name}_{suffix}" if suffix else name for suffix in suffixes or ()]
        sent = [n for n in names if n in query_params] or [name]
        details = [
            ErrorDetail(message, problem.code)
            for problem in problems
            for message in problem.messages
        ]
        for parameter in sent:
            errors[parameter] = details
    return ValidationError(errors)


__all__ = [
    "LIST_FILTERS",
    "MAX_SEARCH_LENGTH",
    "BooleanFilter",
    "FilterBackend",
    "FilterSet",
    "InstantRangeFilter",
    "SearchFilter",
    "StrictOrderingFilter",
    "filtered",
]
