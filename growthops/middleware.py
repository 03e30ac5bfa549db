"""A database busy with another writer is a moment's wait for the client, not a server error."""

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
