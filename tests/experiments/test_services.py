import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from experiments import lifecycle, selectors, services
from experiments.design import experiment_design
from experiments.models import (
    Comment,
    Experiment,
    Hypothesis,
    Objective,
    Segment,
    SegmentEconomics,
)
from growthops.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from roles.models import OperatorProfile
from tests.experiments.helpers import put_in_status
from tests.factories import (
    ExperimentFactory,
    HypothesisFactory,
    MetricFactory,
    ObjectiveFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db

VARIANTS = [
    {"key": "control", "name": "Control", "is_control": True, "weight": 0.5},
    {"key": "b", "name": "Logos", "is_control": False, "weight": 0.5},
]


def test_an_operator_designs_an_experiment_from_a_hypothesis(operator):
    hypothesis = HypothesisFactory()
    experiment = services.experiment_create(
        actor=operator,
        hypothesis=hypothesis,
        name="Logo wall",
        key="logo-wall",
        baseline=0.1,
        daily_traffic=3000,
        variants=VARIANTS,
    )
    assert experiment.owner == operator and experiment.status == "draft"
    assert (
        experiment.objective == hypothesis.objective
        and experiment.primary_metric == hypothesis.metric
    )
    assert experiment.mde == hypothesis.expected_mde
    assert [v.key for v in experiment.variants.all()] == ["control", "b"]


@pytest.mark.parametrize(
    ("variants", "problem"),
    [
        ([{"key": "control", "name": "C", "is_control": True, "weight": 1.0}], "variants"),
        (
            [
                {"key": "a", "name": "A", "is_control": False, "weight": 0.5},
                {"key": "b", "name": "B", "is_control": False, "weight": 0.5},
            ],
            "control",
        ),
        (
            [
                {"key": "a", "name": "A", "is_control": True, "weight": 0.6},
                {"key": "b", "name": "B", "is_control": False, "weight": 0.6},
            ],
            "weights",
        ),
        (
            [
                {"key": "a", "name": "A", "is_control": True, "weight": 1.2},
                {"key": "b", "name": "B", "is_control": False, "weight": -0.2},
            ],
            "weights",
        ),
    ],
)
def test_it_refuses_bad_variants_and_writes_nothing(operator, variants, problem):
    from experiments.models import Experiment

    with pytest.raises(ValidationFailed) as refused:
        services.experiment_create(
            actor=operator, hypothesis=HypothesisFactory(), name="X", key="x", variants=variants
        )
    assert problem in refused.value.errors
    assert not Experiment.objects.filter(key="x").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("alpha", 0.5), ("alpha", 0), ("power", 0.5), ("power", 1.0), ("mde", 0), ("mde", -0.1)],
)
def test_it_validates_design_parameters(operator, field, value):
    with pytest.raises(ValidationFailed) as refused:
        services.experiment_create(
            actor=operator, hypothesis=HypothesisFactory(), name="X", key="x", **{field: value}
        )
    assert field in refused.value.errors


def test_marketers_cannot_design_experiments(marketer):
    with pytest.raises(NotPermitted):
        services.experiment_create(
            actor=marketer, hypothesis=HypothesisFactory(), name="X", key="x"
        )


def test_operators_cannot_exceed_their_capacity(operator):
    OperatorProfile.objects.create(user=operator, capacity=1)
    ExperimentFactory(owner=operator)
    with pytest.raises(ValidationFailed, match="capacity 1"):
        services.experiment_create(
            actor=operator, hypothesis=HypothesisFactory(), name="X", key="x"
        )


def test_approval_freezes_the_design(operator, cmo):
    experiment = ExperimentFactory(owner=operator)
    services.experiment_update_design(experiment_id=experiment.pk, actor=operator, mde=0.2)
    lifecycle.experiment_submit(experiment_id=experiment.pk, actor=operator)
    lifecycle.experiment_approve(experiment_id=experiment.pk, actor=cmo)

    with pytest.raises(TransitionNotAllowed, match="frozen"):
        services.experiment_update_design(experiment_id=experiment.pk, actor=operator, mde=0.05)
    with pytest.raises(TransitionNotAllowed, match="frozen"):
        services.experiment_update_design(
            experiment_id=experiment.pk, actor=operator, variants=VARIANTS
        )
    experiment.refresh_from_db()
    assert experiment.mde == 0.2


def test_only_the_owner_edits_the_design(operator, operator2):
    experiment = ExperimentFactory(owner=operator)
    with pytest.raises(NotPermitted):
        services.experiment_update_design(experiment_id=experiment.pk, actor=operator2, mde=0.3)


def test_the_design_gives_sample_size_and_duration(operator):
    experiment = ExperimentFactory(
        owner=operator, baseline=0.1, mde=0.1, daily_traffic=2000, alpha=0.05, power=0.8
    )
    design = experiment_design(experiment)
    # Two-proportion test, 10 % → 11 %, α 0.05, power 0.8: 14,751 per arm (docs/statistics.md, power).
    assert design.sample_size_per_variant == 14751
    assert design.total_sample_size == 2 * 14751
    assert design.duration_days == 15


def test_the_design_of_a_mean_metric(operator):
    metric = MetricFactory(key="revenue", kind="mean")
    experiment = ExperimentFactory(
        owner=operator,
        primary_metric=metric,
        baseline=10.0,
        baseline_sd=20.0,
        mde=0.1,
        daily_traffic=1000,
    )
    # n = 2 (1.959964 + 0.841621)² 20² / 1² = 6279.1 → 6280
    assert experiment_design(experiment).sample_size_per_variant == 6280


def test_everyone_logs_hypotheses_but_only_operators_and_the_cmo_triage(
    marketer, operator, analyst
):
    hypothesis = services.hypothesis_create(
        actor=marketer,
        title="Shorter form",
        observation="drop-off at field 4",
        change="remove fields",
        effect="more sign-ups",
        metric=MetricFactory(),
        expected_mde=0.05,
        channel="web",
        objective=HypothesisFactory().objective,
        segment=SegmentFactory(),
        impact=7,
        confidence=6,
        ease=9,
    )
    assert hypothesis.status == "new" and hypothesis.ice_score == 7.33
    with pytest.raises(NotPermitted):
        services.hypothesis_triage(hypothesis_id=hypothesis.pk, actor=analyst, status="backlog")
    services.hypothesis_triage(hypothesis_id=hypothesis.pk, actor=operator, status="rejected")
    assert Hypothesis.objects.get(pk=hypothesis.pk).status == "rejected"


@pytest.mark.parametrize("score", [0, 11])
def test_ice_scores_lie_between_1_and_10(operator, score):
    hypothesis = HypothesisFactory()
    with pytest.raises(ValidationFailed) as refused:
        services.hypothesis_score(
            hypothesis_id=hypothesis.pk, actor=operator, impact=score, confidence=5, ease=5
        )
    assert "impact" in refused.value.errors
    assert Hypothesis.objects.get(pk=hypothesis.pk).impact == 6


def test_rice_is_derived_when_reach_and_effort_are_given(operator):
    hypothesis = HypothesisFactory()
    services.hypothesis_score(
        hypothesis_id=hypothesis.pk,
        actor=operator,
        impact=8,
        confidence=5,
        ease=4,
        reach=2000,
        effort=2,
    )
    hypothesis.refresh_from_db()
    assert hypothesis.rice_score == 2000 * 8 * 0.5 / 2
    assert hypothesis.ice_score == 5.67


def test_the_cmo_sunsets_a_segment_only_without_running_experiments(cmo, operator):
    segment = SegmentFactory()
    running = put_in_status(ExperimentFactory(owner=operator, segment=segment), "running")
    with pytest.raises(TransitionNotAllowed, match="still has experiments running"):
        services.segment_sunset(segment_id=segment.pk, actor=cmo)
    put_in_status(running, "completed")
    services.segment_sunset(segment_id=segment.pk, actor=cmo)
    segment.refresh_from_db()
    assert segment.status == Segment.Status.SUNSET and segment.sunset_on is not None
    with pytest.raises(NotPermitted):
        services.segment_launch(segment_id=segment.pk, actor=operator)


def test_objectives_are_the_cmos(cmo, operator):
    fields = {
        "name": "ARR",
        "kpi": "ARR",
        "baseline": 10,
        "target": 12,
        "target_date": timezone.localdate() + dt.timedelta(days=365),
    }
    with pytest.raises(NotPermitted):
        services.objective_create(actor=operator, **fields)
    objective = services.objective_create(actor=cmo, **fields)
    assert objective.owner == cmo and objective.gap == 2
    with pytest.raises(ValidationFailed):
        services.objective_create(actor=cmo, **{**fields, "target": 10})


PASSED = dt.date(2020, 1, 1)


def test_a_new_objective_may_not_aim_at_a_day_that_has_passed(cmo):
    fields = {"name": "CAC", "kpi": "Blended CAC", "baseline": 420, "target": 350}

    with pytest.raises(ValidationFailed) as refused:
        services.objective_create(actor=cmo, target_date=PASSED, **fields)
    assert refused.value.errors == {
        "target_date": ["1 Jan 2020 has passed; a target date is today or later."]
    }
    # With another problem, both are named at once.
    with pytest.raises(ValidationFailed) as refused:
        services.objective_create(actor=cmo, target_date=PASSED, **{**fields, "target": 420})
    assert refused.value.errors == {
        "target": ["The target must differ from the baseline."],
        "target_date": ["1 Jan 2020 has passed; a target date is today or later."],
    }
    assert not Objective.objects.exists()

    today = timezone.localdate()
    assert services.objective_create(actor=cmo, target_date=today, **fields).target_date == today


def test_an_objective_past_its_date_takes_edits_but_not_a_new_past_date(cmo):
    objective = ObjectiveFactory(name="Old", baseline=100, target=200, target_date=PASSED)

    # The page and a PUT send the date it has with the rest: that is not setting it.
    services.objective_update(
        objective_id=objective.pk, actor=cmo, name="Renamed", target=250, target_date=PASSED
    )
    objective.refresh_from_db()
    assert (objective.name, objective.target, objective.target_date) == ("Renamed", 250, PASSED)

    with pytest.raises(ValidationFailed) as refused:
        services.objective_update(
            objective_id=objective.pk, actor=cmo, name="Again", target_date=dt.date(2020, 6, 30)
        )
    assert refused.value.errors == {
        "target_date": ["30 Jun 2020 has passed; a target date is today or later."]
    }
    objective.refresh_from_db()
    assert (objective.name, objective.target_date) == ("Renamed", PASSED)

    later = timezone.localdate() + dt.timedelta(days=90)
    services.objective_update(objective_id=objective.pk, actor=cmo, target_date=later)
    objective.refresh_from_db()
    assert objective.target_date == later


def test_the_design_is_frozen_once_in_review(operator):
    experiment = put_in_status(ExperimentFactory(owner=operator), "in_review")
    with pytest.raises(TransitionNotAllowed, match="frozen"):
        services.experiment_update_design(experiment_id=experiment.pk, actor=operator, mde=0.3)


def test_it_saves_a_new_design_and_submits_it_in_one_call(operator):
    hypothesis = HypothesisFactory()
    experiment = services.experiment_save_design(
        actor=operator, hypothesis=hypothesis, name="Logo wall", key="logo-wall",
        baseline=0.1, daily_traffic=3000, variants=VARIANTS, submit=True,
    )  # fmt: skip
    experiment.refresh_from_db()
    assert (experiment.status, experiment.owner, experiment.baseline) == (
        "in_review",
        operator,
        0.1,
    )
    assert list(experiment.status_changes.values_list("step", flat=True)) == ["submit"]


def test_a_new_design_that_cannot_be_submitted_is_not_saved_either(operator):
    with pytest.raises(ValidationFailed) as refused:
        services.experiment_save_design(
            actor=operator, hypothesis=HypothesisFactory(), name="X", key="x",
            daily_traffic=3000, variants=VARIANTS, submit=True,
        )  # fmt: skip
    assert refused.value.errors["baseline"] == ["Give the control's baseline."]
    assert not Experiment.objects.filter(key="x").exists()


def test_an_edit_that_cannot_be_submitted_is_rolled_back(operator):
    experiment = ExperimentFactory(owner=operator, baseline=0.1)
    with pytest.raises(ValidationFailed):
        services.experiment_save_design(
            actor=operator, experiment_id=experiment.pk, baseline=None, mde=0.3, submit=True
        )
    experiment.refresh_from_db()
    assert (experiment.status, experiment.baseline, experiment.mde) == ("draft", 0.1, 0.1)
    assert not experiment.status_changes.exists()


def test_untriaged_hypotheses_cannot_be_tested_yet(operator):
    with pytest.raises(ValidationFailed, match="triage it"):
        services.experiment_create(
            actor=operator, hypothesis=HypothesisFactory(status="new"), name="X", key="x"
        )


def test_the_cmo_updates_an_objective_and_a_bad_target_is_refused(cmo, operator):
    objective = ObjectiveFactory(baseline=100, target=200)

    services.objective_update(objective_id=objective.pk, actor=cmo, target=250)
    objective.refresh_from_db()
    assert objective.target == 250

    with pytest.raises(ValidationFailed):
        services.objective_update(objective_id=objective.pk, actor=cmo, target=objective.baseline)
    with pytest.raises(NotPermitted):
        services.objective_update(objective_id=objective.pk, actor=operator, target=300)
    objective.refresh_from_db()
    assert objective.target == 250


def test_it_comments_on_exactly_one_thing(marketer):
    hypothesis = HypothesisFactory()

    comment = services.comment_create(
        actor=marketer, body="  Seen this in SEO too. ", hypothesis=hypothesis
    )

    assert (comment.hypothesis, comment.experiment, comment.body) == (
        hypothesis,
        None,
        "Seen this in SEO too.",
    )
    with pytest.raises(ValidationFailed):
        services.comment_create(actor=marketer, body=" ", hypothesis=hypothesis)
    with pytest.raises(ValidationFailed):
        services.comment_create(actor=marketer, body="Both?")
    assert Comment.objects.count() == 1


def test_the_backlog_lists_hypotheses_for_members_only(marketer, outsider):
    hypothesis = HypothesisFactory()

    assert list(selectors.hypothesis_list_for_user(user=marketer)) == [hypothesis]
    assert list(selectors.hypothesis_list_for_user(user=outsider)) == []


def test_segment_economics_derive_cac_and_value_to_cost():
    economics = SegmentEconomics(
        customers_acquired=40, customer_value=Decimal("12000"), acquisition_cost=Decimal("4000")
    )
    assert (economics.cac, economics.value_to_cost) == (100, 3)
    nothing = SegmentEconomics(customers_acquired=0, customer_value=0, acquisition_cost=0)
    assert (nothing.cac, nothing.value_to_cost) == (None, None)
