"""Post-mortems: opened by every conclude and kill in the step's transaction, pre-filled from the
hypothesis and the latest look, written through one service (docs/postmortems.md)."""

import datetime as dt

import pytest
from django.utils import timezone

from analytics.analysis.pipeline import experiments_analyse
from analytics.ingest.observations import observations_ingest
from experiments.lifecycle import experiment_conclude, experiment_kill
from experiments.models import StatusChange
from growthops.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from programme.models import Notice, Postmortem, PostmortemAction
from programme.postmortems import postmortem_create, postmortem_update
from tests.analytics.helpers import START, binomial_rows, running_experiment
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory, HypothesisFactory

pytestmark = pytest.mark.django_db

CONCLUDE = {
    "decision": "scale",
    "outcome": "won",
    "learnings": "Logos build trust.",
    "override_reason": "Interviews back it.",
}


def completed(owner, marketer):
    """A completed test of the marketer's idea with one look: control 100/1000, b 120/1000."""
    experiment = running_experiment(owner, hypothesis=HypothesisFactory(author=marketer))
    observations_ingest(experiment_id=experiment.pk, actor=owner, rows=binomial_rows())
    experiments_analyse([experiment.pk])
    return put_in_status(experiment, "completed", end_date=START + dt.timedelta(days=14))


def test_it_opens_a_postmortem_when_an_experiment_is_concluded(cmo, operator, marketer):
    experiment = completed(operator, marketer)

    experiment_conclude(experiment_id=experiment.pk, actor=cmo, **CONCLUDE)

    pm = Postmortem.objects.get(experiment=experiment)
    assert pm.status == "draft"
    assert pm.opened_by_step == "conclude"
    assert pm.due_date == timezone.localdate() + dt.timedelta(days=7)
    assert pm.believed == experiment.hypothesis.statement
    assert pm.metric_id == experiment.primary_metric_id
    assert pm.variant == experiment.variants.get(key="b").name
    # 12 % against 10 %: a relative lift of +20 %, its delta-method interval by hand:
    # se_rel = sqrt(.12·.88/(1000·.1²) + .12²·.1·.9/(1000·.1⁴)) = sqrt(.01056 + .01296) = .153362
    assert pm.lift == pytest.approx(0.2, abs=1e-9)
    assert pm.lift_ci_low == pytest.approx(0.2 - 1.959964 * 0.153362, abs=1e-5)
    assert pm.lift_ci_high == pytest.approx(0.2 + 1.959964 * 0.153362, abs=1e-5)
    # Wald z = .02 / sqrt(.1056/1000 + .09/1000) = 1.43006, two-sided p = .15270
    assert pm.p_value == pytest.approx(0.15270, abs=1e-4)
    assert pm.decision == "scale"
    assert pm.verdict == "keep_running"
    assert "lift +20.0%" in pm.happened and "Decided: Scale (Won)" in pm.happened
    assert list(pm.actions.all()) == []


def test_it_opens_a_postmortem_when_an_experiment_is_killed(cmo, operator, marketer):
    experiment = running_experiment(operator, hypothesis=HypothesisFactory(author=marketer))

    experiment_kill(experiment_id=experiment.pk, actor=cmo, reason="harmful", note="Errors.")

    pm = Postmortem.objects.get(experiment=experiment)
    assert pm.opened_by_step == "kill"
    assert pm.decision == "killed"
    assert pm.lift is None and pm.p_value is None
    assert pm.happened.startswith("No results on the primary metric.")
    assert "Killed: Hurting users or revenue — Errors." in pm.happened
    opened = Notice.objects.get(kind="postmortem_opened")
    assert opened.recipient == operator
    assert opened.subject == f"postmortem:{pm.pk}"


def test_a_repeated_kill_opens_no_second_postmortem(cmo, operator):
    experiment = running_experiment(operator)
    for _ in range(2):
        experiment_kill(experiment_id=experiment.pk, actor=cmo, reason="harmful", note="x")

    assert Postmortem.objects.filter(experiment=experiment).count() == 1
    assert Notice.objects.filter(kind="postmortem_opened").count() == 1


def test_a_failing_postmortem_undoes_the_step(cmo, operator, monkeypatch):
    experiment = running_experiment(operator)

    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr("programme.feedback.postmortem_open", broken)
    with pytest.raises(RuntimeError):
        experiment_kill(experiment_id=experiment.pk, actor=cmo, reason="harmful", note="x")

    experiment.refresh_from_db()
    assert experiment.status == "running"
    assert not StatusChange.objects.filter(experiment=experiment).exists()


def test_it_creates_one_for_a_decided_experiment_without_one(cmo, operator):
    experiment = put_in_status(ExperimentFactory(owner=operator), "concluded", decision="abandon")

    pm = postmortem_create(experiment_id=experiment.pk, actor=cmo, cause="idea_wrong")

    assert pm.cause == "idea_wrong" and pm.decision == "abandon"
    with pytest.raises(TransitionNotAllowed, match="already has a post-mortem"):
        postmortem_create(experiment_id=experiment.pk, actor=cmo)


def test_it_refuses_to_create_one_for_a_running_experiment(cmo, operator):
    experiment = running_experiment(operator)

    with pytest.raises(TransitionNotAllowed, match="opens when it is concluded or killed"):
        postmortem_create(experiment_id=experiment.pk, actor=cmo)
    assert not Postmortem.objects.exists()


def killed(cmo, operator, marketer):
    experiment = running_experiment(operator, hypothesis=HypothesisFactory(author=marketer))
    experiment_kill(experiment_id=experiment.pk, actor=cmo, reason="broken_setup", note="Tags.")
    return experiment


def test_it_writes_faults_actions_and_completes(cmo, operator, operator2, marketer):
    experiment = killed(cmo, operator, marketer)
    due = timezone.localdate() + dt.timedelta(days=10)

    pm = postmortem_update(
        experiment_id=experiment.pk,
        actor=operator,
        cause="measurement",
        why="The tag fired twice.",
        faults=["data", "execution"],
        actions=[{"text": "Test tags in staging", "owner": operator2, "due_date": due}],
        status="complete",
    )

    pm.refresh_from_db()
    assert pm.status == "complete" and pm.completed_at is not None
    assert pm.faults == ["data", "execution"]
    action = pm.actions.get()
    assert (action.text, action.owner, action.due_date, action.done_at) == (
        "Test tags in staging",
        operator2,
        due,
        None,
    )
    done = Notice.objects.get(kind="postmortem_completed")
    assert done.recipient == marketer and done.experiment == experiment

    postmortem_update(
        experiment_id=experiment.pk,
        actor=cmo,
        actions=[
            {"id": action.pk, "text": "Tags", "owner": operator2, "due_date": due, "done": True}
        ],
        status="complete",
    )
    action.refresh_from_db()
    assert action.text == "Tags" and action.done_at is not None
    assert Notice.objects.filter(kind="postmortem_completed").count() == 1


def test_it_refuses_bad_input_with_every_reason_and_writes_nothing(cmo, operator, marketer):
    experiment = killed(cmo, operator, marketer)
    pm = Postmortem.objects.get(experiment=experiment)
    past = timezone.localdate() - dt.timedelta(days=1)

    with pytest.raises(ValidationFailed) as refused:
        postmortem_update(
            experiment_id=experiment.pk,
            actor=cmo,
            cause="bad luck",
            faults=["none", "data"],
            due_date=past,
            next_hypothesis=experiment.hypothesis,
            actions=[
                {"text": " ", "owner": marketer, "due_date": past},
                {"id": 999_999, "text": "x", "owner": None, "due_date": None},
            ],
        )

    errors = refused.value.errors
    assert set(errors) == {
        "cause", "faults", "due_date", "next_hypothesis", "actions[0].text",
        "actions[0].due_date", "actions[1].id", "actions[1].owner", "actions[1].due_date",
    }  # fmt: skip
    assert errors["faults"] == ["“none” cannot go with another fault."]
    assert "on or after" in errors["actions[0].due_date"][0]
    fresh = Postmortem.objects.get(pk=pm.pk)
    assert (fresh.cause, fresh.faults, fresh.due_date) == ("", [], pm.due_date)
    assert not PostmortemAction.objects.exists()


def test_completing_needs_the_cause_and_the_faults(cmo, operator, marketer):
    experiment = killed(cmo, operator, marketer)

    with pytest.raises(ValidationFailed) as refused:
        postmortem_update(experiment_id=experiment.pk, actor=cmo, status="complete")

    assert set(refused.value.errors) == {"cause", "faults"}
    assert Postmortem.objects.get(experiment=experiment).status == "draft"
    assert not Notice.objects.filter(kind="postmortem_completed").exists()


@pytest.mark.parametrize("who", ["operator2", "marketer", "analyst"])
def test_only_the_cmo_and_the_owner_write(cmo, operator, operator2, marketer, analyst, who):
    experiment = killed(cmo, operator, marketer)
    actor = {"operator2": operator2, "marketer": marketer, "analyst": analyst}[who]

    with pytest.raises(NotPermitted):
        postmortem_update(experiment_id=experiment.pk, actor=actor, why="x")
    assert Postmortem.objects.get(experiment=experiment).why == ""
