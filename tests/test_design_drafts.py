"""The design page's draft: save, edit, submit, and who may do which."""

import pytest
from django.urls import reverse

from experiments.models import Experiment, Hypothesis, StatusChange
from tests.design_setup import TWO_ARMS, create_url, design_post, design_refs, edit_url
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory, PartnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def refs():
    return design_refs()


# --- save, edit, submit --------------------------------------------------------------------


def test_an_operator_saves_a_draft(client, operator, refs):
    client.force_login(operator)
    data = design_post(
        refs,
        secondary_metrics=[refs["revenue"].pk],
        guardrail_metrics=[refs["guardrail"].pk],
        executed_by="agency",
        partner=PartnerFactory(name="Northwind Growth Partners").pk,
    )
    response = client.post(create_url(refs), data)
    experiment = Experiment.objects.get()
    assert response.status_code == 302 and response["Location"] == edit_url(experiment)
    assert (experiment.owner, experiment.hypothesis, experiment.status) == (
        operator,
        refs["hypothesis"],
        "draft",
    )
    assert (experiment.key, experiment.baseline, experiment.daily_traffic) == (
        "logos-on-pricing",
        0.1,
        2000,
    )
    assert experiment.partner.name == "Northwind Growth Partners"
    assert list(experiment.secondary_metrics.all()) == [refs["revenue"]]
    assert list(experiment.guardrail_metrics.all()) == [refs["guardrail"]]
    assert [(v.key, v.is_control, v.weight) for v in experiment.variants.all()] == [
        ("control", True, 0.5),
        ("b", False, 0.5),
    ]
    assert not StatusChange.objects.exists()
    page = client.get(edit_url(experiment))
    assert "Saved the draft" in page.content.decode()
    assert 'id="ready"' in page.content.decode()  # complete: nothing missing for review


def test_the_owner_edits_the_draft_and_replaces_its_variants(client, operator, refs):
    experiment = ExperimentFactory(owner=operator, hypothesis=refs["hypothesis"])
    client.force_login(operator)
    page = client.get(edit_url(experiment))
    assert page.status_code == 200 and "key" not in page.context["form"].fields
    three = [
        ("control", "Control", True, "0.34"),
        ("b", "B", False, "0.33"),
        ("c", "C", False, "0.33"),
    ]
    data = design_post(refs, variants=three, name="Renamed", mde="0.2", key=None)
    response = client.post(edit_url(experiment), data)
    assert response.status_code == 302
    experiment.refresh_from_db()
    assert (experiment.name, experiment.mde) == ("Renamed", 0.2)
    assert [v.key for v in experiment.variants.all()] == ["control", "b", "c"]


def test_submitting_sends_the_design_to_review(client, operator, refs):
    client.force_login(operator)
    response = client.post(create_url(refs), design_post(refs, action="submit"))
    experiment = Experiment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("experiments:detail", args=[experiment.pk])
    assert experiment.status == "in_review"
    change = StatusChange.objects.get()
    assert (change.step, change.from_status, change.to_status, change.actor) == (
        "submit",
        "draft",
        "in_review",
        operator,
    )


def test_a_draft_sent_back_is_edited_and_submitted_again(client, operator, cmo, refs):
    from experiments.lifecycle import experiment_request_changes, experiment_submit

    experiment = ExperimentFactory(owner=operator, hypothesis=refs["hypothesis"])
    experiment_submit(experiment_id=experiment.pk, actor=operator)
    experiment_request_changes(experiment_id=experiment.pk, actor=cmo, note="Raise the MDE.")
    client.force_login(operator)
    response = client.post(
        edit_url(experiment), design_post(refs, action="submit", mde="0.15", key=None)
    )
    assert response.status_code == 302
    experiment.refresh_from_db()
    assert (experiment.status, experiment.mde) == ("in_review", 0.15)


def test_submit_shows_the_missing_items_beside_the_fields_and_saves_nothing(client, operator, refs):
    experiment = ExperimentFactory(owner=operator, hypothesis=refs["hypothesis"], baseline=0.1)
    client.force_login(operator)
    data = design_post(refs, action="submit", baseline="", daily_traffic="", key=None)
    response = client.post(edit_url(experiment), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["baseline"] == ["Give the control's baseline."]
    assert errors["daily_traffic"] == ["Give the expected daily traffic."]
    html = response.content.decode()
    assert 'id="id_baseline_errors"' in html and 'id="id_daily_traffic_errors"' in html
    assert "Nothing was saved" in html
    # The aside speaks of the saved draft, which is still complete; the fields of what was typed.
    assert "The saved draft is complete" in html and "_missing" not in html
    experiment.refresh_from_db()
    # Submit is all or nothing: the blanked fields were not saved either.
    assert (experiment.status, experiment.baseline, experiment.daily_traffic) == (
        "draft",
        0.1,
        2000,
    )
    assert not StatusChange.objects.exists()


def test_the_draft_page_lists_what_review_still_needs_beside_the_fields(client, operator, refs):
    experiment = ExperimentFactory(
        owner=operator, hypothesis=refs["hypothesis"], baseline=None, variants=[]
    )
    client.force_login(operator)
    html = client.get(edit_url(experiment)).content.decode()
    assert 'id="id_baseline_missing">Before review: Give the control&#x27;s baseline.' in html
    assert "Before review: Add at least two variants" in html
    assert 'id="missing-list"' in html


def test_a_failing_form_keeps_what_was_typed(client, operator, refs):
    client.force_login(operator)
    arms = [("control", "Control", True, "0.5"), ("b", "Variant B", False, "0.4")]
    data = design_post(refs, variants=arms, name="Typed name", baseline="0.123", alpha="0.7")
    response = client.post(create_url(refs), data)
    assert response.status_code == 200
    assert not Experiment.objects.exists()
    html = response.content.decode()
    assert 'value="Typed name"' in html and 'value="0.123"' in html and 'value="0.4"' in html
    assert response.context["form"].errors["alpha"] == [
        "Alpha must lie strictly between 0 and 0.5."
    ]
    # The variants' problem is said beside the variants, not lost.
    data["alpha"] = "0.05"
    response = client.post(create_url(refs), data)
    assert response.context["variant_problems"] == ["Weights must sum to 1 (they sum to 0.9)."]
    assert "Weights must sum to 1 (they sum to 0.9)." in response.content.decode()
    assert not Experiment.objects.exists()


def test_a_bad_variant_key_is_refused_in_its_row(client, operator, refs):
    client.force_login(operator)
    arms = [("control", "Control", True, "0.5"), ("not a slug", "B", False, "0.5")]
    response = client.post(create_url(refs), design_post(refs, variants=arms))
    assert response.status_code == 200
    assert response.context["formset"].errors[1]["key"]
    assert not Experiment.objects.exists()


def test_a_removed_variant_row_is_left_out(client, operator, refs):
    client.force_login(operator)
    arms = [*TWO_ARMS, ("c", "C", False, "0.2")]
    data = design_post(refs, variants=arms)
    data["variants-2-DELETE"] = "on"
    assert client.post(create_url(refs), data).status_code == 302
    assert [v.key for v in Experiment.objects.get().variants.all()] == ["control", "b"]


def test_a_new_hypothesis_is_not_designed_yet(client, operator, refs):
    Hypothesis.objects.filter(pk=refs["hypothesis"].pk).update(status=Hypothesis.Status.NEW)
    client.force_login(operator)
    assert 'id="not-testable"' in client.get(create_url(refs)).content.decode()
    response = client.post(create_url(refs), design_post(refs))
    assert response.status_code == 200
    assert "triage it into the backlog first" in response.content.decode()
    assert not Experiment.objects.exists()


# --- who may do what ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["cmo", "marketer", "analyst"])
def test_only_operators_design_a_new_experiment(client, cast, refs, role):
    client.force_login(cast[role])
    assert client.get(create_url(refs)).status_code == 403
    response = client.post(create_url(refs), design_post(refs))
    assert response.status_code == 403
    assert (
        "Only Growth operator, Agency partner may design a new experiment."
        in response.content.decode()
    )
    assert not Experiment.objects.exists()


def test_another_operators_draft_is_refused(client, operator, operator2, refs):
    experiment = ExperimentFactory(owner=operator, hypothesis=refs["hypothesis"], name="Mine")
    client.force_login(operator2)
    response = client.get(edit_url(experiment))
    assert response.status_code == 403
    assert "Only the owner (Omar) may edit and submit the design." in (response.content.decode())
    response = client.post(edit_url(experiment), design_post(refs, name="Taken", key=None))
    assert response.status_code == 403
    experiment.refresh_from_db()
    assert experiment.name == "Mine"


def test_the_cmo_reads_a_draft_but_cannot_change_it(client, cmo, operator, refs):
    experiment = ExperimentFactory(owner=operator, hypothesis=refs["hypothesis"], name="Mine")
    client.force_login(cmo)
    response = client.get(edit_url(experiment))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="read-only"' in html and "only its owner, Omar, edits" in html
    assert "Submit for review" not in html and "hx-post" not in html
    assert all(field.disabled for field in response.context["form"].fields.values())
    forced = client.post(edit_url(experiment), design_post(refs, action="submit", key=None))
    assert forced.status_code == 403
    assert (
        "Only Growth operator, Agency partner may edit and submit the design."
        in forced.content.decode()
    )
    experiment.refresh_from_db()
    assert (experiment.name, experiment.status) == ("Mine", "draft")


@pytest.mark.parametrize("role", ["marketer", "analyst"])
def test_marketers_and_analysts_get_a_403_page(client, cast, operator, refs, role):
    experiment = ExperimentFactory(owner=operator, hypothesis=refs["hypothesis"])
    client.force_login(cast[role])
    response = client.get(edit_url(experiment))
    assert response.status_code == 403
    assert 'id="refusal"' in response.content.decode()


def test_a_submitted_design_is_read_only_and_a_forced_edit_is_refused(client, operator, refs):
    experiment = put_in_status(
        ExperimentFactory(owner=operator, hypothesis=refs["hypothesis"], name="Mine"),
        "in_review",
    )
    client.force_login(operator)
    html = client.get(edit_url(experiment)).content.decode()
    assert "This design is in review, so it can no longer be edited." in html
    assert "Save draft" not in html
    response = client.post(edit_url(experiment), design_post(refs, name="Changed", key=None))
    assert response.status_code == 200
    assert "its design was frozen at approval" in response.content.decode()
    experiment.refresh_from_db()
    assert experiment.name == "Mine"


def test_the_pages_link_to_the_design_only_for_those_who_may(client, cast, refs):
    hypothesis = refs["hypothesis"]
    draft = ExperimentFactory(owner=cast["operator"], hypothesis=hypothesis)
    hypothesis_url = reverse("experiments:hypothesis-detail", args=[hypothesis.pk])
    experiment_url = reverse("experiments:detail", args=[draft.pk])
    design_button = 'id="design-experiment"'

    client.force_login(cast["operator"])
    assert design_button in client.get(hypothesis_url).content.decode()
    assert 'id="edit-design"' in client.get(experiment_url).content.decode()
    client.force_login(cast["operator2"])
    assert 'id="edit-design"' not in client.get(experiment_url).content.decode()
    client.force_login(cast["cmo"])
    assert design_button not in client.get(hypothesis_url).content.decode()
    assert 'id="read-design"' in client.get(experiment_url).content.decode()
    client.force_login(cast["marketer"])
    html = client.get(experiment_url).content.decode()
    assert 'id="edit-design"' not in html and 'id="read-design"' not in html
    assert design_button not in client.get(hypothesis_url).content.decode()

    # Only backlog ideas are designed from.
    Hypothesis.objects.filter(pk=hypothesis.pk).update(status=Hypothesis.Status.NEW)
    client.force_login(cast["operator"])
    assert design_button not in client.get(hypothesis_url).content.decode()
