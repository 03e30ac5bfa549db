"""A field that holds one of a fixed set of words is an enum in the schema, so a generated
client gets a type for it, not a free string."""

import pytest

from tests.conftest import client_for

pytestmark = pytest.mark.django_db

ENUM_LIKE = {
    "status", "state", "kind", "step", "opened_by_step", "decision", "outcome",
    "recommendation", "verdict", "action", "stage", "method", "fault", "cause", "correction",
    "channel", "event", "role", "unit",
}  # fmt: skip
# Words of their own: free text, or set by configuration rather than fixed.
FREE = {
    ("MetricLibrary", "unit"),  # "%", "EUR", "seconds": the metric's own unit
    ("MetricInputRequest", "unit"),
    ("PatchedMetricInputRequest", "unit"),
    ("Standing", "unit"),  # the unit as shown: EUR, count or %
}


def _enum(schema, prop) -> list | None:
    """The values an enum property may take (through ``$ref``, ``oneOf`` and ``allOf``)."""
    components = schema["components"]["schemas"]
    if "$ref" in prop:
        return _enum(schema, components[prop["$ref"].rsplit("/", 1)[1]])
    if "enum" in prop:
        return prop["enum"]
    for key in ("oneOf", "allOf", "anyOf"):
        for part in prop.get(key, []):
            if (values := _enum(schema, part)) and set(values) - {"", None}:
                return values
    return None


def test_every_status_kind_step_or_state_text_field_is_an_enum(analyst):
    schema = client_for(analyst).get("/api/schema/?format=json").json()
    free = []

    for name, component in schema["components"]["schemas"].items():
        for field, prop in (component.get("properties") or {}).items():
            if field not in ENUM_LIKE or (name, field) in FREE:
                continue
            target = prop.get("items", prop) if prop.get("type") == "array" else prop
            if target.get("type") == "string" and _enum(schema, target) is None:
                free.append(f"{name}.{field}")

    assert free == []


@pytest.mark.parametrize(
    ("component", "field", "values"),
    [
        ("TaskStatus", "state", {"PENDING", "STARTED", "PROGRESS", "SUCCESS", "FAILURE"}),
        ("Postmortem", "decision", {"scale", "iterate", "abandon", "killed"}),
        ("Postmortem", "opened_by_step", {"conclude", "kill"}),
        ("ReadoutShare", "state", {"active", "expired", "revoked"}),
        ("Delivery", "event", {"ping", "srm.detected", "experiment.concluded"}),
        ("Notification", "kind", {"srm", "guardrail", "refresh_failed"}),
        ("CycleStageCell", "stage", {"logged", "backlog", "designed", "in_review", "running"}),
    ],
)
def test_the_enums_hold_what_the_server_sends(analyst, component, field, values):
    schema = client_for(analyst).get("/api/schema/?format=json").json()

    enum = _enum(schema, schema["components"]["schemas"][component]["properties"][field])

    assert values <= set(enum)
