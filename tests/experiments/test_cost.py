"""Recording what an experiment cost: the service, the API action and the form on its page."""

from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.test import APIClient

from experiments.models import Experiment
from experiments.services import experiment_record_cost
from growthops.errors import NotPermitted, ValidationFailed
from tests.api.problems import problem_errors
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def experiment(operator):
    return put_in_status(ExperimentFactory(owner=operator), "concluded")


def costs(experiment):
    experiment.refresh_from_db()
    return experiment.build_cost, experiment.media_cost


def test_it_records_costs_in_any_status_and_keeps_what_is_left_out(experiment, operator, cmo):
    experiment_record_cost(
        experiment_id=experiment.pk, actor=operator, build_cost=Decimal("1200.50")
    )
    assert costs(experiment) == (Decimal("1200.50"), None)
    experiment_record_cost(experiment_id=experiment.pk, actor=cmo, media_cost=Decimal(800))
    assert costs(experiment) == (Decimal("1200.50"), Decimal("800.00"))
    experiment_record_cost(experiment_id=experiment.pk, actor=cmo, build_cost=None)
    assert costs(experiment) == (None, Decimal("800.00"))


def test_recording_the_same_cost_again_writes_nothing(experiment, operator):
    experiment_record_cost(experiment_id=experiment.pk, actor=operator, build_cost=Decimal(5))
    stamp = Experiment.objects.get(pk=experiment.pk).updated_at
    experiment_record_cost(experiment_id=experiment.pk, actor=operator, build_cost=Decimal(5))
    assert Experiment.objects.get(pk=experiment.pk).updated_at == stamp


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"build_cost": Decimal(-1)}, "build_cost", "greater than or equal to 0"),
        ({"media_cost": Decimal("1e13")}, "media_cost", "digits"),
        ({"media_cost": "lots"}, "media_cost", "decimal number"),
        ({"shipping": 3}, "shipping", "Not a cost field"),
        ({}, "build_cost", "Give the build cost"),
    ],
)
def test_it_refuses_bad_costs_and_writes_nothing(experiment, operator, fields, field, message):
    with pytest.raises(ValidationFailed) as refused:
        experiment_record_cost(experiment_id=experiment.pk, actor=operator, **fields)
    assert message in " ".join(refused.value.errors[field])
    assert costs(experiment) == (None, None)


def test_only_the_cmo_and_the_owning_operator_may_record_it(experiment, operator2, marketer):
    for outsider in (operator2, marketer):
        with pytest.raises(NotPermitted):
            experiment_record_cost(
                experiment_id=experiment.pk, actor=outsider, build_cost=Decimal(1)
            )
    assert costs(experiment) == (None, None)


def test_the_api_records_it_and_answers_the_experiment(experiment, operator):
    api = APIClient()
    api.force_authenticate(operator)
    response = api.post(
        f"/api/v1/experiments/{experiment.pk}/cost/",
        {"build_cost": "2500.00", "media_cost": "750"},
        format="json",
    )
    assert response.status_code == 200
    assert (response.json()["build_cost"], response.json()["media_cost"]) == ("2500.00", "750.00")
    assert costs(experiment) == (Decimal("2500.00"), Decimal("750.00"))


@pytest.mark.parametrize(
    ("body", "field"),
    [({"build_cost": "-5"}, "build_cost"), ({"status": "killed"}, "status")],
)
def test_the_api_refuses_bad_input_with_the_field_named(experiment, operator, body, field):
    api = APIClient()
    api.force_authenticate(operator)
    response = api.post(f"/api/v1/experiments/{experiment.pk}/cost/", body, format="json")
    assert response.status_code == 400
    assert field in problem_errors(response)
    assert costs(experiment) == (None, None)


def test_the_experiment_page_offers_the_form_only_to_those_who_may_use_it(
    experiment, operator, operator2
):
    client = Client()
    client.force_login(operator)
    assert 'id="cost-form"' in client.get(f"/experiments/{experiment.pk}/").content.decode()
    client.force_login(operator2)
    assert 'id="cost-form"' not in client.get(f"/experiments/{experiment.pk}/").content.decode()
    refused = client.post(f"/experiments/{experiment.pk}/cost/", {"build_cost": "10"})
    assert refused.status_code == 403
    assert costs(experiment) == (None, None)


def test_the_form_saves_in_place_with_htmx(experiment, operator):
    client = Client()
    client.force_login(operator)
    response = client.post(
        f"/experiments/{experiment.pk}/cost/",
        {"build_cost": "900", "media_cost": ""},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Cost recorded." in response.content.decode()
    assert costs(experiment) == (Decimal("900.00"), None)


def test_a_refused_form_keeps_what_was_typed(experiment, operator):
    client = Client()
    client.force_login(operator)
    response = client.post(
        f"/experiments/{experiment.pk}/cost/",
        {"build_cost": "-40", "media_cost": "300"},
        headers={"HX-Request": "true"},
    )
    text = response.content.decode()
    assert "greater than or equal to 0" in text
    assert 'value="-40"' in text and 'value="300"' in text
    assert costs(experiment) == (None, None)

    without_htmx = client.post(
        f"/experiments/{experiment.pk}/cost/", {"build_cost": "-40", "media_cost": "300"}
    )
    assert without_htmx.status_code == 400
    assert 'value="300"' in without_htmx.content.decode()


def test_the_form_without_htmx_goes_back_to_the_experiment(experiment, cmo):
    client = Client()
    client.force_login(cmo)
    response = client.post(f"/experiments/{experiment.pk}/cost/", {"media_cost": "120.5"})
    assert response.status_code == 302 and response["Location"] == f"/experiments/{experiment.pk}/"
    assert costs(experiment) == (None, Decimal("120.50"))


def test_everyone_else_reads_the_recorded_cost(experiment, operator, marketer):
    client = Client()
    client.force_login(marketer)
    page = client.get(f"/experiments/{experiment.pk}/").content.decode()
    assert 'id="cost"' not in page  # nothing recorded yet
    experiment_record_cost(
        experiment_id=experiment.pk, actor=operator, build_cost=Decimal("4200.00")
    )
    page = client.get(f"/experiments/{experiment.pk}/").content.decode()
    assert 'id="cost"' in page and "4200.00" in page and 'id="cost-form"' not in page
