"""API plumbing shared by every app: the exception handler that turns domain errors into JSON."""

from django.core.exceptions import ObjectDoesNotExist
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError, NotPermitted, TransitionNotAllowed, ValidationFailed
from .middleware import BUSY_MESSAGE, RETRY_AFTER_SECONDS, database_is_busy


def exception_handler(exc, context):
    if isinstance(exc, ValidationFailed):
        return Response(
            {"detail": exc.message, "errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, TransitionNotAllowed):
        return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, NotPermitted):
        return Response({"detail": exc.message}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, DomainError):
        return Response({"detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)
    if database_is_busy(exc):
        return Response(
            {"detail": BUSY_MESSAGE},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, ObjectDoesNotExist):
        return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, exceptions.ValidationError) and not isinstance(exc.detail, list):
        # Same shape as ValidationFailed: a sentence for people, the field map for programs.
        errors = {
            field: [str(p) for p in (problems if isinstance(problems, list) else [problems])]
            for field, problems in exc.detail.items()
        }
        detail = "; ".join(f"{field}: {', '.join(problems)}" for field, problems in errors.items())
        return Response({"detail": detail, "errors": errors}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
