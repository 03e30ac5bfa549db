import pytest

from experiments.models import StatusChange
from tests.api.problems import problem_errors
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory

pytestmark = pytest.mark.django_db


def test_it_refuses_anonymous_requests(anonymous_api):
    assert anonymous_api.get("/api/v1/experiments/").status_code == 401


def test_any_role_can_read_experiments(anonymous_api, analyst, operator):
    experiment = ExperimentFactory(owner=operator, name="Logo wall")
    anonymous_api.force_authenticate(analyst)
    response = anonymous_api.get("/api/v1/experiments/")
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Logo wall"]
    detail = anonymous_api.get(f"/api/v1/experiments/{experiment.pk}/").json()
    assert [v["key"] for v in detail["variants"]] == ["control", "b"]


def test_a_step_runs_through_the_service(anonymous_api, operator, cmo):
    experiment = put_in_status(ExperimentFactory(owner=operator), "in_review")
    anonymous_api.force_authenticate(cmo)
    response = anonymous_api.post(
        f"/api/v1/experiments/{experiment.pk}/steps/approve/",
        {"expected_status": "in_review"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert StatusChange.objects.get(experiment=experiment).actor == cmo


@pytest.mark.parametrize(
    ("who", "step", "status", "payload", "code"),
    [
        ("marketer", "approve", "in_review", {}, 403),
        ("operator", "approve", "in_review", {}, 403),
        ("cmo", "start", "approved", {}, 403),
        ("operator", "start", "draft", {}, 409),
        ("cmo", "kill", "running", {"reason": "harmful"}, 400),
        ("cmo", "kill", "running", {"reason": "bored", "note": "x"}, 400),
        ("cmo", "teleport", "running", {}, 404),
    ],
)
def test_it_answers_refusals_with_clear_codes(
    anonymous_api, cast, who, step, status, payload, code
):
    experiment = put_in_status(ExperimentFactory(owner=cast["operator"]), status)
    anonymous_api.force_authenticate(cast[who])
    response = anonymous_api.post(
        f"/api/v1/experiments/{experiment.pk}/steps/{step}/",
        {"expected_status": status, **payload},
        format="json",
    )
    assert response.status_code == code, response.content
    assert response.json()["detail"]
    experiment.refresh_from_db()
    assert experiment.status == status
    assert not StatusChange.objects.exists()


def test_the_timeline_lists_the_audit_trail(anonymous_api, operator, analyst):
    experiment = put_in_status(ExperimentFactory(owner=operator), "running")
    anonymous_api.force_authenticate(operator)
    anonymous_api.post(
        f"/api/v1/experiments/{experiment.pk}/steps/pause/",
        {"note": "Holiday", "expected_status": "running"},
        format="json",
    )
    anonymous_api.force_authenticate(analyst)
    timeline = anonymous_api.get(f"/api/v1/experiments/{experiment.pk}/timeline/").json()
    assert [(t["step"], t["from_status"], t["to_status"], t["note"]) for t in timeline] == [
        ("pause", "running", "paused", "Holiday")
    ]


@pytest.mark.parametrize(("who", "code"), [("cmo", 403), ("operator", 400)])
def test_status_cannot_be_patched(anonymous_api, cast, who, code):
    experiment = ExperimentFactory(owner=cast["operator"])
    anonymous_api.force_authenticate(cast[who])
    response = anonymous_api.patch(
        f"/api/v1/experiments/{experiment.pk}/", {"status": "approved"}, format="json"
    )
    assert response.status_code == code, response.content
    if code == 400:
        assert "steps" in problem_errors(response)["status"][0]
    experiment.refresh_from_db()
    assert experiment.status == "draft"
    assert not StatusChange.objects.exists()


def test_the_openapi_schema_is_public(anonymous_api):
    response = anonymous_api.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert "/api/v1/experiments/{id}/steps/{step}/" in response.json()["paths"]


def test_the_openapi_schema_is_served(anonymous_api, analyst):
    anonymous_api.force_authenticate(analyst)
    response = anonymous_api.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/experiments/{id}/steps/{step}/" in response.content


@pytest.mark.parametrize("expected", [None, "bogus"])
def test_a_step_needs_the_status_the_caller_saw(anonymous_api, operator, cmo, expected):
    experiment = put_in_status(ExperimentFactory(owner=operator), "in_review")
    anonymous_api.force_authenticate(cmo)
    payload = {} if expected is None else {"expected_status": expected}
    response = anonymous_api.post(
        f"/api/v1/experiments/{experiment.pk}/steps/approve/", payload, format="json"
    )
    assert response.status_code == 400
    assert "expected_status" in problem_errors(response)
    experiment.refresh_from_db()
    assert experiment.status == "in_review"


def test_one_experiment_shows_its_sample_size_and_flags(anonymous_api, operator, analyst):
    from analytics.stats import duration_days, sample_size_proportions
    from experiments.models import Segment

    # 10,000 a month is about 333 people a day: 2,000 a day is more than the segment has.
    experiment = ExperimentFactory(owner=operator, baseline=0.1, mde=0.1, daily_traffic=2000)
    anonymous_api.force_authenticate(analyst)
    design = anonymous_api.get(f"/api/v1/experiments/{experiment.pk}/").json()["design"]
    n = int(sample_size_proportions(0.1, 0.1))
    assert design["sample_size_per_variant"] == n and design["total_sample_size"] == 2 * n
    assert design["duration_days"] == int(duration_days(n, 2000))
    assert set(design["flags"]) == {"daily_traffic"}
    assert "design" not in anonymous_api.get("/api/v1/experiments/").json()["results"][0]

    Segment.objects.filter(pk=experiment.segment_id).update(monthly_reach=3_000_000)
    anonymous_api.force_authenticate(operator)
    patched = anonymous_api.patch(
        f"/api/v1/experiments/{experiment.pk}/", {"baseline": None}, format="json"
    ).json()["design"]
    assert patched == {
        "sample_size_per_variant": None,
        "total_sample_size": None,
        "duration_days": None,
        "flags": {},
    }
