"""The OpenAPI schema's error answers: one shape, documented on every operation.

``growthops.api.exception_handler`` gives every refusal the same body; this post-processing
hook (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``) states it once, so each operation lists
the errors it can answer with instead of only its success.
"""

import django_filters as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

# The answer of a ``?format=csv`` export: a CSV table, a header row then one row per item.
CSV_TABLE = OpenApiResponse(
    OpenApiTypes.STR, description="A CSV table: a header row, then one row per item."
)

ERROR = {
    "type": "object",
    "description": "A refusal: ``detail`` says why in a sentence.",
    "properties": {
        "detail": {"type": "string"},
        "errors": {"$ref": "#/components/schemas/FieldErrors"},
    },
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "type": "object",
    "description": "Bad input: ``errors`` maps each bad field (``variants[1].weight``, "
    "``line 3``, ``non_field_errors``) to its messages; nothing was written.",
    "properties": {
        "detail": {"type": "string"},
        "errors": {"$ref": "#/components/schemas/FieldErrors"},
    },
    "required": ["detail", "errors"],
}
FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}

# status → (component, description, whether only writes can answer it)
ANSWERS = {
    "400": ("ValidationError", "Bad input (a field, a filter or the body).", False),
    "401": ("Error", "No credentials, or a token that is not valid.", False),
    "403": (
        "Error",
        "The role may not do this; ``detail`` is the capability table's reason.",
        False,
    ),
    "404": ("Error", "No such object, or one the user may not see; or a page past the end.", False),
    "409": (
        "Error",
        "Refused by the current state: a lifecycle step not allowed from this status, a stale "
        "``expected_status``, or a design frozen by approval.",
        True,
    ),
    "429": ("Error", "Too many requests; ``Retry-After`` says when to try again.", False),
}
WRITES = {"post", "put", "patch", "delete"}


def document_errors(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(Error=ERROR, ValidationError=VALIDATION_ERROR, FieldErrors=FIELD_ERRORS)
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if method not in WRITES | {"get"}:
                continue
            responses = operation.setdefault("responses", {})
            # A CSV export's refusal is a CSV table too (growthops.renderers.CSVRenderer).
            as_csv = any("text/csv" in r.get("content", {}) for r in responses.values())
            for code, (component, description, writes_only) in ANSWERS.items():
                if code in responses or (writes_only and method not in WRITES):
                    continue
                content = {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}
                }
                if as_csv:
                    content["text/csv"] = {"schema": {"type": "string"}}
                responses[code] = {"description": description, "content": content}
            if "429" in responses and "headers" not in responses["429"]:
                responses["429"]["headers"] = {
                    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}
                }
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


def filter_parameters(filterset_class) -> list[OpenApiParameter]:
    """The query parameters of a FilterSet that a list action applies itself (through
    ``growthops.filters.filtered``), where drf-spectacular cannot find them on the view."""
    parameters = []
    for name, spec in filterset_class.base_filters.items():
        kind = next((t for cls, t in _FILTER_TYPES if isinstance(spec, cls)), OpenApiTypes.STR)
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
