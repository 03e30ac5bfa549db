import pytest
from django.contrib.auth.models import AnonymousUser

from growthops.errors import NotPermitted
from roles.capabilities import CAPABILITIES, abilities_of, can, refusal, require
from roles.models import Role
from tests.factories import ExperimentFactory

ROLE_ABILITIES = {
    Role.CMO: {
        "objectives.manage",
        "objectives.measure",
        "holdouts.manage",
        "holdouts.data",
        "segments.manage",
        "segments.economics",
        "teams.manage",
        "hypotheses.create",
        "hypotheses.triage",
        "experiments.review",
        "experiments.kill",
        "experiments.conclude",
        "experiments.cost",
        "experiments.share",
        "templates.manage",
        "results.read",
        "results.acknowledge_srm",
        "postmortems.write",
        "comments.create",
        "webhooks.manage",
        "reports.build",
    },
    Role.OPERATOR: {
        "hypotheses.create",
        "hypotheses.triage",
        "experiments.create",
        "experiments.design",
        "experiments.run",
        "experiments.cost",
        "experiments.share",
        "templates.manage",
        "data.upload",
        "results.read",
        "results.acknowledge_srm",
        "postmortems.write",
        "comments.create",
        "segments.economics",
    },
    Role.MARKETER: {
        "segments.economics",
        "hypotheses.create",
        "hypotheses.follow_own",
        "results.read",
        "comments.create",
    },
    Role.ANALYST: {
        "segments.economics",
        "hypotheses.create",
        "data.upload",
        "objectives.measure",
        "holdouts.data",
        "results.read",
        "comments.create",
        "reports.build",
    },
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_it_gives_each_role_exactly_its_abilities(role):
    from tests.factories import UserFactory

    user = UserFactory(role=role)
    assert abilities_of(user) == ROLE_ABILITIES[role]


def test_it_names_only_known_abilities():
    assert set().union(*ROLE_ABILITIES.values()) == set(CAPABILITIES)


def test_it_refuses_anonymous_users_everything():
    anonymous = AnonymousUser()
    assert all(not can(anonymous, ability) for ability in CAPABILITIES)
    assert refusal(anonymous, "results.read") == "Sign in first."


@pytest.mark.django_db
def test_it_explains_an_ownership_refusal(operator, operator2):
    experiment = ExperimentFactory(owner=operator)
    with pytest.raises(NotPermitted, match="Only the owner"):
        require(operator2, "experiments.run", experiment)
    require(operator, "experiments.run", experiment)  # the owner may


@pytest.mark.django_db
def test_it_refuses_deactivated_accounts(outsider):
    assert not can(outsider, "experiments.kill")
