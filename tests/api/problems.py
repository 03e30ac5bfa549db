"""Reading the API's problem answers (RFC 9457, ``growthops.problems``) in tests."""

PROBLEM = "application/problem+json"


def problem(response) -> dict:
    """The problem body of ``response``, checked: its media type, its members, its status."""
    media_type = media_type_of(response)
    assert media_type.startswith(PROBLEM), (media_type, response)
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body), body
    assert body["status"] == response.status_code, body
    return body


def media_type_of(response) -> str:
    """The Content-Type of a Django, DRF or schemathesis response (whose header names are
    lower case, each with a list of values)."""
    for name, value in response.headers.items():
        if name.lower() == "content-type":
            return value[0] if isinstance(value, list) else value
    return ""


def problem_errors(response) -> dict:
    """``errors`` as a map: a field (or query parameter) → its messages; an upload's row as
    ``"row N"`` → ``"field: message"`` for each of its problems."""
    found: dict[str, list[str]] = {}
    for entry in problem(response).get("errors", []):
        assert set(entry) >= {"code", "message"} and set(entry) & {"field", "row", "index"}, entry
        if "row" in entry:
            key = f"row {entry['row']}"
            message = (
                f"{entry['field']}: {entry['message']}" if "field" in entry else entry["message"]
            )
        elif "index" in entry:
            key, message = f"[{entry['index']}].{entry.get('field', '')}", entry["message"]
        else:
            key, message = entry["field"], entry["message"]
        found.setdefault(key, []).append(message)
    return found


def problem_items(response) -> list[dict]:
    """``errors`` as listed, without their codes (``{index, field, message}`` of events)."""
    return [
        {key: value for key, value in entry.items() if key != "code"}
        for entry in problem(response).get("errors", [])
    ]
