import pytest

from experiments import lifecycle
from experiments.models import Experiment, Hypothesis, StatusChange
from growthops.errors import TransitionNotAllowed, ValidationFailed
from tests.experiments.helpers import STEP_KWARGS, put_in_status
from tests.factories import ExperimentFactory, MetricFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def experiment(operator):
    return ExperimentFactory(owner=operator)


def walk(experiment, steps, *, owner, cmo):
    for step in steps:
        actor = cmo if step in ("approve", "request_changes", "conclude", "kill") else owner
        lifecycle.STEP_SERVICES[step](experiment_id=experiment.pk, actor=actor, **STEP_KWARGS[step])
    experiment.refresh_from_db()
    return experiment


def test_it_walks_the_happy_path_and_writes_the_audit_trail(experiment, operator, cmo):
    walk(
        experiment,
        ["submit", "approve", "start", "pause", "resume", "complete", "conclude"],
        owner=operator,
        cmo=cmo,
    )

    assert experiment.status == "concluded"
    trail = list(
        experiment.status_changes.values_list("step", "from_status", "to_status", "actor__username")
    )
    assert trail == [
        ("submit", "draft", "in_review", "operator"),
        ("approve", "in_review", "approved", "cmo"),
        ("start", "approved", "running", "operator"),
        ("pause", "running", "paused", "operator"),
        ("resume", "paused", "running", "operator"),
        ("complete", "running", "completed", "operator"),
        ("conclude", "completed", "concluded", "cmo"),
    ]
    assert experiment.start_date is not None and experiment.end_date is not None
    assert experiment.decision == "scale" and experiment.outcome == "won"
    assert Hypothesis.objects.get(pk=experiment.hypothesis_id).status == "validated"
    # Without result data both calls went against the plan, and say why.
    overrides = experiment.status_changes.exclude(override_reason="").values_list(
        "step", "override_reason"
    )
    assert dict(overrides) == {
        "complete": "The launch date moved: we stop here.",
        "conclude": "Scaling on the interviews as well as the data.",
    }


def test_it_refuses_to_start_without_approval(experiment, operator):
    with pytest.raises(TransitionNotAllowed, match="needs it approved"):
        lifecycle.experiment_start(experiment_id=experiment.pk, actor=operator)
    experiment.refresh_from_db()
    assert experiment.status == "draft" and experiment.start_date is None
    assert not StatusChange.objects.exists()


@pytest.mark.parametrize(
    ("step", "status"),
    [
        ("approve", "draft"),
        ("pause", "approved"),
        ("resume", "approved"),
        ("complete", "approved"),
        ("conclude", "running"),
        ("kill", "concluded"),
        ("submit", "running"),
    ],
)
def test_it_refuses_steps_from_the_wrong_status(step, status, operator, cmo):
    experiment = put_in_status(ExperimentFactory(owner=operator), status)
    actor = cmo if step in ("approve", "conclude", "kill") else operator
    with pytest.raises(TransitionNotAllowed):
        lifecycle.STEP_SERVICES[step](experiment_id=experiment.pk, actor=actor, **STEP_KWARGS[step])
    experiment.refresh_from_db()
    assert experiment.status == status
    assert not StatusChange.objects.exists()


@pytest.mark.parametrize("step", ["submit", "approve", "start", "pause", "kill"])
def test_it_treats_a_repeated_step_as_a_no_op(step, experiment, operator, cmo):
    path = {
        "submit": ["submit"],
        "approve": ["submit", "approve"],
        "start": ["submit", "approve", "start"],
        "pause": ["submit", "approve", "start", "pause"],
        "kill": ["kill"],
    }[step]
    walk(experiment, path, owner=operator, cmo=cmo)
    before = StatusChange.objects.count()
    status = experiment.status

    walk(experiment, [step], owner=operator, cmo=cmo)

    assert experiment.status == status
    assert StatusChange.objects.count() == before


def test_submit_reports_every_missing_item_at_once(operator):
    experiment = ExperimentFactory(
        owner=operator,
        objective=None,
        segment=None,
        primary_metric=None,
        baseline=None,
        mde=None,
        daily_traffic=None,
        variants=[("control", True, 0.7)],
    )
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.experiment_submit(experiment_id=experiment.pk, actor=operator)
    assert set(refused.value.errors) == {
        "objective",
        "segment",
        "primary_metric",
        "variants",
        "weights",
        "baseline",
        "mde",
        "daily_traffic",
    }
    experiment.refresh_from_db()
    assert experiment.status == "draft"


def test_submit_refuses_two_controls(operator):
    experiment = ExperimentFactory(owner=operator, variants=[("a", True, 0.5), ("b", False, 0.5)])
    experiment.variants.filter(key="b").update(is_control=False)
    experiment.variants.filter(key="a").update(weight=0.4)
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.experiment_submit(experiment_id=experiment.pk, actor=operator)
    assert refused.value.errors == {"weights": ["Weights must sum to 1 (they sum to 0.9)."]}


def test_submit_needs_a_standard_deviation_for_a_mean_metric(operator):
    metric = MetricFactory(key="revenue", kind="mean")
    experiment = ExperimentFactory(owner=operator, primary_metric=metric, baseline=12.0)
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.experiment_submit(experiment_id=experiment.pk, actor=operator)
    assert list(refused.value.errors) == ["baseline_sd"]


def test_request_changes_needs_a_note_and_returns_to_draft(experiment, operator, cmo):
    walk(experiment, ["submit"], owner=operator, cmo=cmo)
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.experiment_request_changes(experiment_id=experiment.pk, actor=cmo, note="  ")
    assert list(refused.value.errors) == ["note"]

    lifecycle.experiment_request_changes(
        experiment_id=experiment.pk, actor=cmo, note="Halve the MDE."
    )
    experiment.refresh_from_db()
    assert experiment.status == "draft"
    assert experiment.status_changes.last().note == "Halve the MDE."


def test_complete_needs_analysis_and_a_recommendation(experiment, operator, cmo):
    walk(experiment, ["submit", "approve", "start"], owner=operator, cmo=cmo)
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.experiment_complete(
            experiment_id=experiment.pk, actor=operator, analysis="", recommendation="ship"
        )
    assert set(refused.value.errors) == {"analysis", "recommendation"}
    experiment.refresh_from_db()
    assert experiment.status == "running" and experiment.end_date is None


def test_conclude_needs_decision_outcome_and_learnings(experiment, operator, cmo):
    walk(experiment, ["submit", "approve", "start", "complete"], owner=operator, cmo=cmo)
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.experiment_conclude(
            experiment_id=experiment.pk, actor=cmo, decision="", outcome="maybe", learnings=""
        )
    assert set(refused.value.errors) == {"decision", "outcome", "learnings"}


def test_conclude_with_iterate_creates_a_linked_follow_up_hypothesis(experiment, operator, cmo):
    walk(experiment, ["submit", "approve", "start", "complete"], owner=operator, cmo=cmo)
    lifecycle.experiment_conclude(
        experiment_id=experiment.pk,
        actor=cmo,
        decision="iterate",
        outcome="inconclusive",
        learnings="Only mobile users reacted.",
    )
    follow_up = Hypothesis.objects.get(iterates_on_experiment=experiment)
    assert follow_up.iterates_on_hypothesis_id == experiment.hypothesis_id
    assert follow_up.status == "new" and follow_up.author == cmo
    assert "Only mobile users reacted." in follow_up.observation
    assert Hypothesis.objects.get(pk=experiment.hypothesis_id).status == "inconclusive"


def test_conclude_without_iterate_creates_no_hypothesis(experiment, operator, cmo):
    walk(experiment, ["submit", "approve", "start", "complete"], owner=operator, cmo=cmo)
    count = Hypothesis.objects.count()
    lifecycle.experiment_conclude(
        experiment_id=experiment.pk, actor=cmo, decision="abandon", outcome="lost", learnings="No."
    )
    assert Hypothesis.objects.count() == count
    assert Hypothesis.objects.get(pk=experiment.hypothesis_id).status == "invalidated"


def test_kill_takes_a_reason_from_the_list_and_a_note(experiment, operator, cmo):
    walk(experiment, ["submit", "approve", "start"], owner=operator, cmo=cmo)
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.experiment_kill(experiment_id=experiment.pk, actor=cmo, reason="bored", note="")
    assert set(refused.value.errors) == {"reason", "note"}

    lifecycle.experiment_kill(
        experiment_id=experiment.pk, actor=cmo, reason="no_traffic", note="Two visits a day."
    )
    experiment.refresh_from_db()
    assert (experiment.status, experiment.kill_reason, experiment.kill_note) == (
        "killed",
        "no_traffic",
        "Two visits a day.",
    )
    assert Hypothesis.objects.get(pk=experiment.hypothesis_id).status == "backlog"


def test_it_refuses_a_step_decided_on_a_stale_view(experiment, operator, cmo):
    walk(experiment, ["submit", "approve"], owner=operator, cmo=cmo)
    with pytest.raises(TransitionNotAllowed, match="reload"):
        lifecycle.experiment_kill(
            experiment_id=experiment.pk,
            actor=cmo,
            reason="harmful",
            note="x",
            expected_status="in_review",
        )
    experiment.refresh_from_db()
    assert experiment.status == "approved"


def test_available_steps_follow_the_transition_table(operator):
    experiment = put_in_status(ExperimentFactory(owner=operator), "running")
    assert lifecycle.available_steps(experiment) == ["pause", "complete", "kill"]
    assert lifecycle.available_steps(put_in_status(experiment, "concluded")) == []


def test_start_puts_the_hypothesis_in_test(experiment, operator, cmo):
    walk(experiment, ["submit", "approve", "start"], owner=operator, cmo=cmo)
    assert Hypothesis.objects.get(pk=experiment.hypothesis_id).status == "in_test"
    assert Experiment.objects.get(pk=experiment.pk).start_date is not None


def test_a_step_never_taken_is_not_mistaken_for_a_repeat(experiment, cmo):
    # A draft that was never submitted: "request changes" did not put it there.
    with pytest.raises(TransitionNotAllowed):
        lifecycle.experiment_request_changes(experiment_id=experiment.pk, actor=cmo, note="x")
    assert not StatusChange.objects.exists()


def test_approve_rechecks_the_design(experiment, operator, cmo):
    walk(experiment, ["submit"], owner=operator, cmo=cmo)
    Experiment.objects.filter(pk=experiment.pk).update(baseline=None)
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.experiment_approve(experiment_id=experiment.pk, actor=cmo)
    assert list(refused.value.errors) == ["baseline"]
    assert Experiment.objects.get(pk=experiment.pk).status == "in_review"


def test_nothing_starts_in_a_sunset_segment(experiment, operator, cmo):
    walk(experiment, ["submit", "approve"], owner=operator, cmo=cmo)
    experiment.segment.status = "sunset"
    experiment.segment.save()
    with pytest.raises(ValidationFailed, match="sunset"):
        lifecycle.experiment_start(experiment_id=experiment.pk, actor=operator)
    assert Experiment.objects.get(pk=experiment.pk).status == "approved"


def test_an_unknown_expected_status_is_a_clear_refusal(experiment, operator):
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.experiment_submit(
            experiment_id=experiment.pk, actor=operator, expected_status="bogus"
        )
    assert list(refused.value.errors) == ["expected_status"]


def test_killing_one_test_keeps_the_hypothesis_in_test_while_another_runs(operator, cmo):
    first = put_in_status(ExperimentFactory(owner=operator), "running")
    put_in_status(ExperimentFactory(owner=operator, hypothesis=first.hypothesis), "running")
    Hypothesis.objects.filter(pk=first.hypothesis_id).update(status="in_test")
    lifecycle.experiment_kill(
        experiment_id=first.pk, actor=cmo, reason="duplicate", note="Twin test."
    )
    assert Hypothesis.objects.get(pk=first.hypothesis_id).status == "in_test"


def test_every_step_of_the_table_is_a_recorded_step_choice():
    from experiments.lifecycle import STEP_SERVICES, STEPS
    from experiments.models import Step

    assert list(STEPS) == list(STEP_SERVICES) == Step.values


@pytest.mark.parametrize(
    ("step", "status", "who"),
    [
        ("request_changes", "in_review", "cmo"),
        ("complete", "running", "operator"),
        ("conclude", "completed", "cmo"),
        ("kill", "running", "cmo"),
    ],
)
def test_a_step_refuses_exactly_the_inputs_it_marks_required(
    experiment, operator, cmo, step, status, who
):
    # The pages mark a step's ``required`` inputs; its check is what refuses them.
    put_in_status(experiment, status, start_date="2026-11-01")
    empty = dict.fromkeys(lifecycle.STEPS[step].inputs, "")
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.run_step(
            step, experiment_id=experiment.pk, actor={"cmo": cmo, "operator": operator}[who],
            **empty,
        )  # fmt: skip
    assert set(refused.value.errors) == set(lifecycle.STEPS[step].required)
    experiment.refresh_from_db()
    assert experiment.status == status
