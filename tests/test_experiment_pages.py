"""The experiment list (filters, pagination) and the dashboard's counts."""

import pytest
from django.urls import reverse

from experiments.models import Experiment, ExperimentStatus, Variant
from tests.experiments.helpers import put_in_status
from tests.factories import (
    ExperimentFactory,
    HypothesisFactory,
    ObjectiveFactory,
    PartnerFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["cmo", "operator", "marketer", "analyst"])
def test_every_role_reads_the_experiment_list(client, cast, role):
    ExperimentFactory(name="Logo wall")
    client.force_login(cast[role])
    response = client.get(reverse("experiments:list"))
    assert response.status_code == 200
    assert "Logo wall" in response.content.decode()


def test_the_list_needs_a_sign_in(client):
    assert client.get(reverse("experiments:list")).status_code == 302


def test_an_inactive_account_sees_nothing(client, outsider):
    client.force_login(outsider)
    assert client.get(reverse("experiments:list")).status_code == 302


def test_the_list_pages_by_25(client, marketer):
    ExperimentFactory.create_batch(27)
    client.force_login(marketer)
    second = client.get(reverse("experiments:list"), {"page": 2})
    assert len(second.context["page_obj"]) == 2
    assert second.context["page_obj"].paginator.count == 27


def test_the_list_filters_by_each_field(client, marketer, operator, operator2):
    objective, segment = ObjectiveFactory(), SegmentFactory()
    match = put_in_status(
        ExperimentFactory(
            name="Match",
            owner=operator,
            objective=objective,
            segment=segment,
            hypothesis=HypothesisFactory(channel="email"),
            executed_by=Experiment.ExecutedBy.AGENCY,
            partner=PartnerFactory(name="Northwind"),
        ),
        "running",
    )
    put_in_status(ExperimentFactory(name="Other owner", owner=operator2), "running")
    put_in_status(
        ExperimentFactory(name="In-house", owner=operator, objective=objective, segment=segment),
        "running",
    )
    ExperimentFactory(name="Draft", owner=operator, objective=objective, segment=segment)
    client.force_login(marketer)

    def names(**params):
        response = client.get(reverse("experiments:list"), params)
        return sorted(e.name for e in response.context["page_obj"])

    assert names(status="running", owner=operator.pk, executed_by="agency") == ["Match"]
    assert names(objective=objective.pk, segment=segment.pk, channel="email") == ["Match"]
    assert names(status="running", owner=operator.pk) == ["In-house", "Match"]
    assert names(q="matc") == ["Match"]
    assert match.status == "running"


def test_learnings_are_the_concluded_experiments(client, marketer):
    put_in_status(ExperimentFactory(name="Done"), "concluded", learnings="Logos build trust.")
    ExperimentFactory(name="Still a draft")
    client.force_login(marketer)
    response = client.get(reverse("experiments:list"), {"status": "concluded"})
    html = response.content.decode()
    assert "Learnings" in html and "Logos build trust." in html and "Still a draft" not in html


def test_a_filter_change_from_htmx_returns_only_the_results(client, marketer):
    ExperimentFactory(name="Logo wall")
    client.force_login(marketer)
    response = client.get(
        reverse("experiments:list"),
        {"status": "draft"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="experiment-results",
    )
    html = response.content.decode()
    assert html.startswith('<div id="experiment-results">') and "Logo wall" in html


def test_the_dashboard_counts_instead_of_listing_and_caps_your_experiments(client, operator):
    ExperimentFactory.create_batch(10, owner=operator)
    client.force_login(operator)
    response = client.get(reverse("programme:home"))
    assert len(response.context["mine"]) == 8 and response.context["mine_total"] == 10
    assert f"?owner={operator.pk}" in response.content.decode()
    groups = {status: count for _, status, count in response.context["groups"]}
    assert groups["draft"] == 10 and list(groups) == list(ExperimentStatus.values)


@pytest.fixture
def many_experiments(operator, operator2):
    """300 experiments across every status and two owners, inserted in bulk."""
    template = ExperimentFactory(owner=operator)
    northwind = PartnerFactory(name="Northwind")
    statuses = ExperimentStatus.values
    rows = [
        Experiment(
            name=f"Bulk {i}",
            key=f"bulk-{i}",
            hypothesis=template.hypothesis,
            objective=template.objective,
            segment=template.segment,
            primary_metric=template.primary_metric,
            owner=[operator, operator2][i % 2],
            status=statuses[i % len(statuses)],
            executed_by=Experiment.ExecutedBy.AGENCY if i % 5 == 0 else "in_house",
            partner=northwind if i % 5 == 0 else None,
        )
        for i in range(300)
    ]
    created = Experiment.objects.bulk_create(rows)
    Variant.objects.bulk_create(
        Variant(experiment=e, key=k, name=k, is_control=k == "control", weight=0.5)
        for e in created
        for k in ("control", "b")
    )
    return created


@pytest.mark.parametrize("role", ["operator", "cmo", "marketer"])
def test_the_dashboard_needs_a_bounded_number_of_queries(
    client, cast, many_experiments, django_assert_max_num_queries, role
):
    client.force_login(cast[role])
    # The next steps of "your experiments" read their latest looks and what the verdict needs
    # (variants, guardrails): three queries for the eight shown, whatever they are.
    with django_assert_max_num_queries(14):
        response = client.get(reverse("programme:home"))
    assert response.status_code == 200
    # Counts, not rows: at most the capped "your experiments" names appear.
    assert response.content.decode().count(">Bulk ") <= 8


@pytest.mark.parametrize("params", [{}, {"status": "running", "page": "2"}, {"channel": "web"}])
def test_the_list_needs_a_bounded_number_of_queries(
    client, marketer, many_experiments, django_assert_max_num_queries, params
):
    client.force_login(marketer)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("experiments:list"), params)
    assert response.status_code == 200


def test_the_cmo_sees_what_waits_for_a_decision(client, cmo, operator):
    put_in_status(ExperimentFactory(name="In review", owner=operator), "in_review")
    put_in_status(ExperimentFactory(name="Completed", owner=operator), "completed")
    put_in_status(ExperimentFactory(name="Own one", owner=cmo), "in_review")
    ExperimentFactory(name="Draft", owner=operator)
    client.force_login(cmo)
    response = client.get(reverse("programme:home"))
    assert sorted(e.name for e in response.context["awaiting"]) == ["Completed", "In review"]
    client.force_login(operator)
    assert client.get(reverse("programme:home")).context["awaiting"] == []
