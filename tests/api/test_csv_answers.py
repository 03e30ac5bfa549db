"""CSV answers are what they are: text in the schema, only where a GET gives them, and what
the server sends for ``?format=csv``."""

import pytest

from tests.conftest import client_for, person
from tests.factories import ObjectiveFactory

pytestmark = pytest.mark.django_db

CSV_GETS = [
    "/api/v1/events/",
    "/api/v1/experiments/",
    "/api/v1/experiments/{id}/observations/",
    "/api/v1/experiments/{id}/results/",
    "/api/v1/hypotheses/",
    "/api/v1/results/",
    "/api/v1/objectives/{id}/measurements/",
]


def test_every_csv_answer_is_described_as_text_and_only_gets_give_one():
    schema = client_for(None).get("/api/schema/?format=json").json()
    described = set()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for answer in operation.get("responses", {}).values():
                if "text/csv" in answer.get("content", {}):
                    assert answer["content"]["text/csv"]["schema"] == {"type": "string"}, path
                    assert method == "get", (method, path)
                    described.add(path)
    assert described == set(CSV_GETS)


def test_a_write_answers_json_even_to_a_client_asking_for_csv():
    objective = ObjectiveFactory()
    api = client_for(person("cmo"))
    url = f"/api/v1/objectives/{objective.pk}/measurements/"
    written = api.post(
        url, [{"date": "2026-11-01", "value": "12.5"}], format="json", HTTP_ACCEPT="text/csv"
    )
    assert written.status_code == 406
    assert written["Content-Type"].startswith("application/problem+json")
    assert not objective.measurements.exists()
    written = api.post(url, [{"date": "2026-11-01", "value": "12.5"}], format="json")
    assert (written.status_code, written.json()) == (201, {"written": 1})
    table = api.get(url, {"format": "csv"})
    assert table["Content-Type"].startswith("text/csv")
    assert b"".join(table.streaming_content).decode().splitlines()[1] == "2026-11-01,12.50"


def test_an_answer_of_no_acceptable_type_is_a_documented_406():
    schema = client_for(None).get("/api/schema/?format=json").json()
    listed = schema["paths"]["/api/v1/experiments/"]["get"]["responses"]
    assert listed["406"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    answer = client_for(person("analyst")).get(
        "/api/v1/experiments/", HTTP_ACCEPT="application/xml"
    )
    assert answer.status_code == 406
    assert answer["Content-Type"].startswith("application/problem+json")
    assert answer.json()["status"] == 406
