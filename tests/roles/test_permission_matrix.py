"""Every lifecycle step × every role, allowed and refused, through the services themselves."""

import pytest

from experiments.lifecycle import STEP_SERVICES, STEPS
from experiments.models import StatusChange
from growthops.errors import NotPermitted
from tests.experiments.helpers import SOURCE_STATUS, STEP_KWARGS, put_in_status
from tests.factories import ExperimentFactory

# Who may take each step: "owner" is the operator who owns the experiment.
ALLOWED = {
    "submit": {"owner"},
    "request_changes": {"cmo"},
    "approve": {"cmo"},
    "start": {"owner"},
    "pause": {"owner"},
    "resume": {"owner"},
    "complete": {"owner"},
    "conclude": {"cmo"},
    "kill": {"cmo"},
}
ACTORS = ["cmo", "owner", "other_operator", "marketer", "analyst", "outsider"]
MATRIX = [(step, actor, actor in ALLOWED[step]) for step in STEP_SERVICES for actor in ACTORS]


def test_it_covers_every_step():
    assert set(ALLOWED) == set(STEPS) == set(STEP_SERVICES)


@pytest.mark.django_db
@pytest.mark.parametrize(("step", "actor_name", "allowed"), MATRIX)
def test_it_allows_exactly_the_right_roles(
    step, actor_name, allowed, cmo, operator, operator2, marketer, analyst, outsider
):
    actors = {
        "cmo": cmo,
        "owner": operator,
        "other_operator": operator2,
        "marketer": marketer,
        "analyst": analyst,
        "outsider": outsider,
    }
    experiment = put_in_status(ExperimentFactory(owner=operator), SOURCE_STATUS[step])
    service = STEP_SERVICES[step]

    if allowed:
        service(experiment_id=experiment.pk, actor=actors[actor_name], **STEP_KWARGS[step])
        experiment.refresh_from_db()
        assert experiment.status == STEPS[step].target
        assert StatusChange.objects.filter(experiment=experiment, step=step).count() == 1
    else:
        with pytest.raises(NotPermitted):
            service(experiment_id=experiment.pk, actor=actors[actor_name], **STEP_KWARGS[step])
        experiment.refresh_from_db()
        assert experiment.status == SOURCE_STATUS[step]
        assert not StatusChange.objects.filter(experiment=experiment).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("step", ["approve", "request_changes"])
def test_it_never_lets_the_cmo_review_an_experiment_they_own(step, cmo):
    experiment = put_in_status(ExperimentFactory(owner=cmo), "in_review")
    with pytest.raises(NotPermitted, match="someone else"):
        STEP_SERVICES[step](experiment_id=experiment.pk, actor=cmo, **STEP_KWARGS[step])
    experiment.refresh_from_db()
    assert experiment.status == "in_review"
