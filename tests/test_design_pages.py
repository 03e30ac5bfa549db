"""The design page: design an experiment from a backlog hypothesis, its live sample size and
flags, and its queries."""

import pytest

from analytics.stats import duration_days, sample_size_means, sample_size_proportions
from experiments.design import MAX_DURATION_DAYS, Design, design_flags
from experiments.models import Experiment, Segment
from tests.design_setup import PREVIEW, TWO_ARMS, create_url, design_post, design_refs, edit_url
from tests.factories import ExperimentFactory, MetricFactory, ObjectiveFactory, SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def refs():
    return design_refs()


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
