"""Actions the pages offer, through the same services over the API: acknowledging a
sample-ratio mismatch and archiving an objective."""

import pytest
from rest_framework.test import APIClient

from analytics.models import Result, SrmAcknowledgement
from analytics.srm import unacknowledged_srm
from experiments.models import Objective
from roles.capabilities import refusal
from tests.analytics.helpers import running_experiment
from tests.api.problems import problem_errors
from tests.conftest import client_for
from tests.factories import ObjectiveFactory

pytestmark = pytest.mark.django_db


def mismatched(experiment, look=1, p=0.00002):
    """Snapshots of ``look`` whose users per variant do not match the planned split."""
    for variant in experiment.variants.all():
        Result.objects.create(
            experiment=experiment,
            metric=experiment.primary_metric,
            variant=variant,
            look=look,
            is_control=variant.is_control,
            users=1000 if variant.is_control else 800,
            alpha=0.05,
            srm_p_value=p,
        )
    return experiment


def ack_url(experiment):
    return f"/api/v1/experiments/{experiment.pk}/srm/acknowledge/"


# --- SRM acknowledgement -------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "cmo"])
def test_the_owner_or_the_cmo_acknowledges_a_mismatch(who, operator, cmo):
    experiment = mismatched(running_experiment(operator), look=2)
    actor = {"owner": operator, "cmo": cmo}[who]

    response = client_for(actor).post(
        ack_url(experiment), {"note": " Bot traffic on B. "}, format="json"
    )

    assert response.status_code == 200, response.content
    ack = SrmAcknowledgement.objects.get(experiment=experiment)
    assert (ack.look, ack.srm_p_value, ack.acknowledged_by, ack.note) == (
        2,
        0.00002,
        actor,
        "Bot traffic on B.",
    )
    body = response.json()
    assert body["experiment"] == experiment.pk
    assert (body["look"], body["srm_p_value"], body["note"]) == (2, 0.00002, "Bot traffic on B.")
    assert body["acknowledged_by"] == str(actor)
    assert unacknowledged_srm(experiment.pk) is None


def test_acknowledging_twice_answers_the_first_acknowledgement(operator, cmo):
    experiment = mismatched(running_experiment(operator))
    first = client_for(operator).post(ack_url(experiment), {}, format="json")

    again = client_for(cmo).post(ack_url(experiment), {"note": "Me too"}, format="json")

    assert again.status_code == 200
    assert again.json() == first.json()
    ack = SrmAcknowledgement.objects.get()
    assert (ack.acknowledged_by, ack.note) == (operator, "")


@pytest.mark.parametrize(
    ("who", "reason"),
    [
        ("operator2", "Only the owner (Omar) may acknowledge a sample-ratio mismatch"),
        (
            "marketer",
            "Only CMO, Growth operator, Agency partner may acknowledge a sample-ratio mismatch",
        ),
        (
            "analyst",
            "Only CMO, Growth operator, Agency partner may acknowledge a sample-ratio mismatch",
        ),
    ],
)
def test_others_are_refused_with_the_reason_and_nothing_is_written(
    who, reason, operator, operator2, marketer, analyst
):
    experiment = mismatched(running_experiment(operator))
    actor = {"operator2": operator2, "marketer": marketer, "analyst": analyst}[who]

    response = client_for(actor).post(ack_url(experiment), {"note": "x"}, format="json")

    assert response.status_code == 403
    detail = response.json()["detail"]
    assert detail.startswith(reason)
    assert detail == refusal(actor, "results.acknowledge_srm", experiment)
    assert not SrmAcknowledgement.objects.exists()
    assert unacknowledged_srm(experiment.pk) is not None


def test_without_a_mismatch_there_is_nothing_to_acknowledge(operator):
    experiment = running_experiment(operator)
    mismatched(experiment, look=1)
    mismatched(experiment, look=2, p=0.4)  # the split recovered at the latest look

    response = client_for(operator).post(ack_url(experiment), {}, format="json")

    assert response.status_code == 400
    assert problem_errors(response) == {
        "srm": ["There is no sample-ratio mismatch to acknowledge."]
    }
    assert not SrmAcknowledgement.objects.exists()


def test_acknowledging_needs_sign_in_and_an_experiment_that_exists(operator):
    experiment = mismatched(running_experiment(operator))
    assert APIClient().post(ack_url(experiment), {}, format="json").status_code == 401
    missing = client_for(operator).post(
        f"/api/v1/experiments/{experiment.pk + 99}/srm/acknowledge/"
    )
    assert missing.status_code == 404
    assert not SrmAcknowledgement.objects.exists()


def test_a_note_that_is_not_text_is_a_400(operator):
    experiment = mismatched(running_experiment(operator))
    response = client_for(operator).post(ack_url(experiment), {"note": {"a": 1}}, format="json")
    assert response.status_code == 400
    assert "note" in problem_errors(response)
    assert not SrmAcknowledgement.objects.exists()


# --- archiving an objective ----------------------------------------------------------


def test_the_cmo_archives_an_objective_and_again_changes_nothing(cmo):
    objective = ObjectiveFactory(owner=cmo)

    response = client_for(cmo).post(f"/api/v1/objectives/{objective.pk}/archive/")

    assert response.status_code == 200, response.content
    assert response.json()["id"] == objective.pk
    assert response.json()["status"] == "retired"
    objective.refresh_from_db()
    assert objective.status == Objective.Status.RETIRED
    again = client_for(cmo).post(f"/api/v1/objectives/{objective.pk}/archive/")
    assert again.status_code == 200 and again.json() == response.json()
    assert [o.pk for o in Objective.objects.filter(status="active")] == []


@pytest.mark.parametrize("who", ["operator", "marketer", "analyst"])
def test_only_the_cmo_archives_an_objective(who, cmo, operator, marketer, analyst):
    objective = ObjectiveFactory(owner=cmo)
    actor = {"operator": operator, "marketer": marketer, "analyst": analyst}[who]

    response = client_for(actor).post(f"/api/v1/objectives/{objective.pk}/archive/")

    assert response.status_code == 403
    assert response.json()["detail"] == "Only CMO may create and edit objectives and targets."
    objective.refresh_from_db()
    assert objective.status == Objective.Status.ACTIVE


def test_archiving_a_missing_objective_is_a_404(cmo):
    assert client_for(cmo).post("/api/v1/objectives/999999/archive/").status_code == 404
