import pytest
from django.contrib.auth.models import AnonymousUser

from growthops.errors import NotPermitted
from roles.capabilities import CAPABILITIES, abilities_of, can, refusal, require
from roles.models import Role
from roles.tokens import ABILITY_SCOPES, scope_needed
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
        "partners.manage",
        "partners.scorecard",
        "experiments.read",
        "experiments.all_partners",
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
        "postmortems.oversee",
        "comments.create",
        "tokens.manage",
        "webhooks.manage",
        "reports.build",
        "warehouse.sources",
        "metrics.define",
        "metrics.official",
        "warehouse.refresh",
    },
    Role.OPERATOR: {
        "experiments.read",
        "experiments.all_partners",
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
        "tokens.manage",
        "segments.economics",
        "warehouse.refresh",
    },
    Role.MARKETER: {
        "experiments.read",
        "experiments.all_partners",
        "segments.economics",
        "hypotheses.create",
        "hypotheses.follow_own",
        "results.read",
        "comments.create",
        "tokens.manage",
    },
    Role.ANALYST: {
        "experiments.read",
        "experiments.all_partners",
        "segments.economics",
        "hypotheses.create",
        "data.upload",
        "objectives.measure",
        "holdouts.data",
        "results.read",
        "comments.create",
        "tokens.manage",
        "reports.build",
        "warehouse.sources",
        "metrics.define",
        "warehouse.refresh",
    },
    # An agency partner's people: their partner's experiments, like an operator, and never
    # a review, a decision or the programme's roll-ups (tests/roles/test_partner_scope.py).
    Role.PARTNER: {
        "hypotheses.create",
        "experiments.create",
        "experiments.design",
        "experiments.run",
        "experiments.read",
        "experiments.share",
        "data.upload",
        "results.acknowledge_srm",
        "comments.create",
        "tokens.manage",
        "partners.scorecard",
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


def test_each_ability_names_the_scope_a_service_token_needs_for_it():
    assert set(ABILITY_SCOPES) == set(CAPABILITIES)
    assert ABILITY_SCOPES["tokens.manage"] is None
    assert {ABILITY_SCOPES[a] for a in ("data.upload", "holdouts.data", "objectives.measure")} == {
        "upload"
    }
    assert ABILITY_SCOPES["webhooks.manage"] == "admin"


@pytest.mark.parametrize(
    ("ability", "method", "override", "scope"),
    [
        ("results.read", "GET", None, "read"),
        ("results.read", "HEAD", None, "read"),
        ("data.upload", "GET", None, "read"),
        ("webhooks.manage", "GET", None, "admin"),
        ("webhooks.manage", "DELETE", None, "admin"),
        ("data.upload", "POST", None, "upload"),
        ("experiments.kill", "POST", None, "steps"),
        ("results.read", "POST", None, "steps"),
        ("results.read", "POST", "read", "read"),
        ("results.read", "GET", "steps", "read"),
        ("tokens.manage", "GET", None, None),
        ("tokens.manage", "POST", "read", None),
    ],
)
def test_the_scope_needed_follows_the_method_the_ability_and_the_override(
    ability, method, override, scope
):
    assert scope_needed(ability, method, override) == scope


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
