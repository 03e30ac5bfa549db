"""Hypothesis pages: log one (with similar ideas), the backlog, scoring and triage, one hypothesis."""

import pytest
from django.urls import reverse

from experiments.models import Comment, Experiment, Hypothesis, Segment
from experiments.selectors import hypothesis_similar
from tests.experiments.helpers import put_in_status
from tests.factories import (
    ExperimentFactory,
    HypothesisFactory,
    MetricFactory,
    ObjectiveFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


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
    assert response.status_code in (302, 403)


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


def test_the_services_objection_shows_next_to_its_field(client, marketer, template_refs):
    client.force_login(marketer)
    data = hypothesis_post(template_refs, reach="500", effort="")
    response = client.post(reverse("experiments:hypothesis-create"), data)
    assert response.status_code == 200
    assert "RICE needs both reach and effort" in response.content.decode()
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
