"""Teams and operators' profiles: the CMO's writes (service and API), their audit trail, and
the capacity warning."""

import pytest

from experiments.teams import (
    capacity_warning,
    operator_profile_create,
    operator_profile_update,
    team_create,
    team_update,
)
from growthops.errors import NotPermitted, ValidationFailed
from roles.models import AuditEntry, OperatorProfile, Team
from tests.api.problems import problem_errors
from tests.conftest import client_for
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory, SegmentFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_it_creates_a_team_with_members_and_segments_and_audits_it(cmo, operator, marketer):
    segment = SegmentFactory()
    old_team = segment.owner_team

    team = team_create(
        actor=cmo, name=" Activation ", members=[operator, marketer], segments=[segment]
    )

    team.refresh_from_db()
    segment.refresh_from_db()
    assert team.name == "Activation"
    assert set(team.members.all()) == {operator, marketer}
    assert segment.owner_team == team
    assert old_team.segments.count() == 0
    (entry,) = AuditEntry.objects.all()
    assert (entry.actor, entry.subject, entry.subject_id, entry.action) == (
        cmo,
        "team",
        team.pk,
        "created",
    )
    assert entry.changes["members"] == [[], ["marketer", "operator"]]
    assert entry.changes["segments"] == [[], [segment.pk]]


def test_it_updates_only_the_fields_given_and_records_before_and_after(cmo, operator):
    team = TeamFactory(name="Old")
    team.members.set([operator])

    team_update(team_id=team.pk, actor=cmo, name="New")

    team.refresh_from_db()
    assert team.name == "New"
    assert list(team.members.all()) == [operator]
    (entry,) = AuditEntry.objects.all()
    assert entry.action == "updated"
    assert entry.changes == {"name": ["Old", "New"]}


def test_an_edit_that_changes_nothing_leaves_no_audit_row(cmo):
    team = TeamFactory(name="Same")
    team_update(team_id=team.pk, actor=cmo, name="Same")
    assert AuditEntry.objects.count() == 0


def test_it_refuses_to_leave_a_segment_without_a_team(cmo):
    segment = SegmentFactory(name="SMB")
    team = segment.owner_team

    with pytest.raises(ValidationFailed) as refused:
        team_update(team_id=team.pk, actor=cmo, segments=[], name="Renamed")

    assert "SMB would have no team" in refused.value.errors["segments"][0]
    team.refresh_from_db()
    assert team.name != "Renamed"
    assert AuditEntry.objects.count() == 0


def test_it_refuses_a_duplicate_name_and_writes_nothing(cmo):
    TeamFactory(name="Growth")
    with pytest.raises(ValidationFailed) as refused:
        team_create(actor=cmo, name="Growth")
    assert "name" in refused.value.errors
    assert Team.objects.count() == 1
    assert AuditEntry.objects.count() == 0


@pytest.mark.parametrize("who", ["operator", "marketer", "analyst"])
def test_only_the_cmo_manages_teams_and_profiles(cast, who):
    with pytest.raises(NotPermitted):
        team_create(actor=cast[who], name="Mine")
    with pytest.raises(NotPermitted):
        operator_profile_create(actor=cast[who], user=cast["operator"], capacity=2)
    assert not Team.objects.filter(name="Mine").exists()
    assert not OperatorProfile.objects.exists()


def test_it_creates_and_edits_a_profile_with_its_audit_trail(cmo, operator):
    profile = operator_profile_create(
        actor=cmo, user=operator, channels=["seo", "paid"], specialities=[" pricing "], capacity=2
    )
    operator_profile_update(profile_id=profile.pk, actor=cmo, capacity=4)

    profile.refresh_from_db()
    assert (profile.channels, profile.specialities, profile.capacity) == (
        ["seo", "paid"],
        ["pricing"],
        4,
    )
    created, updated = AuditEntry.objects.order_by("id")
    assert created.action == "created" and created.subject == "operator"
    assert updated.changes == {"capacity": [2, 4]}


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"channels": ["seo", "radio"]},
            "channels",
            "Unknown channel(s): radio; known: seo, paid, content, email, social, lifecycle, web.",
        ),
        ({"channels": ["seo", "seo"]}, "channels", "A channel is named twice."),
        ({"specialities": ["", "x"]}, "specialities", "Send a list of non-empty texts."),
        ({"capacity": 0}, "capacity", "A whole number of experiments from 1 to 100."),
        ({"capacity": True}, "capacity", "A whole number of experiments from 1 to 100."),
        ({"owner": 1}, "owner", "Not a profile field."),
    ],
)
def test_it_refuses_a_bad_profile_and_writes_nothing(cmo, operator, fields, field, message):
    profile = OperatorProfile.objects.create(user=operator, channels=["web"], capacity=3)
    with pytest.raises(ValidationFailed) as refused:
        operator_profile_update(profile_id=profile.pk, actor=cmo, **fields)
    assert refused.value.errors[field] == [message]
    profile.refresh_from_db()
    assert (profile.channels, profile.capacity) == (["web"], 3)
    assert AuditEntry.objects.count() == 0


def test_a_profile_is_for_operators_and_only_one_each(cmo, operator, marketer):
    with pytest.raises(ValidationFailed, match="not a growth operator"):
        operator_profile_create(actor=cmo, user=marketer)
    operator_profile_create(actor=cmo, user=operator)
    with pytest.raises(ValidationFailed, match="already has a profile"):
        operator_profile_create(actor=cmo, user=operator)
    assert OperatorProfile.objects.count() == 1


def test_it_warns_only_beyond_capacity(operator):
    OperatorProfile.objects.create(user=operator, capacity=2)
    put_in_status(ExperimentFactory(owner=operator), "running")
    put_in_status(ExperimentFactory(owner=operator), "in_review")
    put_in_status(ExperimentFactory(owner=operator), "concluded", decision="abandon")
    assert capacity_warning(operator) is None

    ExperimentFactory(owner=operator)  # a draft occupies them too

    assert capacity_warning(operator) == (
        "Over capacity: Omar owns 3 active experiments against a capacity of 2; the queue shows it."
    )


def test_no_profile_no_capacity_warning(operator):
    ExperimentFactory(owner=operator)
    assert capacity_warning(operator) is None


# --- the API ------------------------------------------------------------------------------


def test_the_cmo_creates_and_edits_a_team_over_the_api(cmo, operator):
    segment = SegmentFactory()
    api = client_for(cmo)

    created = api.post(
        "/api/v1/teams/",
        {"name": "Activation", "members": [operator.pk], "segments": [segment.pk]},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.data["members"] == [operator.pk]
    assert created.data["segments"] == [segment.pk]

    edited = api.patch(f"/api/v1/teams/{created.data['id']}/", {"members": []}, format="json")
    assert edited.status_code == 200
    assert edited.data["members"] == []
    assert AuditEntry.objects.filter(subject="team").count() == 2


def test_a_bad_team_body_is_a_400_naming_the_field(cmo):
    api = client_for(cmo)
    response = api.post("/api/v1/teams/", {"name": "X", "members": [99999]}, format="json")
    assert response.status_code == 400
    assert "members" in problem_errors(response)
    unknown = api.post("/api/v1/teams/", {"name": "X", "lead": 1}, format="json")
    assert unknown.status_code == 400
    assert "lead" in problem_errors(unknown)
    assert not Team.objects.exists()


def test_the_cmo_creates_and_edits_a_profile_over_the_api(cmo, operator):
    api = client_for(cmo)
    created = api.post(
        "/api/v1/operators/",
        {"user": operator.pk, "channels": ["email"], "specialities": ["lifecycle"], "capacity": 2},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.data["active_experiments"] == 0
    edited = api.patch(
        f"/api/v1/operators/{created.data['id']}/", {"channels": ["nope"]}, format="json"
    )
    assert edited.status_code == 400
    assert "channels" in problem_errors(edited)
    moved = api.patch(f"/api/v1/operators/{created.data['id']}/", {"user": cmo.pk}, format="json")
    assert moved.status_code == 400
    assert OperatorProfile.objects.get().channels == ["email"]
