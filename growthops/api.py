"""API plumbing shared by every app: the exception handler that turns every refusal into a
problem (``growthops.problems``),
and the API root, schema and docs views (each naming the ability that reads them)."""

from django.core.exceptions import ObjectDoesNotExist
from django.dispatch import receiver
from django.http import HttpResponse
from django.test.signals import setting_changed
from django.utils import translation
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions, routers, views
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from .errors import (
    DomainError,
    NotPermitted,
    OverrideRequired,
    TransitionNotAllowed,
    ValidationFailed,
)
from .middleware import BUSY_MESSAGE, RETRY_AFTER_SECONDS, database_is_busy
from .problems import (
    MEDIA_TYPE,
    ProblemJSONRenderer,
    detail_of_items,
    item,
    items_of_detail,
    items_of_list,
    items_of_map,
    phrase,
    problem,
)


def exception_handler(exc, context):
    """Every refusal as a problem (RFC 9457, ``growthops.problems``): the domain errors of the
    services, DRF's own (with their headers: ``Retry-After``, ``WWW-Authenticate``), and a
    database busy with another writer."""
    request = context.get("request")
    if request is not None:  # the refusal is problem+json whatever the request asked for
        request.accepted_renderer = ProblemJSONRenderer()
        request.accepted_media_type = MEDIA_TYPE
    status, body, headers = _described(exc, context)
    if status is None:
        return None
    return Response(body, status=status, headers=headers, content_type=MEDIA_TYPE)


def _described(exc, context):
    """(status, problem body, headers) for ``exc``, or (None, None, None) to let it rise."""
    if isinstance(exc, ValidationFailed):
        items = getattr(exc, "items", None)
        errors = items_of_list(items) if items is not None else items_of_map(exc.errors)
        return 400, problem(400, exc.message, errors=errors), None
    if isinstance(exc, OverrideRequired):
        return 409, problem(409, exc.message, slug="override-required", missing=exc.missing), None
    if isinstance(exc, TransitionNotAllowed):
        return 409, problem(409, exc.message), None
    if isinstance(exc, NotPermitted):
        items = getattr(exc, "items", None)  # a batch refused item by item lists each one
        errors = items_of_list(items, "not_permitted") if items else None
        return 403, problem(403, exc.message, errors=errors), None
    if isinstance(exc, DomainError):
        errors = [item({"field": "non_field_errors"}, exc.message)]
        return 400, problem(400, exc.message, errors=errors), None
    if database_is_busy(exc):
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return 503, problem(503, BUSY_MESSAGE), headers
    if isinstance(exc, ObjectDoesNotExist):
        return 404, problem(404, "Not found."), None
    if isinstance(exc, exceptions.ValidationError):
        # A sentence for people, the items for programs.
        errors = items_of_detail(exc.detail)
        return 400, problem(400, detail_of_items(errors), errors=errors), None
    if isinstance(exc, exceptions.ParseError):
        errors = [item({"field": "body"}, exc.detail, "parse_error")]
        return 400, problem(400, str(exc.detail), errors=errors), None
    response = views.exception_handler(exc, context)  # DRF's: its headers, its rollback
    if response is None:
        return None, None, None
    detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        slug = "not-authenticated"
    else:
        slug = ""
    headers = {name: value for name, value in response.items() if name != "Content-Type"}
    status = response.status_code
    return status, problem(status, detail or phrase(status), slug=slug), headers


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
    """The OpenAPI schema, readable without credentials: a client generator needs it before it
    has a token, and it holds no data (what each role may do is the capability table's). It is
    the same for every reader and fixed for the life of the process, so it is generated once
    per API version and language, not on each request (about a second each time); a changed
    setting (in tests) starts afresh."""

    permission_classes = [AllowAny]

    def _get_schema_response(self, request):
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (version, translation.get_language(), self.serve_public)
        if key not in _GENERATED_SCHEMAS:
            generator = self.generator_class(
                urlconf=self.urlconf, api_version=version, patterns=self.patterns
            )
            _GENERATED_SCHEMAS[key] = generator.get_schema(
                request=request, public=self.serve_public
            )
        filename = self._get_filename(request, version)
        return Response(
            data=_GENERATED_SCHEMAS[key],
            headers={"Content-Disposition": f'inline; filename="{filename}"'},
        )


_GENERATED_SCHEMAS: dict[tuple, dict] = {}


@receiver(setting_changed)
def _forget_generated_schemas(**_):
    _GENERATED_SCHEMAS.clear()


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
