import pytest
from django.contrib import admin
from django.urls import reverse

from experiments.models import Comment, Experiment, StatusChange
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model", [m for m in admin.site._registry if m._meta.app_label in ("roles", "experiments")]
)
def test_every_admin_list_renders(client, superuser_cmo, operator, model):
    ExperimentFactory(owner=operator)
    client.force_login(superuser_cmo)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200
    assert client.get(url, {"q": "x"}).status_code == 200


def test_status_is_read_only_in_admin(client, superuser_cmo, operator):
    experiment = ExperimentFactory(owner=operator)
    client.force_login(superuser_cmo)
    page = client.get(reverse("admin:experiments_experiment_change", args=[experiment.pk]))
    assert "status" not in page.context["adminform"].form.fields
    assert "status" in page.context["adminform"].readonly_fields


def test_an_admin_action_runs_the_lifecycle_service(client, superuser_cmo, operator):
    experiment = put_in_status(ExperimentFactory(owner=operator), "in_review")
    client.force_login(superuser_cmo)
    response = client.post(
        reverse("admin:experiments_experiment_changelist"),
        {"action": "step_approve", admin.helpers.ACTION_CHECKBOX_NAME: [experiment.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert Experiment.objects.get(pk=experiment.pk).status == "approved"
    assert StatusChange.objects.get(experiment=experiment).step == "approve"


def test_an_admin_action_with_input_asks_for_it_then_applies(client, superuser_cmo, operator):
    experiment = put_in_status(ExperimentFactory(owner=operator), "running")
    client.force_login(superuser_cmo)
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


def test_a_refused_admin_action_changes_nothing(client, superuser_cmo, operator):
    experiment = put_in_status(ExperimentFactory(owner=operator), "running")
    client.force_login(superuser_cmo)
    response = client.post(
        reverse("admin:experiments_experiment_changelist"),
        {"action": "step_pause", admin.helpers.ACTION_CHECKBOX_NAME: [experiment.pk]},
        follow=True,
    )
    assert "Only Growth operator, Agency partner may" in response.content.decode()
    assert Experiment.objects.get(pk=experiment.pk).status == "running"


def _change_form_data(page) -> dict:
    """What the browser would post back from an admin change page, unchanged."""
    data = {}
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is not None:
                data[form.add_prefix(name)] = value
    return data


def _change_url(experiment):
    return reverse("admin:experiments_experiment_change", args=[experiment.pk])


def test_it_refuses_to_let_a_superuser_cmo_take_ownership_to_approve(
    client, superuser_cmo, operator
):
    experiment = put_in_status(ExperimentFactory(owner=operator), "in_review")
    client.force_login(superuser_cmo)
    page = client.get(_change_url(experiment))
    assert "owner" not in page.context["adminform"].form.fields

    data = _change_form_data(page)
    data["owner"] = superuser_cmo.pk
    client.post(_change_url(experiment), data)

    experiment.refresh_from_db()
    assert experiment.owner == operator
    assert experiment.status == "in_review"


def test_it_refuses_a_superuser_cmo_editing_an_operators_draft_design(
    client, superuser_cmo, operator
):
    experiment = ExperimentFactory(owner=operator, mde=0.1, name="Operator's design")
    client.force_login(superuser_cmo)
    page = client.get(_change_url(experiment))
    data = _change_form_data(page)
    data.update(mde=0.5, name="Renamed by the CMO", **{"variants-0-weight": 0.9})

    response = client.post(_change_url(experiment), data)

    assert response.status_code == 403
    experiment.refresh_from_db()
    assert (experiment.mde, experiment.name) == (0.1, "Operator's design")
    assert sorted(experiment.variants.values_list("weight", flat=True)) == [0.5, 0.5]


def test_the_owner_edits_a_draft_design_through_the_design_service(client, operator):
    operator.is_staff = operator.is_superuser = True
    operator.save()
    experiment = ExperimentFactory(owner=operator, mde=0.1)
    client.force_login(operator)
    page = client.get(_change_url(experiment))
    data = _change_form_data(page)
    data["mde"] = 0.2
    data["variants-0-weight"] = 0.4
    data["variants-1-weight"] = 0.6

    response = client.post(_change_url(experiment), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    experiment.refresh_from_db()
    assert experiment.mde == 0.2
    assert sorted(experiment.variants.values_list("weight", flat=True)) == [0.4, 0.6]


def test_the_design_service_refuses_variant_weights_that_do_not_add_up(client, operator):
    operator.is_staff = operator.is_superuser = True
    operator.save()
    experiment = ExperimentFactory(owner=operator)
    client.force_login(operator)
    page = client.get(_change_url(experiment))
    data = _change_form_data(page)
    data["variants-0-weight"] = 0.9

    client.post(_change_url(experiment), data)

    assert sorted(experiment.variants.values_list("weight", flat=True)) == [0.5, 0.5]


def test_a_frozen_design_is_read_only_even_for_its_owner(client, operator):
    operator.is_staff = operator.is_superuser = True
    operator.save()
    experiment = put_in_status(ExperimentFactory(owner=operator, mde=0.1), "approved")
    client.force_login(operator)
    page = client.get(_change_url(experiment))
    assert "mde" not in page.context["adminform"].form.fields
    assert "owner" not in page.context["adminform"].form.fields


# --- comments ------------------------------------------------------------------------------


def test_a_comment_added_in_the_admin_is_signed_by_whoever_adds_it(client, superuser_cmo, operator):
    experiment = ExperimentFactory(owner=operator)
    client.force_login(superuser_cmo)
    url = reverse("admin:experiments_comment_add")
    assert "author" not in client.get(url).context["adminform"].form.fields

    response = client.post(
        url, {"experiment": experiment.pk, "body": "  Looks ready.  ", "author": operator.pk}
    )

    assert response.status_code == 302
    [comment] = Comment.objects.all()
    assert (comment.author, comment.experiment, comment.body) == (
        superuser_cmo,
        experiment,
        "Looks ready.",
    )


def test_a_superuser_cannot_rewrite_someone_elses_comment(client, superuser_cmo, operator):
    experiment = ExperimentFactory(owner=operator)
    comment = Comment.objects.create(author=operator, experiment=experiment, body="Mine.")
    client.force_login(superuser_cmo)
    url = reverse("admin:experiments_comment_change", args=[comment.pk])
    assert client.get(url).context["has_change_permission"] is False

    response = client.post(url, {"body": "Words put in their mouth.", "author": superuser_cmo.pk})

    assert response.status_code == 403
    comment.refresh_from_db()
    assert (comment.author, comment.body) == (operator, "Mine.")


def test_the_author_edits_their_own_comment_in_the_admin(client, superuser_cmo, operator):
    experiment = ExperimentFactory(owner=operator)
    comment = Comment.objects.create(author=superuser_cmo, experiment=experiment, body="Draft.")
    client.force_login(superuser_cmo)
    url = reverse("admin:experiments_comment_change", args=[comment.pk])

    response = client.post(url, {"body": "Final.", "author": operator.pk})

    assert response.status_code == 302
    comment.refresh_from_db()
    assert (comment.author, comment.body, comment.experiment) == (
        superuser_cmo,
        "Final.",
        experiment,
    )


def test_admin_saves_of_the_set_up_are_on_the_audit_trail(client, superuser_cmo):
    from roles.models import AuditEntry, Partner, Team

    client.force_login(superuser_cmo)
    added = client.post(
        "/admin/roles/partner/add/",
        {"name": "Acme", "monthly_fee": "100", "fee_currency": "EUR",
         "media_billing": "included"},
    )  # fmt: skip
    assert added.status_code == 302, added.content.decode()[:3000]
    partner = Partner.objects.get(name="Acme")
    changed = client.post(
        f"/admin/roles/partner/{partner.pk}/change/",
        {"name": "Acme", "monthly_fee": "250", "fee_currency": "EUR", "media_billing": "included"},
    )
    assert changed.status_code == 302
    entries = AuditEntry.objects.filter(subject="partner", subject_id=partner.pk).order_by("id")
    assert [e.action for e in entries] == ["admin_created", "admin_updated"]
    assert entries[1].changes == {"monthly_fee": ["100.00", "250.00"]}
    assert entries[1].actor == superuser_cmo
    team = Team.objects.create(name="Crew")
    client.post(
        f"/admin/roles/team/{team.pk}/change/", {"name": "Crew", "members": [superuser_cmo.pk]}
    )
    entry = AuditEntry.objects.get(subject="team", subject_id=team.pk)
    assert entry.changes == {"members": [[], [str(superuser_cmo)]]}
