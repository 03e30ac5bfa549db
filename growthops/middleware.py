"""The project's own middleware: a database busy with another writer is a moment's wait for the
client, not a server error; an API answer is freed as soon as it is sent."""

from django.db import OperationalError
from django.http import HttpResponse

RETRY_AFTER_SECONDS = 1
BUSY_MESSAGE = "The database is busy with another change; try again in a moment."


def database_is_busy(exc: BaseException) -> bool:
    """SQLite's lock timeout ran out ("database is locked", or "database table is locked")."""
    return isinstance(exc, OperationalError) and "is locked" in str(exc)


class DatabaseBusyMiddleware:
    """Pages answer 503 with ``Retry-After`` when SQLite stays locked past its timeout.

    The API answers the same from ``growthops.api.exception_handler``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not database_is_busy(exception):
            return None
        response = HttpResponse(BUSY_MESSAGE, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


class ReleaseApiResponseMiddleware:
    """Free an API answer by reference counting once it is sent, not at the next collection.

    DRF's view keeps its response (``view.response``), and the response keeps its view and
    itself (in ``renderer_context``): the answer's data, thousands of objects for a page of a
    hundred experiments, could only be freed by the garbage collector, which traversed them
    generation after generation first (a tenth of the list's time, docs/api.md). Dropping both
    references once the answer is rendered leaves it to reference counting.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        context = getattr(response, "renderer_context", None) or {}
        if context.get("response") is response:  # put there while rendering
            del context["response"]
        view = context.get("view")
        if view is not None and getattr(view, "response", None) is response:
            del view.response
        return response
