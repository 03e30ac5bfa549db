"""Hypothesis pages: log one (with similar ideas), one hypothesis, and their queries on a
larger backlog."""

import factory
import pytest
from django.urls import reverse

from experiments.models import Comment, Experiment, Hypothesis, Segment
from experiments.search import hypothesis_similar
from tests.experiments.helpers import put_in_status
from tests.factories import (
    ExperimentFactory,
    HypothesisFactory,
    MetricFactory,
    ObjectiveFactory,
    SegmentFactory,
)
from tests.helpers import HTMX

pytestmark = pytest.mark.django_db


@pytest.fixture
def template_refs():
    return {
        "objective": ObjectiveFactory(name="Grow ARR"),
        "segment": SegmentFactory(name="SMB"),
        "metric": MetricFactory(key="signup_conversion", name="Sign-up conversion"),
    }


def hypothesis_post(refs, **changes):
    data = {
        "title": "Social proof on pricing",
        "observation": "visitors hesitate on the pricing page",
        "change": "adding customer logos next to the plans",
        "segment": refs["segment"].pk,
        "effect": "more sign-ups",
        "metric": refs["metric"].pk,
        "expected_mde": "0.05",
        "channel": "web",
        "objective": refs["objective"].pk,
        "impact": "7",
        "confidence": "5",
        "ease": "8",
        "reach": "",
        "effort": "",
    }
    data.update(changes)
    return data


# --- log a hypothesis ------------------------------------------------------------------


@pytest.mark.parametrize("role", ["cmo", "operator", "marketer", "analyst"])
def test_it_lets_every_role_open_the_form(client, cast, role):
    client.force_login(cast[role])
    response = client.get(reverse("experiments:hypothesis-create"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-trigger="keyup changed delay:300ms"' in html
    assert "Because we saw" in html and "Relative change you expect" in html


def test_it_refuses_an_inactive_account(client, outsider):
    client.force_login(outsider)
    response = client.get(reverse("experiments:hypothesis-create"))
    assert response.status_code == 302


def test_it_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("experiments:hypothesis-create"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_marketer_logs_a_hypothesis(client, marketer, template_refs):
    client.force_login(marketer)
    response = client.post(reverse("experiments:hypothesis-create"), hypothesis_post(template_refs))
    hypothesis = Hypothesis.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("experiments:hypothesis-detail", args=[hypothesis.pk])
    assert (hypothesis.author, hypothesis.status) == (marketer, Hypothesis.Status.NEW)
    assert (hypothesis.impact, hypothesis.confidence, hypothesis.ease) == (7, 5, 8)
    assert hypothesis.segment == template_refs["segment"]


def test_a_failed_form_keeps_what_was_typed_and_says_what_is_wrong(client, marketer, template_refs):
    client.force_login(marketer)
    data = hypothesis_post(template_refs, observation="", impact="11", reach="500")
    response = client.post(reverse("experiments:hypothesis-create"), data)
    assert response.status_code == 200
    assert not Hypothesis.objects.exists()
    form = response.context["form"]
    assert "observation" in form.errors and "impact" in form.errors
    html = response.content.decode()
    assert 'value="Social proof on pricing"' in html
    assert "adding customer logos next to the plans</textarea>" in html
    assert "is-invalid" in html
    assert "Nothing was saved: fix the fields marked below." in html  # said at the top too


def test_the_services_objection_shows_next_to_its_field(client, marketer, template_refs):
    client.force_login(marketer)
    data = hypothesis_post(
        template_refs, expected_mde="0"
    )  # the model's validator, via the service
    response = client.post(reverse("experiments:hypothesis-create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["expected_mde"]
    assert 'id="id_expected_mde_errors"' in response.content.decode()
    assert not Hypothesis.objects.exists()


def test_a_sunset_segment_is_not_offered_and_refused_if_forced(client, marketer, template_refs):
    Segment.objects.filter(pk=template_refs["segment"].pk).update(status=Segment.Status.SUNSET)
    client.force_login(marketer)
    response = client.post(reverse("experiments:hypothesis-create"), hypothesis_post(template_refs))
    assert response.status_code == 200
    assert "segment" in response.context["form"].errors
    assert not Hypothesis.objects.exists()


def test_typing_a_title_shows_similar_past_ideas(client, marketer):
    past = HypothesisFactory(title="Social proof on the pricing page")
    HypothesisFactory(
        title="Shorter sign-up form", observation="people abandon the form", change="fewer fields"
    )
    concluded = put_in_status(
        ExperimentFactory(name="Pricing page logos"), "concluded", learnings="Logos helped."
    )
    client.force_login(marketer)

    response = client.get(
        reverse("experiments:hypothesis-create"), {"title": "pricing proof"}, **HTMX
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="similar"')
    assert "<nav" not in html  # the fragment only, not the page
    assert past.title in html and concluded.name in html
    assert "Shorter sign-up form" not in html


def test_similar_ideas_rank_more_shared_words_first_and_stop_at_five(marketer):
    HypothesisFactory(title="Pricing page experiment")
    best = HypothesisFactory(title="Social proof on the pricing page")
    HypothesisFactory.create_batch(6, title="Pricing tweak")
    ExperimentFactory(name="Social proof pricing (not concluded)")

    found = hypothesis_similar("social proof pricing", limit=5, user=marketer)

    assert len(found) == 5
    assert found[0].title == best.title
    assert all(item.kind == "hypothesis" for item in found)
    assert hypothesis_similar("the and of", user=marketer) == []


def test_similar_ideas_leave_out_running_experiments(marketer):
    ExperimentFactory(name="Onboarding checklist")
    put_in_status(ExperimentFactory(name="Onboarding emails"), "concluded")
    names = [i.title for i in hypothesis_similar("onboarding", user=marketer)]
    assert "Onboarding emails" in names and "Onboarding checklist" not in names
    assert Experiment.objects.count() == 2 and not Comment.objects.exists()


# --- bounded queries on a larger backlog --------------------------------------------------------


@pytest.fixture
def large_backlog(cast):
    objective, segment = ObjectiveFactory(), SegmentFactory(parent=SegmentFactory(name="Parent"))
    metric = MetricFactory()
    statuses = list(Hypothesis.Status.values)
    authors = list(cast.values())
    hypotheses = HypothesisFactory.create_batch(
        200,
        objective=objective,
        segment=segment,
        metric=metric,
        author=factory.Iterator(authors),
        status=factory.Iterator(statuses),
        scored_by=cast["operator"],
    )
    for hypothesis in hypotheses[:50]:
        Comment.objects.create(hypothesis=hypothesis, author=cast["marketer"], body="+1")
    return hypotheses


@pytest.mark.parametrize("params", [{}, {"view": "board"}, {"sort": "rice", "page": "3"}])
@pytest.mark.parametrize("role", ["operator", "marketer"])
def test_the_backlog_needs_a_bounded_number_of_queries(
    client, cast, large_backlog, django_assert_max_num_queries, role, params
):
    client.force_login(cast[role])
    with django_assert_max_num_queries(14):
        response = client.get(reverse("experiments:hypothesis-list"), params)
    assert response.status_code == 200


# --- one hypothesis -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["cmo", "operator", "marketer", "analyst"])
def test_every_role_reads_a_hypothesis(client, cast, role):
    hypothesis = HypothesisFactory(title="Social proof on pricing")
    client.force_login(cast[role])
    response = client.get(reverse("experiments:hypothesis-detail", args=[hypothesis.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Because we observed visitors leave the pricing page" in html
    assert f"we believe that {hypothesis.change.rstrip('.')} for {hypothesis.segment.name}" in html
    assert ("Change the scores" in html) is (role in ("cmo", "operator"))


def test_an_unknown_hypothesis_is_a_404(client, marketer):
    client.force_login(marketer)
    assert client.get(reverse("experiments:hypothesis-detail", args=[999])).status_code == 404


def test_the_page_says_who_scored_and_when(client, marketer, operator):
    hypothesis = HypothesisFactory()
    url = reverse("experiments:hypothesis-detail", args=[hypothesis.pk])
    client.force_login(marketer)
    assert "not scored by an operator yet" in client.get(url).content.decode()

    client.force_login(operator)
    client.post(
        reverse("experiments:hypothesis-score", args=[hypothesis.pk]),
        {"impact": 8, "confidence": 6, "ease": 4, "next": url},
    )
    client.force_login(marketer)
    html = client.get(url).content.decode()
    assert "Scored by Omar on" in html and ">6.0</span>" in html


def test_the_page_lists_its_experiments_and_where_an_iteration_came_from(client, marketer):
    parent = HypothesisFactory(title="Logo wall")
    experiment = put_in_status(
        ExperimentFactory(hypothesis=parent, name="Logo wall test"), "concluded", outcome="lost"
    )
    follow_up = HypothesisFactory(
        title="Logo wall, take two",
        iterates_on_hypothesis=parent,
        iterates_on_experiment=experiment,
    )
    client.force_login(marketer)

    parent_html = client.get(reverse("experiments:hypothesis-detail", args=[parent.pk])).content
    follow_html = client.get(reverse("experiments:hypothesis-detail", args=[follow_up.pk])).content

    assert b"Logo wall test" in parent_html and b"Logo wall, take two" in parent_html
    assert reverse("experiments:detail", args=[experiment.pk]).encode() in follow_html
    assert b"Iterates on" in follow_html and b"lost" in follow_html


@pytest.mark.parametrize("role", ["cmo", "operator", "marketer", "analyst"])
def test_every_role_comments_on_a_hypothesis(client, cast, role):
    hypothesis = HypothesisFactory()
    url = reverse("experiments:hypothesis-detail", args=[hypothesis.pk])
    client.force_login(cast[role])
    response = client.post(url, {"body": "  We tried this in 2024.  "})
    assert response.status_code == 302 and response["Location"] == url
    comment = Comment.objects.get()
    assert (comment.hypothesis, comment.author, comment.body) == (
        hypothesis,
        cast[role],
        "We tried this in 2024.",
    )
    assert "We tried this in 2024." in client.get(url).content.decode()


def test_an_empty_comment_is_refused_next_to_the_field(client, marketer):
    hypothesis = HypothesisFactory()
    client.force_login(marketer)
    response = client.post(
        reverse("experiments:hypothesis-detail", args=[hypothesis.pk]), {"body": "   "}
    )
    assert response.status_code == 200
    assert response.context["comment_form"].errors["body"]
    assert not Comment.objects.exists()


def test_comments_on_the_experiment_page(client, analyst):
    experiment = ExperimentFactory()
    url = reverse("experiments:detail", args=[experiment.pk])
    client.force_login(analyst)
    response = client.post(url, {"body": "Tracking looks fine."})
    assert response.status_code == 302
    assert Comment.objects.get().experiment == experiment
    assert "Tracking looks fine." in client.get(url).content.decode()


def test_triage_from_the_hypothesis_page_comes_back_to_it(client, operator):
    hypothesis = HypothesisFactory(status=Hypothesis.Status.NEW)
    url = reverse("experiments:hypothesis-detail", args=[hypothesis.pk])
    client.force_login(operator)
    response = client.post(
        reverse("experiments:hypothesis-triage", args=[hypothesis.pk]),
        {"status": "backlog", "next": url},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == url
    assert "is now backlog" in response.content.decode()
    hypothesis.refresh_from_db()
    assert hypothesis.status == Hypothesis.Status.BACKLOG


def test_the_hypothesis_page_needs_a_bounded_number_of_queries(
    client, cast, large_backlog, django_assert_max_num_queries
):
    hypothesis = large_backlog[0]
    ExperimentFactory.create_batch(3, hypothesis=hypothesis)
    client.force_login(cast["operator"])
    with django_assert_max_num_queries(14):
        response = client.get(reverse("experiments:hypothesis-detail", args=[hypothesis.pk]))
    assert response.status_code == 200
