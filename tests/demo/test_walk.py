"""How the demo moves experiments: paths read from the transition table, steps taken by whoever
may take them, and rows dated back without touching a status."""

import datetime as dt

import pytest
from django.utils import timezone

from demo.walk import backdate, steps_to, walk
from experiments.lifecycle import STEPS
from experiments.models import ExperimentStatus, StatusChange
from tests.experiments.helpers import STEP_KWARGS
from tests.factories import ExperimentFactory

S = ExperimentStatus


@pytest.mark.parametrize("status", S.values)
def test_each_status_is_reached_by_steps_of_the_table(status):
    reached = S.DRAFT
    for name in steps_to(status):
        assert reached in STEPS[name].sources
        reached = STEPS[name].target
    assert reached == status


def test_it_takes_the_shortest_path():
    assert steps_to(S.PAUSED) == ["submit", "approve", "start", "pause"]
    assert steps_to(S.KILLED) == ["kill"]
    assert steps_to(S.CONCLUDED, start=S.COMPLETED) == ["conclude"]


def test_it_refuses_a_status_no_step_leads_to():
    with pytest.raises(ValueError, match="No run of lifecycle steps leads from concluded"):
        steps_to(S.RUNNING, start=S.CONCLUDED)


@pytest.fixture
def running(operator, cmo):
    experiment = ExperimentFactory(owner=operator)
    return walk(experiment, steps_to(S.RUNNING), owner=operator, cmo=cmo)


def test_walk_takes_each_step_as_the_capability_table_allows(running, operator, cmo):
    trail = list(running.status_changes.order_by("id").values_list("step", "actor"))
    assert trail == [("submit", operator.pk), ("approve", cmo.pk), ("start", operator.pk)]
    assert running.status == S.RUNNING


def test_backdate_moves_the_times_and_the_dates_they_set(running, operator, cmo):
    walk(
        running, ["complete"], owner=operator, cmo=cmo, inputs={"complete": STEP_KWARGS["complete"]}
    )
    drafted = timezone.now() - dt.timedelta(days=60)
    taken = [drafted + dt.timedelta(days=days) for days in (2, 4, 10, 30)]

    backdate(running.pk, drafted=drafted, taken=taken)

    running.refresh_from_db()
    assert running.created_at == drafted
    assert list(running.status_changes.order_by("id").values_list("created_at", flat=True)) == taken
    assert running.start_date == timezone.localdate(taken[2])
    assert running.end_date == timezone.localdate(taken[3])
    assert running.status == S.COMPLETED


@pytest.mark.parametrize(
    "days, message",
    [
        ((2, 4), "3 status changes to date, 2 times given."),
        ((2, 10, 4), "Steps are taken in order, after the experiment was drafted."),
        ((-1, 4, 10), "Steps are taken in order, after the experiment was drafted."),
    ],
)
def test_backdate_refuses_times_that_do_not_fit_the_trail(running, days, message):
    drafted = timezone.now() - dt.timedelta(days=60)
    before = list(StatusChange.objects.values_list("id", "created_at"))

    with pytest.raises(ValueError, match=message):
        backdate(running.pk, drafted=drafted, taken=[drafted + dt.timedelta(days=d) for d in days])

    assert list(StatusChange.objects.values_list("id", "created_at")) == before
    running.refresh_from_db()
    assert running.start_date == timezone.localdate()
