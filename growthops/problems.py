"""The API's one error shape: RFC 9457 problem details, ``application/problem+json``.

Every 4xx and 5xx under ``/api/`` is an object with ``type`` (a URN naming the kind of
problem), ``title`` (the kind in words), ``status``, ``detail`` (what went wrong this time, in a
sentence) and, for bad input, ``errors``: one item per problem, each naming where it is with
``field`` (a body field such as ``variants[1].weight``, or a query parameter as the caller sent
it), ``row`` (an upload's row, 1 = the first data row, with the ``field`` of the row) or
``index`` (an event's place in the batch, from 0, with its ``field``), then ``code`` and
``message``. ``growthops.api.exception_handler`` builds it for every refusal a view raises;
``ProblemMiddleware`` for what never reaches a view (an unknown path, a method Django refuses,
a server error).
"""

import re
from http import HTTPStatus

import orjson
from django.http import HttpResponse

from .renderers import JSONRenderer

MEDIA_TYPE = "application/problem+json"
URN = "urn:growthops:problem:"

# slug → title; the status of each is the answer's.
TITLES = {
    "validation": "Your request has invalid input.",
    "not-authenticated": "No valid credentials.",
    "not-permitted": "Not permitted.",
    "not-found": "Not found.",
    "method-not-allowed": "Method not allowed.",
    "not-acceptable": "Not acceptable.",
    "unsupported-media-type": "Unsupported media type.",
    "transition-not-allowed": "Not allowed in the current state.",
    "override-required": "A reason to override is required.",
    "throttled": "Too many requests.",
    "busy": "The database is busy.",
    "server-error": "Server error.",
}
SLUG_OF_STATUS = {
    400: "validation",
    401: "not-authenticated",
    403: "not-permitted",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "transition-not-allowed",
    415: "unsupported-media-type",
    429: "throttled",
    500: "server-error",
    503: "busy",
}
_ROW_KEY = re.compile(r"row (\d+)")


class ProblemJSONRenderer(JSONRenderer):
    media_type = MEDIA_TYPE
    format = "problem+json"


def problem(status: int, detail: str, *, slug: str = "", errors=None, **extra) -> dict:
    """The body of a problem answer. ``slug`` defaults to the status's usual kind."""
    slug = slug or SLUG_OF_STATUS.get(status, "")
    if slug in TITLES:
        kind, title = URN + slug, TITLES[slug]
    else:
        kind, title = "about:blank", phrase(status)
    body = {"type": kind, "title": title, "status": status, "detail": str(detail)}
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return body


def phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase + "."
    except ValueError:
        return "Error."


def problem_response(status: int, detail: str, **kwargs) -> HttpResponse:
    """A problem answer outside DRF (Django's 404, a server error …)."""
    return HttpResponse(
        orjson.dumps(problem(status, detail, **kwargs)), status=status, content_type=MEDIA_TYPE
    )


# --- the ``errors`` items ----------------------------------------------------------------


def item(where: dict, message, code: str = "invalid") -> dict:
    """One problem: ``where`` is ``{"field": …}``, ``{"row": …, "field": …}`` or
    ``{"index": …, "field": …}``."""
    return {**where, "code": str(code or "invalid"), "message": str(message)}


def items_of_detail(detail, prefix: str = "") -> list[dict]:
    """DRF's nested errors as a flat list, each field named by its path
    (``variants[1].weight``), each message with DRF's code (``required``, ``invalid`` …)."""
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            if isinstance(key, int):  # a list's errors by position
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            found.extend(items_of_detail(value, name))
        return found
    if isinstance(detail, list) and any(isinstance(entry, dict | list) for entry in detail):
        found = []
        for index, entry in enumerate(detail):
            found.extend(items_of_detail(entry, f"{prefix}[{index}]"))
        return found
    entries = detail if isinstance(detail, list) else [detail]
    field = prefix or "non_field_errors"
    return [item({"field": field}, entry, getattr(entry, "code", "invalid")) for entry in entries]


def items_of_map(errors: dict, code: str = "invalid") -> list[dict]:
    """A service's ``{field: [messages]}`` as items; a ``row N`` key names the row."""
    found = []
    for key, messages in errors.items():
        row = _ROW_KEY.fullmatch(str(key))
        where = {"row": int(row.group(1))} if row else {"field": str(key)}
        for message in [messages] if isinstance(messages, str) else messages:
            found.append(item(where, message, code))
    return found


def items_of_list(problems: list[dict], code: str = "invalid") -> list[dict]:
    """Structured problems (``{row | index, field, message}``) as items; an ``index`` of None
    (the whole batch) is left out."""
    found = []
    for entry in problems:
        where = {k: v for k, v in entry.items() if k not in ("message", "code") and v is not None}
        found.append(item(where, entry.get("message", ""), entry.get("code") or code))
    return found


def detail_of_items(items: list[dict]) -> str:
    """A sentence for people: ``field: message, message; other: message``."""
    by_field: dict[str, list[str]] = {}
    for entry in items:
        by_field.setdefault(entry.get("field", "non_field_errors"), []).append(entry["message"])
    return "; ".join(f"{field}: {', '.join(messages)}" for field, messages in by_field.items())


# --- what never reaches a DRF view -----------------------------------------------------------


class ProblemMiddleware:
    """Under ``/api/``, an error answer that is not a problem already becomes one: Django's 404
    for an unknown path (an HTML page before), a 405 of a plain view, a server error, a
    ``{"detail"}`` written by hand. Headers such as ``Retry-After`` are kept."""

    KEPT_HEADERS = ("Retry-After", "WWW-Authenticate", "Allow")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or not request.path.startswith("/api/"):
            return response
        if response.get("Content-Type", "").startswith(MEDIA_TYPE):
            return response
        replaced = problem_response(response.status_code, **self._described(request, response))
        for name in self.KEPT_HEADERS:
            if response.has_header(name):
                replaced[name] = response[name]
        return replaced

    @staticmethod
    def _described(request, response) -> dict:
        status = response.status_code
        if response.get("Content-Type", "").startswith("application/json") and not getattr(
            response, "streaming", False
        ):
            try:
                body = orjson.loads(response.content)
            except orjson.JSONDecodeError:
                body = None
            if isinstance(body, dict) and "detail" in body:
                errors = body.get("errors")
                if isinstance(errors, dict):
                    errors = items_of_map(errors)
                described = {"detail": body["detail"]}
                if errors:
                    described["errors"] = errors
                return described
        if status == 404:
            return {"detail": f"No endpoint at {request.path}; the API's index is /api/v1/."}
        if status == 405:
            return {"detail": f"Method “{request.method}” not allowed."}
        if status >= 500:
            return {"detail": "The server failed to answer; the error was logged."}
        return {"detail": phrase(status)}
