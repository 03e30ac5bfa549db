"""Capacity where it matters: submitting or starting beyond an operator's capacity is allowed
and warns (the API's ``warnings``, the page's message, the approval queue's card)."""

import pytest

from experiments.lifecycle import experiment_submit
from roles.models import OperatorProfile
from tests.conftest import client_for
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory

pytestmark = pytest.mark.django_db

WARNING = (
    "Over capacity: Omar owns 3 active experiments against a capacity of 2; the queue shows it."
)


@pytest.fixture
def stretched(operator):
    """Omar owns three active experiments; the CMO has since set his capacity to two."""
    OperatorProfile.objects.create(user=operator, capacity=2)
    draft = ExperimentFactory(owner=operator)
    approved = put_in_status(ExperimentFactory(owner=operator), "approved")
    put_in_status(ExperimentFactory(owner=operator), "running")
    return {"draft": draft, "approved": approved}


@pytest.mark.parametrize("step", ["submit", "start"])
def test_the_api_takes_the_step_and_warns(operator, stretched, step):
    experiment = stretched["draft" if step == "submit" else "approved"]
    expected = "draft" if step == "submit" else "approved"

    response = client_for(operator).post(
        f"/api/v1/experiments/{experiment.pk}/steps/{step}/",
        {"expected_status": expected},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.data["warnings"] == [WARNING]
    experiment.refresh_from_db()
    assert experiment.status == ("in_review" if step == "submit" else "running")


def test_within_capacity_the_warnings_are_empty(operator):
    OperatorProfile.objects.create(user=operator, capacity=3)
    draft = ExperimentFactory(owner=operator)
    response = client_for(operator).post(
        f"/api/v1/experiments/{draft.pk}/steps/submit/", {"expected_status": "draft"}, format="json"
    )
    assert response.status_code == 200
    assert response.data["warnings"] == []


def test_a_step_that_frees_the_operator_does_not_warn(operator, cmo, stretched):
    response = client_for(cmo).post(
        f"/api/v1/experiments/{stretched['approved'].pk}/steps/kill/",
        {"expected_status": "approved", "reason": "broken_setup", "note": "Tags"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.data["warnings"] == []


def test_the_page_shows_the_warning_after_the_step(client, operator, stretched):
    client.force_login(operator)
    response = client.post(
        f"/experiments/{stretched['approved'].pk}/steps/start/",
        {"expected_status": "approved"},
        follow=True,
    )
    assert response.status_code == 200
    assert WARNING in response.content.decode()
    stretched["approved"].refresh_from_db()
    assert stretched["approved"].status == "running"


def test_the_review_queue_card_says_over_capacity(client, cmo, operator, stretched):
    experiment_submit(experiment_id=stretched["draft"].pk, actor=operator)
    other = ExperimentFactory(owner=cmo)  # its owner has no profile: no badge
    put_in_status(other, "in_review")
    client.force_login(cmo)

    html = client.get("/review/").content.decode()

    assert html.count("data-over-capacity") == 1
    assert "over capacity: owns 3 of 2" in html
