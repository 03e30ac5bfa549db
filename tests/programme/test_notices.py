"""Notices: the idea's author hears of each step once; overdue post-mortems and actions reach
their owners once, however often the sweep runs (docs/postmortems.md)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from experiments.lifecycle import (
    experiment_approve,
    experiment_conclude,
    experiment_kill,
    experiment_start,
)
from experiments.services import hypothesis_triage
from programme.models import Notice, Postmortem, PostmortemAction
from programme.postmortems import overdue_for, postmortem_update
from programme.tasks import postmortems_overdue
from tests.experiments.helpers import STEP_KWARGS, put_in_status
from tests.factories import ExperimentFactory, HypothesisFactory

pytestmark = pytest.mark.django_db


def kinds(user):
    return list(Notice.objects.filter(recipient=user).order_by("pk").values_list("kind", "subject"))


def test_the_author_hears_of_triage_once_per_outcome(cmo, marketer):
    idea = HypothesisFactory(author=marketer, status="new", title="Logos")

    for _ in range(2):
        hypothesis_triage(hypothesis_id=idea.pk, actor=cmo, status="backlog")
    hypothesis_triage(hypothesis_id=idea.pk, actor=cmo, status="rejected")

    assert kinds(marketer) == [
        ("triage", f"hypothesis:{idea.pk}:backlog"),
        ("triage", f"hypothesis:{idea.pk}:rejected"),
    ]
    first = Notice.objects.filter(recipient=marketer).order_by("pk").first()
    assert first.message == "Your idea “Logos” was accepted into the backlog."
    assert first.url == reverse("experiments:hypothesis-detail", args=[idea.pk])


def test_no_notice_when_authors_triage_their_own_idea(operator):
    idea = HypothesisFactory(author=operator, status="new")

    hypothesis_triage(hypothesis_id=idea.pk, actor=operator, status="backlog")

    assert not Notice.objects.exists()


def test_the_author_hears_of_approval_start_and_decision_exactly_once(cmo, operator, marketer):
    idea = HypothesisFactory(author=marketer, title="Logos")
    experiment = put_in_status(
        ExperimentFactory(owner=operator, hypothesis=idea, name="Logo strip"), "in_review"
    )
    subject = f"experiment:{experiment.pk}"

    for _ in range(2):  # a repeated step is a no-op, and so is its notice
        experiment_approve(experiment_id=experiment.pk, actor=cmo)
    for _ in range(2):
        experiment_start(experiment_id=experiment.pk, actor=operator)
    put_in_status(experiment, "completed")
    for _ in range(2):
        experiment_conclude(experiment_id=experiment.pk, actor=cmo, **STEP_KWARGS["conclude"])

    assert kinds(marketer) == [
        ("approval", subject),
        ("start", subject),
        ("decision", subject),
    ]
    messages = list(
        Notice.objects.filter(recipient=marketer).order_by("pk").values_list("message", flat=True)
    )
    assert messages == [
        "Your idea “Logos” will be tested: “Logo strip” was approved.",
        "Your idea “Logos” is being tested: “Logo strip” started.",
        "“Logo strip”, testing your idea “Logos”, was decided: scale (won).",
    ]
    pm = Postmortem.objects.get(experiment=experiment)
    assert kinds(operator) == [("postmortem_opened", f"postmortem:{pm.pk}")]


def test_the_author_hears_of_a_kill_and_of_the_written_postmortem(cmo, operator, marketer):
    idea = HypothesisFactory(author=marketer, title="Logos")
    experiment = put_in_status(
        ExperimentFactory(owner=operator, hypothesis=idea, name="Logo strip"), "running"
    )

    experiment_kill(experiment_id=experiment.pk, actor=cmo, **STEP_KWARGS["kill"])
    for _ in range(2):
        postmortem_update(
            experiment_id=experiment.pk,
            actor=operator,
            cause="execution",
            faults=["execution"],
            status="complete",
        )
    # Reopened and completed again: the author was already told.
    postmortem_update(experiment_id=experiment.pk, actor=operator, status="draft")
    postmortem_update(experiment_id=experiment.pk, actor=operator, status="complete")

    pm = Postmortem.objects.get(experiment=experiment)
    assert kinds(marketer) == [
        ("decision", f"experiment:{experiment.pk}"),
        ("postmortem_completed", f"postmortem:{pm.pk}"),
    ]
    assert Notice.objects.get(kind="decision").message == (
        "“Logo strip”, testing your idea “Logos”, was stopped: hurting users or revenue."
    )


def overdue_world(cmo, operator, operator2):
    today = timezone.localdate()
    late = put_in_status(ExperimentFactory(owner=operator, name="Late one"), "running")
    experiment_kill(experiment_id=late.pk, actor=cmo, reason="other", note="x")
    pm = Postmortem.objects.get(experiment=late)
    Postmortem.objects.filter(pk=pm.pk).update(due_date=today - dt.timedelta(days=1))
    on_time = put_in_status(ExperimentFactory(owner=operator2), "running")
    experiment_kill(experiment_id=on_time.pk, actor=cmo, reason="other", note="x")
    late_action = PostmortemAction.objects.create(
        postmortem=pm, text="Fix tags", owner=operator2, due_date=today - dt.timedelta(days=2)
    )
    PostmortemAction.objects.create(  # done: not overdue
        postmortem=pm, text="Done one", owner=operator2, due_date=today - dt.timedelta(days=2),
        done_at=timezone.now(),
    )  # fmt: skip
    PostmortemAction.objects.create(  # due today: not yet overdue
        postmortem=pm, text="Today", owner=operator, due_date=today
    )
    return pm, late_action


def test_the_overdue_sweep_writes_each_notice_once(cmo, operator, operator2):
    pm, late_action = overdue_world(cmo, operator, operator2)

    assert postmortems_overdue.apply().get() == 2
    assert postmortems_overdue.apply().get() == 0

    overdue = Notice.objects.filter(kind__in=["postmortem_overdue", "action_overdue"])
    assert sorted(overdue.values_list("recipient__username", "kind", "subject")) == [
        ("operator", "postmortem_overdue", f"postmortem:{pm.pk}"),
        ("operator2", "action_overdue", f"action:{late_action.pk}"),
    ]
    assert overdue.get(kind="action_overdue").message.startswith(
        "“Fix tags” (post-mortem of “Late one”)"
    )


def test_the_dashboard_panel_lists_ones_own_overdue_work(client, cmo, operator, operator2):
    pm, late_action = overdue_world(cmo, operator, operator2)

    mine = overdue_for(user=operator)
    theirs = overdue_for(user=operator2)
    everyone = overdue_for(user=cmo)

    assert (mine["postmortems"], mine["actions"]) == ([pm], [])
    assert (theirs["postmortems"], theirs["actions"]) == ([], [late_action])
    assert (everyone["postmortems"], everyone["actions"]) == ([pm], [late_action])
    # Each item opens the post-mortem itself, not the top of the experiment's long page.
    client.force_login(cmo)
    panel = client.get("/").content.decode().split('id="overdue"')[1].split("</section>")[0]
    postmortem_page = f'href="/experiments/{pm.experiment_id}/postmortem/"'
    assert panel.count(postmortem_page) == 2  # the post-mortem and its late action
