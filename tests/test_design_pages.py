"""The design page: design an experiment from a backlog hypothesis, live sample size and flags,
save, edit, submit, and who may do which."""

import pytest
from django.urls import reverse

from analytics.stats import duration_days, sample_size_means, sample_size_proportions
from experiments.design import MAX_DURATION_DAYS, Design, design_flags
from experiments.models import Experiment, Hypothesis, Metric, Segment, StatusChange
from tests.experiments.helpers import put_in_status
from tests.factories import (
    ExperimentFactory,
    HypothesisFactory,
    MetricFactory,
    ObjectiveFactory,
    PartnerFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db

PREVIEW = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "design-preview"}
TWO_ARMS = [("control", "Control", True, "0.5"), ("b", "Variant B", False, "0.5")]


@pytest.fixture
def refs():
    objective = ObjectiveFactory(name="Grow ARR")
    # 300,000 a month: about 10,000 people a day.
    segment = SegmentFactory(name="Self-serve trials", monthly_reach=300_000)
    metric = MetricFactory(key="signup_conversion", name="Sign-up conversion")
    hypothesis = HypothesisFactory(
        title="Social proof on pricing",
        objective=objective,
        segment=segment,
        metric=metric,
        expected_mde=0.1,
        status=Hypothesis.Status.BACKLOG,
    )
    return {
        "objective": objective,
        "segment": segment,
        "metric": metric,
        "hypothesis": hypothesis,
        "guardrail": MetricFactory(key="unsubscribe_rate", name="Unsubscribe rate"),
        "revenue": MetricFactory(
            key="revenue_per_visitor", name="Revenue per visitor", kind=Metric.Kind.MEAN
        ),
    }


def design_post(refs, *, action="save", variants=TWO_ARMS, **changes):
    data = {
        "name": "Logos on the pricing page",
        "key": "logos-on-pricing",
        "objective": refs["objective"].pk,
        "segment": refs["segment"].pk,
        "executed_by": "in_house",
        "primary_metric": refs["metric"].pk,
        "method": "frequentist",
        "correction": "none",
        "sequential_tau": "",
        "alpha": "0.05",
        "power": "0.8",
        "mde": "0.1",
        "baseline": "0.1",
        "baseline_sd": "",
        "daily_traffic": "2000",
        "reach_per_year": "",
        "value_per_conversion": "",
        "action": action,
        "variants-TOTAL_FORMS": str(len(variants)),
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "1000",
    }
    for i, (key, name, is_control, weight) in enumerate(variants):
        data[f"variants-{i}-key"] = key
        data[f"variants-{i}-name"] = name
        data[f"variants-{i}-weight"] = weight
        if is_control:
            data[f"variants-{i}-is_control"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def create_url(refs):
    return reverse("experiments:design-create", args=[refs["hypothesis"].pk])


def edit_url(experiment):
    return reverse("experiments:design-edit", args=[experiment.pk])


# --- the page and its live preview -------------------------------------------------------


def test_it_opens_prefilled_from_the_hypothesis(client, operator, refs):
    client.force_login(operator)
    response = client.get(create_url(refs))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["name"].value() == "Social proof on pricing"
    assert form["key"].value() == "social-proof-on-pricing"
    assert form["segment"].value() == refs["segment"].pk
    assert form["primary_metric"].value() == refs["metric"].pk
    assert form["mde"].value() == 0.1
    html = response.content.decode()
    assert 'hx-trigger="input delay:300ms, change"' in html
    assert 'name="variants-TOTAL_FORMS" value="2"' in html
    assert 'id="variant-template"' in html
    assert not Experiment.objects.exists()


def test_the_suggested_key_is_free(client, operator, refs):
    ExperimentFactory(key="social-proof-on-pricing")
    ExperimentFactory(key="social-proof-on-pricing-2")
    client.force_login(operator)
    form = client.get(create_url(refs)).context["form"]
    assert form["key"].value() == "social-proof-on-pricing-3"


def test_the_live_preview_gives_the_power_functions_sample_size(client, operator, refs):
    client.force_login(operator)
    response = client.post(
        create_url(refs), design_post(refs, baseline="0.12", mde="0.05"), **PREVIEW
    )
    assert response.status_code == 200
    expected = int(sample_size_proportions(0.12, 0.05, alpha=0.05, power=0.8))
    design = response.context["design"]
    assert design.sample_size_per_variant == expected
    assert design.total_sample_size == 2 * expected
    assert design.duration_days == int(duration_days(expected, 2000, weights=[0.5, 0.5]))
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="design-preview"')
    assert f'data-value="{expected}"' in html
    assert not Experiment.objects.exists()  # a preview saves nothing


def test_the_preview_of_a_mean_metric_uses_the_sd_and_the_absolute_effect(client, operator, refs):
    client.force_login(operator)
    data = design_post(
        refs, primary_metric=refs["revenue"].pk, baseline="8", baseline_sd="14", mde="0.05"
    )
    design = client.post(create_url(refs), data, **PREVIEW).context["design"]
    assert design.sample_size_per_variant == int(sample_size_means(14, 8 * 0.05))


def test_the_preview_follows_the_variants_weights(client, operator, refs):
    client.force_login(operator)
    arms = [("control", "Control", True, "0.8"), ("b", "B", False, "0.2")]
    design = client.post(create_url(refs), design_post(refs, variants=arms), **PREVIEW).context[
        "design"
    ]
    n = int(sample_size_proportions(0.1, 0.1))
    assert design.duration_days == int(duration_days(n, 2000, weights=[0.8, 0.2]))


def test_the_preview_says_what_it_still_needs(client, operator, refs):
    client.force_login(operator)
    response = client.post(create_url(refs), design_post(refs, baseline=""), **PREVIEW)
    assert response.context["design"] is None
    assert 'id="design-incomplete"' in response.content.decode()


def test_a_design_over_ninety_days_is_flagged_beside_the_field(client, operator, refs):
    client.force_login(operator)
    slow = design_post(refs, baseline="0.05", mde="0.02", daily_traffic="1000")
    response = client.post(create_url(refs), slow, **PREVIEW)
    design = response.context["design"]
    assert design.duration_days > MAX_DURATION_DAYS
    html = response.content.decode()
    assert 'id="flag-duration" class="design-flag is-flagged" hx-swap-oob="true"' in html
    assert f"Needs {design.duration_days} days, more than 90" in html

    # Raising the MDE brings it under the limit and the flag goes.
    response = client.post(create_url(refs), {**slow, "mde": "0.2"}, **PREVIEW)
    assert response.context["design"].duration_days <= MAX_DURATION_DAYS
    assert response.context["flags"] == {}
    assert '<div id="flag-duration" class="design-flag" hx-swap-oob="true"></div>' in (
        response.content.decode()
    )


def test_traffic_above_the_segments_is_flagged(client, operator, refs):
    client.force_login(operator)
    response = client.post(create_url(refs), design_post(refs, daily_traffic="12000"), **PREVIEW)
    flag = response.context["flags"]["daily_traffic"]
    assert "reaches about 10,000 people a day (300,000 a month)" in flag
    assert 'id="flag-daily_traffic" class="design-flag is-flagged"' in response.content.decode()
    response = client.post(create_url(refs), design_post(refs, daily_traffic="9000"), **PREVIEW)
    assert "daily_traffic" not in response.context["flags"]


def test_the_flags_rule_itself():
    segment = Segment(name="Small", monthly_reach=3000)
    assert design_flags(Design(100, 200, 90), daily_traffic=100, segment=segment) == {}
    flags = design_flags(Design(100, 200, 91), daily_traffic=101, segment=segment)
    assert set(flags) == {"duration", "daily_traffic"}
    assert design_flags(None, daily_traffic=None, segment=None) == {}


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


# --- bounded queries ------------------------------------------------------------------------


@pytest.fixture
def many_choices(cast, refs):
    """A larger organisation: nested segments, many metrics, 300 experiments."""
    parent = SegmentFactory(name="Parent")
    for i in range(30):
        SegmentFactory(name=f"Child {i}", parent=SegmentFactory(name=f"Middle {i}", parent=parent))
    MetricFactory.create_batch(20)
    ObjectiveFactory.create_batch(5)
    template = ExperimentFactory(owner=cast["operator"], hypothesis=refs["hypothesis"])
    Experiment.objects.bulk_create(
        Experiment(
            name=f"Bulk {i}",
            key=f"social-proof-on-pricing-{i + 2}",
            hypothesis=template.hypothesis,
            owner=cast["operator2"],
        )
        for i in range(300)
    )
    return template


@pytest.mark.parametrize("page", ["create", "edit", "preview"])
def test_the_design_page_needs_a_bounded_number_of_queries(
    client, cast, refs, many_choices, django_assert_max_num_queries, page
):
    client.force_login(cast["operator"])
    # The suggestions (recent observations, in the segment and then in any; the shrunk
    # lifts) read three of these, whatever the number of choices; one reads the partners.
    with django_assert_max_num_queries(20):
        if page == "create":
            response = client.get(create_url(refs))
        elif page == "edit":
            response = client.get(edit_url(many_choices))
        else:
            response = client.post(create_url(refs), design_post(refs), **PREVIEW)
    assert response.status_code == 200


def test_an_operator_at_capacity_is_told_so(client, operator, refs):
    from roles.models import OperatorProfile

    OperatorProfile.objects.create(user=operator, capacity=1)
    ExperimentFactory(owner=operator)
    client.force_login(operator)
    response = client.post(create_url(refs), design_post(refs))
    assert response.status_code == 200
    assert "already owns 1 active experiments (capacity 1)" in response.content.decode()
    assert Experiment.objects.filter(owner=operator).count() == 1


def test_a_weight_not_typed_yet_counts_as_an_equal_split_in_the_preview(client, operator, refs):
    client.force_login(operator)
    arms = [*TWO_ARMS, ("c", "C", False, "")]
    design = client.post(create_url(refs), design_post(refs, variants=arms), **PREVIEW).context[
        "design"
    ]
    n = int(sample_size_proportions(0.1, 0.1))
    assert design.total_sample_size == 3 * n
    assert design.duration_days == int(duration_days(n, 2000, weights=[1 / 3] * 3))
