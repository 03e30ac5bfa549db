"""The OpenAPI schema's error answers: one shape, documented on every operation that can
answer it.

``growthops.api.exception_handler`` gives every refusal the same body, an RFC 9457 problem
(``growthops.problems``); this post-processing hook (``SPECTACULAR_SETTINGS
["POSTPROCESSING_HOOKS"]``) states it once, so each operation lists the errors it can answer
with (as ``application/problem+json``) beside its success.
"""

import django_filters as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

# Upload bodies sent as they are: a CSV table (``text/csv``), events one JSON object a line
# (``application/x-ndjson``). Described as bytes, the way OpenAPI 3.0 says "a raw body".
CSV_BODY = OpenApiTypes.BINARY
NDJSON_BODY = OpenApiTypes.BINARY

# The answer of a ``?format=csv`` export: a CSV table, a header row then one row per item.
CSV_TABLE = OpenApiResponse(
    OpenApiTypes.STR, description="A CSV table: a header row, then one row per item."
)

PROBLEM_ITEM = {
    "type": "object",
    "description": "One problem of the input: where (``field``; an upload's ``row`` with its "
    "``field``; an event's ``index`` with its ``field``), a ``code`` and a ``message``.",
    "properties": {
        "field": {
            "type": "string",
            "description": "A body field (``variants[1].weight``), a query parameter as sent, "
            "``body`` or ``non_field_errors``.",
        },
        "row": {"type": "integer", "description": "An upload's row, 1 = the first data row."},
        "index": {"type": "integer", "description": "An event's place in the batch, from 0."},
        "code": {"type": "string", "description": "``required``, ``invalid``, ``max_value`` …"},
        "message": {"type": "string"},
    },
    "required": ["code", "message"],
}
_PROBLEM_PROPERTIES = {
    "type": {
        "type": "string",
        "description": "``urn:growthops:problem:<kind>`` (``validation``, ``not-permitted``, "
        "``not-found``, ``transition-not-allowed``, ``override-required``, ``throttled``, "
        "``busy`` …), or ``about:blank``.",
    },
    "title": {"type": "string", "description": "The kind of problem, in words."},
    "status": {"type": "integer", "description": "The HTTP status."},
    "detail": {"type": "string", "description": "What went wrong this time, in a sentence."},
    "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ProblemItem"}},
    "missing": {
        "type": "array",
        "items": {"type": "string"},
        "description": "``override-required`` only: what the step goes against.",
    },
}
PROBLEM = {
    "type": "object",
    "description": "A refusal (RFC 9457 problem details): ``detail`` says why in a sentence.",
    "properties": _PROBLEM_PROPERTIES,
    "required": ["type", "title", "status", "detail"],
}
VALIDATION_PROBLEM = {
    "type": "object",
    "description": "Bad input (RFC 9457 problem details): ``errors`` lists each problem; "
    "nothing was written.",
    "properties": _PROBLEM_PROPERTIES,
    "required": ["type", "title", "status", "detail", "errors"],
}
PROBLEM_MEDIA_TYPE = "application/problem+json"

WRITES = {"post", "put", "patch", "delete"}
# The operations that read a body: every POST, PUT and PATCH (an action that takes none still
# reads it, to refuse one: ``growthops.api.refuse_any_body``). A DELETE reads none.
BODY_READERS = {"post", "put", "patch"}
# status → (component, description, the methods whose operations can answer it)
ANSWERS = {
    "400": (
        "ValidationProblem",
        "Bad input (a field, a filter, a query parameter or the body).",
        WRITES | {"get"},
    ),
    "401": ("Problem", "No credentials, or a token that is not valid.", WRITES | {"get"}),
    "403": (
        "Problem",
        "The role (or the token's scopes) may not do this; ``detail`` says why.",
        WRITES | {"get"},
    ),
    "404": (
        "Problem",
        "No such object, or one the user may not see; or a page past the end.",
        WRITES | {"get"},
    ),
    "406": (
        "Problem",
        "An ``Accept`` header naming no media type the operation answers with (JSON, and "
        "``text/csv`` where this operation lists it).",
        WRITES | {"get"},
    ),
    "409": (
        "Problem",
        "Refused by the current state: a lifecycle step not allowed from this status, a stale "
        "``expected_status``, or a design frozen by approval.",
        WRITES,
    ),
    "415": (
        "Problem",
        "A body of a media type this operation does not take (a form or multipart body: the "
        "API takes JSON, and the uploads the types listed in ``requestBody``).",
        BODY_READERS,
    ),
    "429": (
        "Problem",
        "Too many requests; ``Retry-After`` says when to try again.",
        WRITES | {"get"},
    ),
    "503": (
        "Problem",
        "The database is busy with another change (SQLite only: its write lock held past the "
        "20-second wait); ``Retry-After`` says when to try again. Nothing was written.",
        WRITES,
    ),
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}}
# A method a path does not list: the same answer on every path, so one component (OpenAPI
# has no place for an operation that does not exist), named in the schema's description.
METHOD_NOT_ALLOWED = {
    "description": "A method this path does not list; ``Allow`` names those it does.",
    "headers": {"Allow": {"schema": {"type": "string"}, "description": "``GET, POST, …``"}},
    "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
}
SCHEMA_DESCRIPTION = (
    " Every refusal is an RFC 9457 problem (``application/problem+json``); each operation "
    "lists those it can answer. A method a path does not list is a 405 problem with ``Allow`` "
    "(``components.responses.MethodNotAllowed``) for a signed-in caller, a 401 without "
    "credentials."
)


def document_errors(result, generator, request, public):
    components = result.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(Problem=PROBLEM, ValidationProblem=VALIDATION_PROBLEM, ProblemItem=PROBLEM_ITEM)
    components.setdefault("responses", {})["MethodNotAllowed"] = METHOD_NOT_ALLOWED
    result["info"]["description"] = result["info"].get("description", "") + SCHEMA_DESCRIPTION
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if method not in WRITES | {"get"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, (component, description, methods) in ANSWERS.items():
                if method not in methods:
                    continue
                ref = {"$ref": f"#/components/schemas/{component}"}
                if code in responses:  # stated by the view (a 409's own words): a problem
                    responses[code]["content"] = {PROBLEM_MEDIA_TYPE: {"schema": ref}}
                    continue
                responses[code] = {
                    "description": description,
                    "content": {PROBLEM_MEDIA_TYPE: {"schema": ref}},
                }
            for code in ("429", "503"):
                if code in responses:
                    responses[code]["headers"] = RETRY_AFTER
    return result


CSV_MEDIA_TYPE = "text/csv"


def describe_csv_answers(result, generator, request, public):
    """Every ``text/csv`` answer is what it is: a table as text, not the JSON page's shape
    (drf-spectacular gives each renderer of an operation the serializer's schema)."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                if CSV_MEDIA_TYPE in content:
                    content[CSV_MEDIA_TYPE] = {"schema": {"type": "string"}}
    return result


# The parameter type of each kind of filter (a range is two parameters, one per bound).
_FILTER_TYPES = [
    (filters.IsoDateTimeFromToRangeFilter, OpenApiTypes.DATETIME),
    (filters.DateFromToRangeFilter, OpenApiTypes.DATE),
    (filters.RangeFilter, OpenApiTypes.NUMBER),
    (filters.BooleanFilter, OpenApiTypes.BOOL),
    (filters.NumberFilter, OpenApiTypes.NUMBER),
    (filters.ChoiceFilter, OpenApiTypes.STR),
    (filters.MultipleChoiceFilter, OpenApiTypes.STR),
]


def _is_integer(filterset_class, spec) -> bool:
    """Whether a number filter reads an integer column (a look, an HTTP status)."""
    model = filterset_class._meta.model
    try:
        field = model._meta.get_field(spec.field_name)
    except Exception:  # noqa: BLE001 - a filter over a relation's path or an annotation
        return False
    return field.get_internal_type().endswith(("IntegerField", "AutoField"))


def filter_parameters(filterset_class) -> list[OpenApiParameter]:
    """The query parameters of a FilterSet that a list action applies itself (through
    ``growthops.filters.filtered``), where drf-spectacular cannot find them on the view."""
    parameters = []
    for name, spec in filterset_class.base_filters.items():
        kind = next((t for cls, t in _FILTER_TYPES if isinstance(spec, cls)), OpenApiTypes.STR)
        if kind == OpenApiTypes.NUMBER and _is_integer(filterset_class, spec):
            kind = OpenApiTypes.INT
        description = str(spec.extra.get("help_text", "") or "")
        suffixes = getattr(spec.field_class.widget, "suffixes", None)
        if suffixes:
            for suffix in suffixes:
                parameters.append(
                    OpenApiParameter(f"{name}_{suffix}", kind, description=description)
                )
            continue
        choices = spec.extra.get("choices")
        parameters.append(
            OpenApiParameter(
                name,
                kind,
                description=description,
                enum=[value for value, _ in choices] if choices else None,
                many=isinstance(spec, filters.MultipleChoiceFilter) or None,
                explode=True if isinstance(spec, filters.MultipleChoiceFilter) else None,
            )
        )
    return parameters
