"""Templates (protocols): who keeps them, what a design made from one copies, and the fields it
locks (docs/decisions.md, "Templates")."""

import pytest

from experiments import services
from experiments.models import Experiment, ExperimentTemplate
from growthops.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from tests.api.problems import problem_errors
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory, HypothesisFactory, MetricFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def metrics():
    return {
        "signups": MetricFactory(key="signups", name="Sign-ups"),
        "opens": MetricFactory(key="opens", name="Opens"),
        "unsubscribes": MetricFactory(key="unsubscribes", name="Unsubscribes", direction="lower"),
    }


@pytest.fixture
def subject_lines(cmo, metrics):
    template = services.template_create(
        actor=cmo,
        name="E-mail subject line",
        kind="email_subject",
        primary_metric=metrics["opens"],
        guardrail_metrics=[metrics["unsubscribes"]],
        alpha=0.01,
        power=0.9,
        mde=0.05,
        min_run_weeks=2,
        decision_rule={"guardrail_tolerance": 0.01},
        locked_fields=["alpha", "guardrail_metrics", "decision_rule"],
    )
    return template


def test_the_cmo_and_operators_keep_templates_and_others_may_not(cmo, operator, marketer):
    services.template_create(actor=operator, name="Landing page", kind="landing_page")
    services.template_create(actor=cmo, name="Pricing", kind="pricing")
    with pytest.raises(NotPermitted, match="Only CMO, Growth operator may create and edit"):
        services.template_create(actor=marketer, name="Mine", kind="other")
    assert sorted(ExperimentTemplate.objects.values_list("name", flat=True)) == [
        "Landing page",
        "Pricing",
    ]


def test_a_template_stores_its_rule_in_full(subject_lines):
    assert subject_lines.decision_rule == {
        "guardrail_tolerance": 0.01,
        "guardrail_tolerances": {},
        "ship_chance": 0.95,
        "max_expected_loss": 0.005,
        "abandon_when_mde_ruled_out": True,
        "apply_false_win_level": False,
    }
    assert subject_lines.locked_fields == ["alpha", "decision_rule", "guardrail_metrics"]


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (
            {"locked_fields": ["alpha", "status"]},
            {
                "locked_fields": [
                    "status cannot be locked; lockable: primary_metric, secondary_metrics, "
                    "guardrail_metrics, method, correction, sequential_tau, alpha, power, mde, "
                    "min_run_weeks, decision_rule."
                ]
            },
        ),
        (
            {"decision_rule": {"ship_chance": 2}},
            {"decision_rule": ["ship_chance: must lie in (0.5, 0.9999]"]},
        ),
        (
            {"decision_rule": {"guardrail_tolerances": {"nope": 0.1}}},
            {"decision_rule": ["guardrail_tolerances: no metric “nope”"]},
        ),
        ({"method": "sequential"}, {"sequential_tau": ["Sequential analysis needs τ."]}),
        ({"alpha": 0.7}, {"alpha": ["Alpha must lie strictly between 0 and 0.5."]}),
        ({"min_run_weeks": 20}, {"min_run_weeks": ["The minimum run time is at most 12 weeks."]}),
    ],
)
def test_a_bad_template_is_refused_field_by_field_and_nothing_is_written(cmo, fields, errors):
    with pytest.raises(ValidationFailed) as refused:
        services.template_create(actor=cmo, name="Bad", kind="other", **fields)
    assert refused.value.errors == errors
    assert not ExperimentTemplate.objects.exists()


# --- a design made from a template -----------------------------------------------------------


def design(operator, template, **fields):
    return services.experiment_create(
        actor=operator,
        hypothesis=HypothesisFactory(status="backlog"),
        name="Subject: your trial ends",
        key="subject-trial-ends",
        template=template,
        **fields,
    )


def test_a_design_starts_with_the_templates_protocol(operator, subject_lines, metrics):
    experiment = design(operator, subject_lines)

    assert experiment.template == subject_lines
    assert (experiment.primary_metric, experiment.alpha, experiment.power) == (
        metrics["opens"],
        0.01,
        0.9,
    )
    assert (experiment.mde, experiment.min_run_weeks) == (0.05, 2)
    assert experiment.decision_rule["guardrail_tolerance"] == 0.01
    assert list(experiment.guardrail_metrics.all()) == [metrics["unsubscribes"]]


def test_a_design_may_change_what_the_template_leaves_open(operator, subject_lines, metrics):
    experiment = design(operator, subject_lines, mde=0.08, primary_metric=metrics["signups"])
    assert (experiment.mde, experiment.primary_metric) == (0.08, metrics["signups"])


def test_a_design_may_not_start_with_another_value_for_a_locked_field(operator, subject_lines):
    with pytest.raises(ValidationFailed) as refused:
        design(operator, subject_lines, alpha=0.05, guardrail_metrics=[])
    assert refused.value.errors == {
        "alpha": ["Locked by the template “E-mail subject line”: it stays 0.01."],
        "guardrail_metrics": [
            "Locked by the template “E-mail subject line”: it stays Unsubscribes."
        ],
    }
    assert not Experiment.objects.exists()
    # Its own value is no change.
    assert design(operator, subject_lines, alpha=0.01).alpha == 0.01


def test_editing_a_locked_field_of_a_draft_is_refused(operator, subject_lines, metrics):
    experiment = design(operator, subject_lines)

    with pytest.raises(ValidationFailed) as refused:
        services.experiment_update_design(
            experiment_id=experiment.pk,
            actor=operator,
            decision_rule={"guardrail_tolerance": 0.1},
            mde=0.2,
        )

    assert refused.value.errors == {
        "decision_rule": [
            "Locked by the template “E-mail subject line”: it stays the template's rule."
        ]
    }
    experiment.refresh_from_db()
    assert experiment.mde == 0.05 and experiment.decision_rule["guardrail_tolerance"] == 0.01
    # The same rule, written in part, is no change; an open field changes.
    services.experiment_update_design(
        experiment_id=experiment.pk,
        actor=operator,
        decision_rule={"guardrail_tolerance": 0.01},
        mde=0.2,
    )
    experiment.refresh_from_db()
    assert experiment.mde == 0.2


def test_approval_freezes_the_decision_rule(operator):
    experiment = put_in_status(ExperimentFactory(owner=operator), "approved")
    with pytest.raises(TransitionNotAllowed, match="frozen at approval"):
        services.experiment_update_design(
            experiment_id=experiment.pk, actor=operator, decision_rule={"ship_chance": 0.99}
        )


# --- over the API --------------------------------------------------------------------------


def test_templates_are_written_and_read_over_the_api(anonymous_api, operator, analyst, metrics):
    anonymous_api.force_authenticate(operator)
    created = anonymous_api.post(
        "/api/v1/templates/",
        {
            "name": "Landing page",
            "kind": "landing_page",
            "primary_metric": "signups",
            "guardrail_metrics": ["unsubscribes"],
            "method": "sequential",
            "sequential_tau": 0.05,
            "min_run_weeks": 2,
            "decision_rule": {"guardrail_tolerances": {"unsubscribes": 0.03}},
            "locked_fields": ["method", "primary_metric"],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["primary_metric"], body["guardrail_metrics"]) == ("signups", ["unsubscribes"])
    assert body["decision_rule"]["guardrail_tolerances"] == {"unsubscribes": 0.03}
    assert body["locked_fields"] == ["method", "primary_metric"]
    assert body["created_by"] == str(operator)

    changed = anonymous_api.patch(
        f"/api/v1/templates/{body['id']}/", {"min_run_weeks": 3, "mde": 0.04}, format="json"
    )
    assert changed.status_code == 200
    assert (changed.json()["min_run_weeks"], changed.json()["mde"]) == (3, 0.04)

    anonymous_api.force_authenticate(analyst)
    listed = anonymous_api.get("/api/v1/templates/?kind=landing_page").json()["results"]
    assert [row["name"] for row in listed] == ["Landing page"]


def test_a_bad_template_over_the_api_is_a_400_that_writes_nothing(anonymous_api, cmo):
    anonymous_api.force_authenticate(cmo)
    response = anonymous_api.post(
        "/api/v1/templates/",
        {"name": "X", "kind": "other", "decision_rule": {"ship_when": "always"}},
        format="json",
    )
    assert response.status_code == 400
    assert problem_errors(response) == {
        "decision_rule": ["ship_when: not a field of the decision rule"]
    }
    assert not ExperimentTemplate.objects.exists()


def test_a_design_from_a_template_over_the_api_keeps_its_locks(
    anonymous_api, operator, subject_lines
):
    anonymous_api.force_authenticate(operator)
    hypothesis = HypothesisFactory(status="backlog")
    created = anonymous_api.post(
        "/api/v1/experiments/",
        {
            "hypothesis": hypothesis.pk,
            "name": "Subject",
            "key": "subject",
            "template": subject_lines.pk,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["template"], body["alpha"], body["min_run_weeks"]) == (subject_lines.pk, 0.01, 2)

    locked = anonymous_api.patch(
        f"/api/v1/experiments/{body['id']}/", {"alpha": 0.05}, format="json"
    )
    assert locked.status_code == 400
    assert problem_errors(locked) == {
        "alpha": ["Locked by the template “E-mail subject line”: it stays 0.01."]
    }
    moved = anonymous_api.patch(
        f"/api/v1/experiments/{body['id']}/", {"template": None}, format="json"
    )
    assert moved.status_code == 400
    assert problem_errors(moved) == {
        "template": ["Set when the design is created; it cannot change."]
    }
    assert Experiment.objects.get(pk=body["id"]).template == subject_lines
