"""Strict query parameters on the API's lists: a parameter a list does not read is a 400
naming it, where it used to be ignored (a misspelt filter silently answered everything).

Every paged list reaches :func:`refuse_unknown_parameters` through its pagination class
(``growthops.pagination``), so the rule lives in one place. A list knows:

- its pagination's parameters (``page`` and ``page_size``, or ``cursor`` and ``page_size``)
  and ``format``;
- on its ``list`` route, what its filter backends read: the FilterSet's fields (a range
  filter as its two bounds, ``created_at_after`` / ``created_at_before``), ``search`` when
  it has ``search_fields``, ``ordering`` when it orders;
- the filters an action applies itself (``growthops.filters.filtered`` notes them on the
  request);
- what the view names in ``query_parameters`` (action → names), for parameters it reads
  itself (``history``, ``metric`` …).

A parameter's value is strict too: :func:`date_parameter` and :func:`date_window_parameters`
read dates (``?from=&to=``), each bad value a 400 naming its parameter.
"""

import datetime as dt
from functools import lru_cache

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.settings import api_settings

# Set on a request by ``growthops.filters.filtered``: the parameters of the filters it applied.
FILTERED = "_filtered_parameters"


@lru_cache(maxsize=256)  # a list's FilterSet is one class; those of filterset_fields are new
def filter_parameter_names(filterset_class) -> frozenset[str]:
    """The query parameters a FilterSet reads: a range filter's two bounds, each other filter
    by its name."""
    names = set()
    for name, spec in filterset_class.base_filters.items():
        suffixes = getattr(spec.field_class.widget, "suffixes", None)
        if suffixes:
            names.update(f"{name}_{suffix}" if suffix else name for suffix in suffixes)
        else:
            names.add(name)
    return frozenset(names)


def note_filtered(request, filterset_class) -> None:
    known = getattr(request, FILTERED, set())
    setattr(request, FILTERED, known | filter_parameter_names(filterset_class))


def _backend_parameters(view) -> set[str]:
    names = set()
    for backend in getattr(view, "filter_backends", api_settings.DEFAULT_FILTER_BACKENDS):
        if issubclass(backend, DjangoFilterBackend):
            filterset_class = getattr(view, "filterset_class", None)
            if filterset_class is None and getattr(view, "filterset_fields", None):
                filterset_class = backend().get_filterset_class(view, view.get_queryset())
            if filterset_class is not None:
                names |= filter_parameter_names(filterset_class)
        elif issubclass(backend, SearchFilter) and getattr(view, "search_fields", None):
            names.add(backend.search_param)
        elif issubclass(backend, OrderingFilter):
            names.add(backend.ordering_param)
    return names


def known_parameters(request, view, paginator) -> set[str]:
    action = getattr(view, "action", None)
    names = {
        name
        for name in (
            api_settings.URL_FORMAT_OVERRIDE,
            getattr(paginator, "page_query_param", None),
            getattr(paginator, "cursor_query_param", None),
            getattr(paginator, "page_size_query_param", None),
        )
        if name
    }
    if action in (None, "list"):
        names |= _backend_parameters(view)
    names |= getattr(request, FILTERED, set())
    names |= set(getattr(view, "query_parameters", {}).get(action, ()))
    return names


def refuse_unknown_parameters(request, view, paginator) -> None:
    """A 400 naming each query parameter the list does not read."""
    if view is None:
        return
    known = known_parameters(request, view, paginator)
    unknown = sorted(name for name in request.query_params if name not in known)
    if unknown:
        choices = ", ".join(sorted(known))
        raise ValidationError(
            {name: f"Not a parameter this list takes; it takes {choices}." for name in unknown}
        )


def date_parameter(request, name: str):
    """``?name=YYYY-MM-DD`` as a date, None when absent; anything else is a 400 naming it."""
    value = request.query_params.get(name)
    if value is None:
        return None
    try:
        if len(value) != 10:
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            {name: f"“{value[:40]}” is not a date; give one as YYYY-MM-DD."}
        ) from None


def date_window_parameters(request, start: str = "from", end: str = "to"):
    """``?from=&to=`` as two dates (either may be absent); the end before the start is a 400
    naming ``start``."""
    first, last = date_parameter(request, start), date_parameter(request, end)
    if first is not None and last is not None and first > last:
        raise ValidationError(
            {start: f"{first} is after “{end}” ({last}); the window runs from {start} to {end}."}
        )
    return first, last
