import pytest
from django.contrib import admin
from django.urls import reverse

from experiments.models import Experiment, StatusChange
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_cmo(cmo):
    cmo.is_staff = cmo.is_superuser = True
    cmo.save()
    return cmo


@pytest.mark.parametrize(
    "model", [m for m in admin.site._registry if m._meta.app_label in ("roles", "experiments")]
)
def test_every_admin_list_renders(client, staff_cmo, operator, model):
    ExperimentFactory(owner=operator)
    client.force_login(staff_cmo)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200
    assert client.get(url, {"q": "x"}).status_code == 200


def test_status_is_read_only_in_admin(client, staff_cmo, operator):
    experiment = ExperimentFactory(owner=operator)
    client.force_login(staff_cmo)
    page = client.get(reverse("admin:experiments_experiment_change", args=[experiment.pk]))
    assert "status" not in page.context["adminform"].form.fields
    assert "status" in page.context["adminform"].readonly_fields


def test_an_admin_action_runs_the_lifecycle_service(client, staff_cmo, operator):
    experiment = put_in_status(ExperimentFactory(owner=operator), "in_review")
    client.force_login(staff_cmo)
    response = client.post(
        reverse("admin:experiments_experiment_changelist"),
        {"action": "step_approve", admin.helpers.ACTION_CHECKBOX_NAME: [experiment.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert Experiment.objects.get(pk=experiment.pk).status == "approved"
    assert StatusChange.objects.get(experiment=experiment).step == "approve"


def test_an_admin_action_with_input_asks_for_it_then_applies(client, staff_cmo, operator):
    experiment = put_in_status(ExperimentFactory(owner=operator), "running")
    client.force_login(staff_cmo)
    url = reverse("admin:experiments_experiment_changelist")
    form = client.post(
        url, {"action": "step_kill", admin.helpers.ACTION_CHECKBOX_NAME: [experiment.pk]}
    )
    assert b'name="reason"' in form.content
    assert Experiment.objects.get(pk=experiment.pk).status == "running"
    client.post(
        url,
        {
            "action": "step_kill",
            "apply": "Apply",
            admin.helpers.ACTION_CHECKBOX_NAME: [experiment.pk],
            "reason": "harmful",
            "note": "Checkout broke.",
        },
    )
    experiment.refresh_from_db()
    assert (experiment.status, experiment.kill_reason, experiment.kill_note) == (
        "killed",
        "harmful",
        "Checkout broke.",
    )


def test_a_refused_admin_action_changes_nothing(client, staff_cmo, operator):
    experiment = put_in_status(ExperimentFactory(owner=operator), "running")
    client.force_login(staff_cmo)
    response = client.post(
        reverse("admin:experiments_experiment_changelist"),
        {"action": "step_pause", admin.helpers.ACTION_CHECKBOX_NAME: [experiment.pk]},
        follow=True,
    )
    assert "Only Growth operator may" in response.content.decode()
    assert Experiment.objects.get(pk=experiment.pk).status == "running"
