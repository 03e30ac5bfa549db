"""The resources of /api/v1/: each write goes through its service and answers what changed."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from analytics.models import Alert, Notification
from experiments.models import Comment, Experiment, Hypothesis, Objective, Segment
from roles.models import OperatorProfile
from tests.api.problems import problem_errors
from tests.experiments.helpers import put_in_status
from tests.factories import (
    ExperimentFactory,
    HypothesisFactory,
    MetricFactory,
    ObjectiveFactory,
    SegmentFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


def as_(client, user):
    client.force_authenticate(user)
    return client


# --- segments ------------------------------------------------------------------------


def test_segments_show_the_tree(anonymous_api, analyst):
    root = SegmentFactory(name="SMB")
    child = SegmentFactory(name="Agencies", parent=root)
    rows = {
        r["id"]: r for r in as_(anonymous_api, analyst).get("/api/v1/segments/").json()["results"]
    }
    assert rows[child.pk]["parent"] == root.pk
    assert rows[child.pk]["path"] == "SMB › Agencies"
    assert rows[root.pk]["parent"] is None


def test_the_cmo_creates_a_sub_segment_and_sunsets_it(anonymous_api, cmo):
    parent = SegmentFactory(name="SMB")
    team = TeamFactory()
    response = as_(anonymous_api, cmo).post(
        "/api/v1/segments/",
        {
            "name": "Agencies",
            "parent": parent.pk,
            "owner_team": team.pk,
            "monthly_reach": 500,
            "definition": "Agencies with < 50 staff",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["path"] == "SMB › Agencies" and body["status"] == "active"
    assert body["launched_on"] == dt.date.today().isoformat()

    sunset = anonymous_api.post(f"/api/v1/segments/{body['id']}/sunset/")
    assert sunset.status_code == 200 and sunset.json()["status"] == "sunset"
    relaunch = anonymous_api.post(f"/api/v1/segments/{body['id']}/launch/")
    assert relaunch.json()["status"] == "active"


def test_a_segment_with_running_experiments_cannot_be_sunset(anonymous_api, cmo):
    experiment = put_in_status(ExperimentFactory(), "running")
    response = as_(anonymous_api, cmo).post(f"/api/v1/segments/{experiment.segment_id}/sunset/")
    assert response.status_code == 409
    assert "still has experiments running" in response.json()["detail"]
    assert Segment.objects.get(pk=experiment.segment_id).status == "active"


def test_a_segment_under_itself_or_duplicated_is_a_400(anonymous_api, cmo):
    parent = SegmentFactory(name="SMB")
    team = TeamFactory()
    body = {"name": "SMB", "owner_team": team.pk, "monthly_reach": 1, "definition": "x"}
    as_(anonymous_api, cmo)
    first = anonymous_api.post("/api/v1/segments/", {**body, "parent": parent.pk}, format="json")
    again = anonymous_api.post("/api/v1/segments/", {**body, "parent": parent.pk}, format="json")
    assert first.status_code == 201
    assert again.status_code == 400 and problem_errors(again)
    assert (
        anonymous_api.post(
            "/api/v1/segments/", {**body, "status": "sunset"}, format="json"
        ).status_code
        == 400
    )
    assert Segment.objects.count() == 2


# --- teams and operators -------------------------------------------------------------


def test_teams_and_operator_profiles_are_read(anonymous_api, marketer, operator):
    team = TeamFactory(name="Tiger")
    team.members.add(marketer)
    OperatorProfile.objects.create(user=operator, channels=["seo", "paid"], capacity=4)
    ExperimentFactory(owner=operator)
    put_in_status(ExperimentFactory(owner=operator), "concluded")
    as_(anonymous_api, marketer)
    teams = anonymous_api.get("/api/v1/teams/").json()["results"]
    assert {"id": team.pk, "name": "Tiger", "members": [marketer.pk], "segments": []} in teams
    [profile] = anonymous_api.get("/api/v1/operators/").json()["results"]
    assert profile["username"] == "operator" and profile["channels"] == ["seo", "paid"]
    assert profile["capacity"] == 4 and profile["active_experiments"] == 1
    # Only the CMO writes them (tests/experiments/test_teams.py).
    assert anonymous_api.post("/api/v1/teams/", {"name": "x"}, format="json").status_code == 403


# --- hypotheses ----------------------------------------------------------------------


def hypothesis_body(**changes):
    objective = ObjectiveFactory()
    segment = SegmentFactory()
    metric = MetricFactory(key="signups")
    return {
        "title": "Logos on pricing",
        "observation": "visitors hesitate",
        "change": "logos",
        "effect": "more sign-ups",
        "metric": metric.key,
        "expected_mde": 0.05,
        "channel": "web",
        "objective": objective.pk,
        "segment": segment.pk,
        "impact": 6,
        "confidence": 5,
        "ease": 7,
        **changes,
    }


def test_a_marketer_logs_a_hypothesis(anonymous_api, marketer):
    response = as_(anonymous_api, marketer).post(
        "/api/v1/hypotheses/", hypothesis_body(), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "new" and body["author"] == str(marketer)
    assert body["ice_score"] == 6.0 and body["metric"] == "signups"
    assert Hypothesis.objects.get(pk=body["id"]).author == marketer


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"impact": 11}, "impact"),
        ({"status": "backlog"}, "status"),
        ({"metric": "nope"}, "metric"),
        ({"reach": 100}, "__all__"),
    ],
)
def test_a_bad_hypothesis_is_a_400_naming_the_field(anonymous_api, marketer, changes, field):
    response = as_(anonymous_api, marketer).post(
        "/api/v1/hypotheses/", hypothesis_body(**changes), format="json"
    )
    assert response.status_code == 400, response.content
    assert field in problem_errors(response)
    assert not Hypothesis.objects.exists()


def test_a_hypothesis_for_a_sunset_segment_is_refused(anonymous_api, marketer):
    body = hypothesis_body()
    Segment.objects.filter(pk=body["segment"]).update(status="sunset")
    response = as_(anonymous_api, marketer).post("/api/v1/hypotheses/", body, format="json")
    assert response.status_code == 400 and "segment" in problem_errors(response)


def test_an_operator_scores_and_triages(anonymous_api, operator):
    hypothesis = HypothesisFactory(status="new")
    as_(anonymous_api, operator)
    scored = anonymous_api.post(
        f"/api/v1/hypotheses/{hypothesis.pk}/score/",
        {"impact": 9, "confidence": 9, "ease": 6},
        format="json",
    )
    assert scored.status_code == 200, scored.content
    assert scored.json()["ice_score"] == 8.0
    triaged = anonymous_api.post(
        f"/api/v1/hypotheses/{hypothesis.pk}/triage/", {"status": "backlog"}, format="json"
    )
    assert triaged.status_code == 200 and triaged.json()["status"] == "backlog"
    hypothesis.refresh_from_db()
    assert (hypothesis.impact, hypothesis.status) == (9, "backlog")


def test_triage_of_a_tested_hypothesis_is_a_409(anonymous_api, cmo):
    hypothesis = HypothesisFactory(status="in_test")
    response = as_(anonymous_api, cmo).post(
        f"/api/v1/hypotheses/{hypothesis.pk}/triage/", {"status": "rejected"}, format="json"
    )
    assert response.status_code == 409
    hypothesis.refresh_from_db()
    assert hypothesis.status == "in_test"


def test_a_score_out_of_range_is_a_400(anonymous_api, cmo):
    hypothesis = HypothesisFactory()
    response = as_(anonymous_api, cmo).post(
        f"/api/v1/hypotheses/{hypothesis.pk}/score/",
        {"impact": 0, "confidence": 5, "ease": 5},
        format="json",
    )
    assert response.status_code == 400 and "impact" in problem_errors(response)
    hypothesis.refresh_from_db()
    assert hypothesis.impact == 6


def test_hypotheses_filter_by_min_score_and_order_by_score(anonymous_api, analyst):
    low = HypothesisFactory(impact=2, confidence=2, ease=2)
    high = HypothesisFactory(impact=9, confidence=9, ease=9)
    mid = HypothesisFactory(impact=5, confidence=5, ease=5)
    as_(anonymous_api, analyst)
    rows = anonymous_api.get("/api/v1/hypotheses/?min_score=4.5&ordering=-score").json()["results"]
    assert [r["id"] for r in rows] == [high.pk, mid.pk]
    assert low.pk not in [r["id"] for r in rows]


# --- comments ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["hypotheses", "experiments"])
def test_anyone_comments_and_reads_comments(anonymous_api, analyst, marketer, kind):
    target = HypothesisFactory() if kind == "hypotheses" else ExperimentFactory()
    url = f"/api/v1/{kind}/{target.pk}/comments/"
    created = as_(anonymous_api, marketer).post(url, {"body": "  Nice idea  "}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["body"] == "Nice idea"
    rows = as_(anonymous_api, analyst).get(url).json()["results"]
    assert [(c["author"], c["body"]) for c in rows] == [(str(marketer), "Nice idea")]


def test_an_empty_comment_is_a_400(anonymous_api, marketer):
    experiment = ExperimentFactory()
    response = as_(anonymous_api, marketer).post(
        f"/api/v1/experiments/{experiment.pk}/comments/", {"body": "   "}, format="json"
    )
    assert response.status_code == 400 and "body" in problem_errors(response)
    assert not Comment.objects.exists()


def test_comments_on_a_missing_target_are_a_404(anonymous_api, marketer):
    response = as_(anonymous_api, marketer).post(
        "/api/v1/hypotheses/999999/comments/", {"body": "hi"}, format="json"
    )
    assert response.status_code == 404


# --- experiments ---------------------------------------------------------------------


def test_an_operator_creates_a_draft(anonymous_api, operator):
    hypothesis = HypothesisFactory()
    response = as_(anonymous_api, operator).post(
        "/api/v1/experiments/",
        {
            "hypothesis": hypothesis.pk,
            "name": "Logo wall",
            "key": "logo-wall",
            "daily_traffic": 1000,
            "baseline": 0.1,
            "variants": [
                {"key": "control", "name": "Control", "is_control": True, "weight": 0.5},
                {"key": "logos", "name": "Logos", "weight": 0.5},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["owner"] == str(operator)
    assert body["objective"] == hypothesis.objective_id
    assert body["primary_metric"] == hypothesis.metric.key
    assert [v["key"] for v in body["variants"]] == ["control", "logos"]


def test_bad_variants_are_a_400_and_nothing_is_written(anonymous_api, operator):
    hypothesis = HypothesisFactory()
    response = as_(anonymous_api, operator).post(
        "/api/v1/experiments/",
        {
            "hypothesis": hypothesis.pk,
            "name": "Logo wall",
            "key": "logo-wall",
            "variants": [
                {"key": "a", "name": "A", "weight": 0.5},
                {"key": "b", "name": "B", "weight": 0.2},
            ],
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert not Experiment.objects.exists()


def test_an_operator_over_capacity_is_refused(anonymous_api, operator):
    OperatorProfile.objects.create(user=operator, capacity=1)
    ExperimentFactory(owner=operator)
    hypothesis = HypothesisFactory()
    response = as_(anonymous_api, operator).post(
        "/api/v1/experiments/",
        {"hypothesis": hypothesis.pk, "name": "More", "key": "more"},
        format="json",
    )
    assert response.status_code == 400 and "owner" in problem_errors(response)
    assert Experiment.objects.count() == 1


def test_the_owner_edits_the_design_while_draft(anonymous_api, operator):
    experiment = ExperimentFactory(owner=operator)
    MetricFactory(key="revenue", kind="mean")
    response = as_(anonymous_api, operator).patch(
        f"/api/v1/experiments/{experiment.pk}/",
        {"mde": 0.2, "secondary_metrics": ["revenue"], "name": "Renamed"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["mde"] == 0.2 and response.json()["name"] == "Renamed"
    experiment.refresh_from_db()
    assert experiment.mde == 0.2
    assert [m.key for m in experiment.secondary_metrics.all()] == ["revenue"]


@pytest.mark.parametrize("status", ["in_review", "approved", "running"])
def test_a_design_past_draft_is_frozen_409(anonymous_api, operator, status):
    experiment = put_in_status(ExperimentFactory(owner=operator), status)
    response = as_(anonymous_api, operator).patch(
        f"/api/v1/experiments/{experiment.pk}/", {"mde": 0.3}, format="json"
    )
    assert response.status_code == 409
    experiment.refresh_from_db()
    assert experiment.mde == 0.1


def test_a_design_sent_back_may_be_edited_again(anonymous_api, operator, cmo):
    experiment = put_in_status(ExperimentFactory(owner=operator), "in_review")
    as_(anonymous_api, cmo).post(
        f"/api/v1/experiments/{experiment.pk}/steps/request_changes/",
        {"expected_status": "in_review", "note": "Bigger MDE"},
        format="json",
    )
    response = as_(anonymous_api, operator).patch(
        f"/api/v1/experiments/{experiment.pk}/", {"mde": 0.3}, format="json"
    )
    assert response.status_code == 200, response.content


def test_experiments_filter_order_and_search(anonymous_api, analyst, operator, operator2):
    a = ExperimentFactory(owner=operator, name="Logo wall")
    b = put_in_status(
        ExperimentFactory(owner=operator2, name="Pricing page"),
        "running",
        start_date=dt.date(2026, 3, 1),
    )
    Hypothesis.objects.filter(pk=b.hypothesis_id).update(channel="seo")
    as_(anonymous_api, analyst)

    def ids(query):
        response = anonymous_api.get(f"/api/v1/experiments/?{query}")
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()["results"]]

    assert ids("status=running") == [b.pk]
    assert ids("status=running&status=draft&ordering=name") == [a.pk, b.pk]
    assert ids(f"owner={operator.pk}") == [a.pk]
    assert ids("channel=seo") == [b.pk]
    assert ids("start_date_after=2026-02-01&start_date_before=2026-03-31") == [b.pk]
    assert ids("search=logo") == [a.pk]
    assert ids("ordering=-name") == [b.pk, a.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=bogus", "status"),
        ("owner=abc", "owner"),
        ("start_date_after=yesterday", "start_date_after"),  # the parameter sent
        ("channel=tv", "channel"),
        ("ordering=password", "ordering"),
        ("outcome=maybe", "outcome"),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_the_field(anonymous_api, analyst, query, field):
    response = as_(anonymous_api, analyst).get(f"/api/v1/experiments/?{query}")
    assert response.status_code == 400, response.content
    assert list(problem_errors(response)) == [field] and response.json()["detail"]


def test_a_bad_hypothesis_filter_is_a_400(anonymous_api, analyst):
    response = as_(anonymous_api, analyst).get("/api/v1/hypotheses/?min_score=high")
    assert response.status_code == 400 and "min_score" in problem_errors(response)


# --- objectives ----------------------------------------------------------------------


def test_the_cmo_creates_and_updates_an_objective(anonymous_api, cmo):
    as_(anonymous_api, cmo)
    response = anonymous_api.post(
        "/api/v1/objectives/",
        {
            "name": "ARR",
            "kpi": "Net new ARR",
            "baseline": "100",
            "target": "200",
            "target_date": (timezone.localdate() + dt.timedelta(days=365)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert Objective.objects.get(pk=pk).owner == cmo
    patched = anonymous_api.patch(f"/api/v1/objectives/{pk}/", {"target": "300"}, format="json")
    assert patched.status_code == 200 and patched.json()["target"] == "300.00"
    same = anonymous_api.patch(f"/api/v1/objectives/{pk}/", {"target": "100.00"}, format="json")
    assert same.status_code == 400 and "target" in problem_errors(same)
    assert str(Objective.objects.get(pk=pk).target) == "300.00"
    # A new objective may not aim at a day that has passed; nothing is written.
    past = anonymous_api.post(
        "/api/v1/objectives/",
        {
            "name": "CAC",
            "kpi": "CAC",
            "baseline": "420",
            "target": "350",
            "target_date": "2020-01-01",
        },
        format="json",
    )
    assert past.status_code == 400
    assert problem_errors(past) == {
        "target_date": ["1 Jan 2020 has passed; a target date is today or later."]
    }
    assert Objective.objects.count() == 1


# --- notifications -------------------------------------------------------------------


def test_notifications_are_the_users_own_and_can_be_marked_read(anonymous_api, analyst, marketer):
    experiment = ExperimentFactory()
    alert = Alert.objects.create(experiment=experiment, kind="srm", message="SRM!")
    other = Alert.objects.create(experiment=experiment, kind="overdue", message="Late")
    Notification.objects.create(recipient=analyst, alert=alert)
    Notification.objects.create(recipient=marketer, alert=other)
    as_(anonymous_api, analyst)
    rows = anonymous_api.get("/api/v1/notifications/").json()["results"]
    assert [(r["kind"], r["message"], r["read_at"]) for r in rows] == [("srm", "SRM!", None)]
    assert anonymous_api.post("/api/v1/notifications/read/").json() == {"marked_read": 1}
    assert anonymous_api.get("/api/v1/notifications/?unread=1").json()["results"] == []
    assert Notification.objects.get(recipient=marketer).read_at is None


def test_the_segment_list_reads_paths_in_a_fixed_number_of_queries(
    anonymous_api, analyst, django_assert_max_num_queries
):
    node = SegmentFactory(name="Root")
    for depth in range(6):
        node = SegmentFactory(name=f"Level {depth}", parent=node)
    as_(anonymous_api, analyst)
    with django_assert_max_num_queries(6):
        rows = anonymous_api.get("/api/v1/segments/?page_size=500").json()["results"]
    deepest = next(r for r in rows if r["id"] == node.pk)
    assert deepest["path"] == " › ".join(["Root", *(f"Level {d}" for d in range(6))])


# --- who am I --------------------------------------------------------------------------


def test_me_names_the_tokens_user_and_role(operator):
    token = Token.objects.create(user=operator)
    client = APIClient()
    response = client.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert response.json() == {"username": "operator", "name": "Omar", "role": "operator"}
