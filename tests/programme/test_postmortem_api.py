"""``/api/v1/experiments/{id}/postmortem/`` and the learnings search ``/api/v1/postmortems/``."""

import datetime as dt

import pytest
from django.utils import timezone

from experiments.lifecycle import experiment_kill
from experiments.models import Metric
from programme.models import Notice, Postmortem, PostmortemAction
from tests.analytics.helpers import running_experiment
from tests.api.problems import problem_errors
from tests.conftest import client_for
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory, HypothesisFactory

pytestmark = pytest.mark.django_db


def url(experiment):
    return f"/api/v1/experiments/{experiment.pk}/postmortem/"


@pytest.fixture
def killed(cmo, operator, marketer):
    experiment = running_experiment(operator, hypothesis=HypothesisFactory(author=marketer))
    experiment_kill(experiment_id=experiment.pk, actor=cmo, reason="broken_setup", note="Tags.")
    return experiment


def test_it_reads_the_opened_postmortem(killed, marketer):
    response = client_for(marketer).get(url(killed))

    assert response.status_code == 200
    body = response.json()
    assert body["experiment"] == killed.pk
    assert body["status"] == "draft" and body["overdue"] is False
    assert body["decision"] == "killed" and body["opened_by_step"] == "kill"
    assert body["metric"] == "signups"
    assert body["faults"] == [] and body["actions"] == []
    assert body["due_date"] == (timezone.localdate() + dt.timedelta(days=7)).isoformat()


def test_it_patches_fields_and_nested_actions(killed, operator, operator2, marketer):
    due = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    body = {
        "cause": "measurement",
        "why": "The tag fired twice.",
        "faults": ["data"],
        "actions": [
            {"text": "Test tags in staging", "owner": "operator2", "due_date": due},
            {"text": "Write a tag checklist", "owner": "operator", "due_date": due},
        ],
        "status": "complete",
    }

    response = client_for(operator).patch(url(killed), body, format="json")

    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["status"] == "complete" and data["faults"] == ["data"]
    assert [(a["text"], a["owner"], a["done"]) for a in data["actions"]] == [
        ("Test tags in staging", "operator2", False),
        ("Write a tag checklist", "operator", False),
    ]
    first = data["actions"][0]["id"]

    # Keep the first (now done), drop the second.
    keep = {"actions": [{"id": first, "text": "Tags", "owner": "operator2", "due_date": due,
                         "done": True}]}  # fmt: skip
    response = client_for(operator).patch(url(killed), keep, format="json")

    assert response.status_code == 200
    action = PostmortemAction.objects.get()
    assert (action.pk, action.text, action.done_at is not None) == (first, "Tags", True)
    assert Notice.objects.filter(kind="postmortem_completed", recipient=marketer).count() == 1


def test_it_names_each_bad_field_and_writes_nothing(killed, cmo):
    before = Postmortem.objects.get(experiment=killed)
    past = (timezone.localdate() - dt.timedelta(days=2)).isoformat()
    body = {
        "faults": ["luck"],
        "actions": [{"text": "x", "owner": "nobody", "due_date": past}],
    }

    response = client_for(cmo).patch(url(killed), body, format="json")

    assert response.status_code == 400
    errors = problem_errors(response)
    assert "faults" in str(errors) and "No active person is called “nobody”." in str(errors)
    response = client_for(cmo).patch(
        url(killed),
        {"actions": [{"text": "x", "owner": "cmo", "due_date": past}], "due_date": past},
        format="json",
    )
    assert response.status_code == 400
    errors = problem_errors(response)
    assert set(errors) == {"actions[0].due_date", "due_date"}
    assert "on or after" in errors["due_date"][0]
    after = Postmortem.objects.get(experiment=killed)
    assert (after.due_date, after.updated_at) == (before.due_date, before.updated_at)
    assert not PostmortemAction.objects.exists()


def test_completing_without_cause_is_a_400(killed, cmo):
    response = client_for(cmo).patch(url(killed), {"status": "complete"}, format="json")

    assert response.status_code == 400
    assert set(problem_errors(response)) == {"cause", "faults"}
    assert Postmortem.objects.get(experiment=killed).status == "draft"


@pytest.mark.parametrize(
    ("who", "expected"),
    [("cmo", 200), ("operator", 200), ("operator2", 403), ("marketer", 403), ("analyst", 403)],
)
def test_who_may_write(killed, cast, who, expected):
    response = client_for(cast[who]).patch(url(killed), {"why": "Because."}, format="json")

    assert response.status_code == expected
    assert Postmortem.objects.get(experiment=killed).why == ("Because." if expected == 200 else "")


def test_post_opens_one_for_a_decided_experiment_without_one(cmo, operator):
    experiment = put_in_status(ExperimentFactory(owner=operator), "concluded", decision="iterate")

    response = client_for(cmo).post(url(experiment), {"cause": "effect_too_small"}, format="json")

    assert response.status_code == 201
    assert response.json()["cause"] == "effect_too_small"
    assert response.json()["decision"] == "iterate"
    again = client_for(cmo).post(url(experiment), {}, format="json")
    assert again.status_code == 409
    assert "already has a post-mortem" in again.json()["detail"]
    assert Postmortem.objects.filter(experiment=experiment).count() == 1


def test_post_on_a_running_experiment_is_a_409_and_get_a_404(cmo, operator):
    experiment = running_experiment(operator)

    assert client_for(cmo).post(url(experiment), {}, format="json").status_code == 409
    assert client_for(cmo).get(url(experiment)).status_code == 404
    assert client_for(cmo).patch(url(experiment), {}, format="json").status_code == 404
    assert not Postmortem.objects.exists()


# --- the learnings search ------------------------------------------------------------------


def _decided(operator, metric_key, lift, cause, faults):
    experiment = put_in_status(ExperimentFactory(owner=operator), "killed")
    metric, _ = Metric.objects.get_or_create(
        key=metric_key, defaults={"name": metric_key, "kind": "binomial"}
    )
    flags = {f"fault_{f}": True for f in faults}
    return Postmortem.objects.create(
        experiment=experiment, due_date=timezone.localdate(), metric=metric, lift=lift,
        cause=cause, decision="killed", **flags,
    )  # fmt: skip


def test_the_search_filters_by_cause_fault_metric_and_lift(analyst, operator):
    a = _decided(operator, "signups", 0.12, "idea_held", ["none"])
    b = _decided(operator, "signups", -0.03, "measurement", ["data", "execution"])
    c = _decided(operator, "revenue", 0.02, "measurement", ["timing"])
    d = _decided(operator, "revenue", None, "priorities", ["data"])

    def ids(query):
        response = client_for(analyst).get(f"/api/v1/postmortems/?{query}")
        assert response.status_code == 200, response.json()
        return sorted(row["experiment"] for row in response.json()["results"])

    assert ids("") == sorted(p.experiment_id for p in (a, b, c, d))
    assert ids("cause=measurement") == sorted([b.experiment_id, c.experiment_id])
    assert ids("fault=data") == sorted([b.experiment_id, d.experiment_id])
    assert ids("fault=timing&fault=execution") == sorted([b.experiment_id, c.experiment_id])
    assert ids("metric=revenue") == sorted([c.experiment_id, d.experiment_id])
    assert ids("lift_min=0") == sorted([a.experiment_id, c.experiment_id])
    assert ids("lift_min=-0.05&lift_max=0.05") == sorted([b.experiment_id, c.experiment_id])
    assert ids("cause=measurement&lift_max=0") == [b.experiment_id]
    assert client_for(analyst).get("/api/v1/postmortems/?lift_min=lots").status_code == 400


def test_notices_are_ones_own_and_can_be_marked_read(killed, operator, marketer):
    mine = client_for(marketer).get("/api/v1/notices/").json()["results"]
    assert [n["kind"] for n in mine] == ["decision"]
    theirs = client_for(operator).get("/api/v1/notices/").json()["results"]
    assert [n["kind"] for n in theirs] == ["postmortem_opened"]

    response = client_for(marketer).post("/api/v1/notices/read/")

    assert response.json() == {"marked_read": 1}
    assert Notice.objects.get(recipient=marketer).read_at is not None
    assert Notice.objects.get(recipient=operator).read_at is None
