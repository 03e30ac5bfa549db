"""The digest sections on decisions and their follow-up: overrides, overdue post-mortems and
actions, against constructed data."""

import datetime as dt

import pytest
from django.utils import timezone

from experiments.models import StatusChange
from programme.digests.build import digest_build
from programme.digests.period import period_for
from programme.models import ObjectiveMeasurement, PortfolioRollup, Postmortem, PostmortemAction
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def sections(user):
    digest = digest_build(user=user, period=period_for("weekly", timezone.now()))
    return {section["key"]: section["items"] for section in digest.sections}


def step(experiment, actor, *, days_ago, **fields):
    change = StatusChange.objects.create(
        experiment=experiment, step="conclude", from_status="completed", to_status="concluded",
        actor=actor, **fields,
    )  # fmt: skip
    at = timezone.now() - dt.timedelta(days=days_ago)
    StatusChange.objects.filter(pk=change.pk).update(created_at=at)


def test_the_cmo_reads_this_periods_calls_against_the_plan_with_their_reasons(cmo, operator):
    experiment = put_in_status(ExperimentFactory(owner=operator, name="Logo wall"), "concluded")
    step(
        experiment, cmo, days_ago=0, overridden=["the verdict (keep running)"],
        override_reason="The launch date would not wait.",
    )  # fmt: skip
    step(experiment, cmo, days_ago=0)  # followed the plan: not an override
    old = put_in_status(ExperimentFactory(owner=operator, name="Old call"), "concluded")
    step(old, cmo, days_ago=40, overridden=["the verdict (iterate)"], override_reason="Old.")

    [item] = sections(cmo)["overrides"]

    assert item["name"] == "Logo wall"
    assert item["reason"] == "The launch date would not wait."
    assert item["text"] == (
        "Logo wall: conclude against the verdict (keep running) by "
        f"{cmo.get_full_name()}: “The launch date would not wait.”"
    )
    assert item["path"] == f"/experiments/{experiment.pk}/"


def overdue_world(operator, operator2, marketer):
    today = timezone.localdate()
    mine = put_in_status(ExperimentFactory(owner=operator, name="Mine"), "killed")
    theirs = put_in_status(ExperimentFactory(owner=operator2, name="Theirs"), "killed")
    on_time = put_in_status(ExperimentFactory(owner=operator, name="On time"), "killed")
    late = Postmortem.objects.create(
        experiment=mine, opened_by_step="kill", due_date=today - dt.timedelta(days=2)
    )
    Postmortem.objects.create(
        experiment=theirs, opened_by_step="kill", due_date=today - dt.timedelta(days=1)
    )
    Postmortem.objects.create(
        experiment=on_time, opened_by_step="kill", due_date=today + dt.timedelta(days=3)
    )
    PostmortemAction.objects.create(
        postmortem=late, text="Fix the pixel", owner=operator, due_date=today - dt.timedelta(days=1)
    )
    PostmortemAction.objects.create(
        postmortem=late, text="Done already", owner=operator,
        due_date=today - dt.timedelta(days=1), done_at=timezone.now(),
    )  # fmt: skip
    return today


def test_overdue_post_mortems_and_actions_reach_their_owner_and_the_cmo(
    cmo, operator, operator2, marketer
):
    today = overdue_world(operator, operator2, marketer)
    due = (today - dt.timedelta(days=2)).strftime("%-d %b")

    mine = sections(operator)["overdue"]
    assert [item["text"] for item in mine] == [
        f"Post-mortem of Mine: due {due}, still a draft",
        f"Fix the pixel ({operator}, post-mortem of Mine): due "
        f"{(today - dt.timedelta(days=1)):%-d %b}",
    ]
    assert [item["name"] for item in sections(cmo)["overdue"]] == ["Mine", "Theirs", "Mine"]
    assert "overdue" not in sections(operator2) or [
        item["name"] for item in sections(operator2)["overdue"]
    ] == ["Theirs"]
    assert "overdue" not in sections(marketer)


def test_the_cmo_reads_each_objective_measured_against_its_estimate(cmo):
    objective = ObjectiveFactory(name="Grow ARR", kpi="ARR", baseline=1000, target=2000)
    today = timezone.localdate()
    PortfolioRollup.objects.create(
        computed_on=today, dimension="objective", key=str(objective.pk), label="Grow ARR",
        data={"realised_impact": 250.0, "forecast_impact": None, "in_flight": 0},
    )  # fmt: skip
    ObjectiveMeasurement.objects.create(
        objective=objective, date=today - dt.timedelta(days=40), value=900
    )  # older than the digest reads
    ObjectiveMeasurement.objects.create(
        objective=objective, date=today - dt.timedelta(days=1), value=1180
    )

    [item] = [i for i in sections(cmo)["objectives"] if i["name"] == "Grow ARR"]

    assert (item["measured"], item["estimated"]) == (1180.0, 1250.0)
    assert item["text"].endswith(
        f"; measured €1,180 on {today - dt.timedelta(days=1):%-d %b} against €1,250 estimated"
    )
