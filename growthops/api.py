"""API plumbing shared by every app: the exception handler that turns domain errors into JSON,
and the API root, schema and docs views (each naming the ability that reads them)."""

from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpResponse
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions, routers, status, views
from rest_framework.response import Response

from .errors import (
    DomainError,
    NotPermitted,
    OverrideRequired,
    TransitionNotAllowed,
    ValidationFailed,
)
from .middleware import BUSY_MESSAGE, RETRY_AFTER_SECONDS, database_is_busy


def exception_handler(exc, context):
    if isinstance(exc, ValidationFailed):
        return Response(
            {"detail": exc.message, "errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, OverrideRequired):
        return Response(
            {"detail": exc.message, "missing": exc.missing}, status=status.HTTP_409_CONFLICT
        )
    if isinstance(exc, TransitionNotAllowed):
        return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, NotPermitted):
        body = {"detail": exc.message}
        if getattr(exc, "errors", None):  # a batch refused item by item lists each one
            body["errors"] = exc.errors
        return Response(body, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, DomainError):
        return Response(
            {"detail": exc.message, "errors": {"non_field_errors": [exc.message]}},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if database_is_busy(exc):
        return Response(
            {"detail": BUSY_MESSAGE},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, ObjectDoesNotExist):
        return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, exceptions.ValidationError):
        # Same shape as ValidationFailed: a sentence for people, the field map for programs.
        errors = field_errors(exc.detail)
        detail = "; ".join(f"{field}: {', '.join(problems)}" for field, problems in errors.items())
        return Response({"detail": detail, "errors": errors}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.ParseError):
        return Response(
            {"detail": str(exc.detail), "errors": {"body": [str(exc.detail)]}},
            status=status.HTTP_400_BAD_REQUEST,
        )
    return views.exception_handler(exc, context)


def field_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as one flat map: ``variants[1].weight`` → its messages."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(key, int):  # a list's errors by position
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(field_errors(value, name))
        return flat
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            flat.update(field_errors(item, f"{prefix}[{index}]"))
        return flat
    messages = [str(item) for item in detail] if isinstance(detail, list) else [str(detail)]
    return {prefix or "non_field_errors": messages} if messages else {}


def refuse_any_body(request) -> None:
    """For an action that takes no input (archive, launch, a test ping …): reading the body
    refuses one that cannot be read, as everywhere, and any field in it is refused like a field
    an input does not take, so a request meant for another URL does not act here."""
    data = request.data
    if not data:
        return
    if isinstance(data, dict):  # a QueryDict too
        raise exceptions.ValidationError({name: "Not a field this request takes." for name in data})
    raise exceptions.ValidationError({"body": "This request takes no body."})


class ApiRootView(routers.APIRootView):
    required_ability = "experiments.read"


class SchemaView(SpectacularAPIView):
    required_ability = "experiments.read"


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script served from a URL, not inline (the CSP allows that)."""

    required_ability = "experiments.read"
    template_name = "api/swagger_ui.html"

    def options(self, request, *args, **kwargs):
        # DRF's metadata answer would be rendered as an HTML template this page does not have.
        response = HttpResponse()
        response["Allow"] = ", ".join(self.allowed_methods)
        return response


class OneObjectSchema(AutoSchema):
    """For a viewset whose ``list`` route answers one object (``/auth/me/``, an insight): the
    schema must not describe it as an array, which it does for every ``list`` action."""

    def _is_list_view(self, serializer=None) -> bool:
        return False
