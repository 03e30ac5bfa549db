"""Hypothesis pages: log one (with similar ideas), the backlog, scoring and triage, one hypothesis."""

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


# --- the backlog -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["cmo", "operator", "marketer", "analyst"])
def test_every_role_reads_the_backlog(client, cast, role):
    HypothesisFactory(title="Social proof on pricing")
    client.force_login(cast[role])
    response = client.get(reverse("experiments:hypothesis-list"))
    assert response.status_code == 200
    assert "Social proof on pricing" in response.content.decode()


def test_the_backlog_needs_a_sign_in(client):
    response = client.get(reverse("experiments:hypothesis-list"))
    assert response.status_code == 302


@pytest.mark.parametrize(
    "role, sees_controls",
    [("operator", True), ("cmo", True), ("marketer", False), ("analyst", False)],
)
def test_triage_controls_show_only_for_those_who_may_triage(client, cast, role, sees_controls):
    hypothesis = HypothesisFactory(status=Hypothesis.Status.NEW)
    client.force_login(cast[role])
    html = client.get(reverse("experiments:hypothesis-list")).content.decode()
    score_url = reverse("experiments:hypothesis-score", args=[hypothesis.pk])
    triage_url = reverse("experiments:hypothesis-triage", args=[hypothesis.pk])
    assert (score_url in html) is sees_controls
    assert (triage_url in html) is sees_controls


def test_the_backlog_pages_by_25(client, marketer):
    HypothesisFactory.create_batch(30)
    client.force_login(marketer)
    first = client.get(reverse("experiments:hypothesis-list"))
    second = client.get(reverse("experiments:hypothesis-list"), {"page": 2})
    assert len(first.context["page_obj"]) == 25 and len(second.context["page_obj"]) == 5
    assert 'rel="next"' in first.content.decode()


def test_the_backlog_filters(client, marketer, operator):
    objective = ObjectiveFactory(name="Grow ARR")
    segment = SegmentFactory(name="SMB")
    match = HypothesisFactory(
        title="Match",
        objective=objective,
        segment=segment,
        channel="email",
        author=marketer,
        status=Hypothesis.Status.NEW,
        impact=9,
        confidence=9,
        ease=9,
    )
    HypothesisFactory(title="Other objective", segment=segment, channel="email", author=marketer)
    HypothesisFactory(
        title="Low score",
        objective=objective,
        segment=segment,
        channel="email",
        author=marketer,
        status=Hypothesis.Status.NEW,
        impact=1,
        confidence=1,
        ease=1,
    )
    HypothesisFactory(
        title="Someone else's",
        objective=objective,
        segment=segment,
        channel="email",
        author=operator,
        status=Hypothesis.Status.NEW,
        impact=9,
        confidence=9,
        ease=9,
    )
    client.force_login(marketer)
    params = {
        "objective": objective.pk,
        "segment": segment.pk,
        "channel": "email",
        "author": marketer.pk,
        "status": "new",
        "min_score": "7",
    }
    response = client.get(reverse("experiments:hypothesis-list"), params)
    assert [h.title for h in response.context["page_obj"]] == [match.title]
    mine = client.get(reverse("experiments:hypothesis-list"), {"mine": "on", "min_score": "7"})
    assert [h.title for h in mine.context["page_obj"]] == ["Match"]


def test_the_backlog_sorts_by_ice_rice_and_age(client, marketer):
    low = HypothesisFactory(title="Low", impact=2, confidence=2, ease=2, reach=100_000, effort=1)
    high = HypothesisFactory(title="High", impact=9, confidence=9, ease=9)
    mid = HypothesisFactory(title="Mid", impact=5, confidence=5, ease=5, reach=10, effort=1)
    client.force_login(marketer)

    def titles(sort):
        response = client.get(reverse("experiments:hypothesis-list"), {"sort": sort})
        return [h.title for h in response.context["page_obj"]]

    assert titles("ice") == ["High", "Mid", "Low"]
    assert titles("rice") == ["Low", "Mid", "High"]  # no RICE sorts last
    assert titles("newest") == ["Mid", "High", "Low"]
    assert titles("oldest") == ["Low", "High", "Mid"]
    assert {low.pk, high.pk, mid.pk}


def test_a_filter_change_from_htmx_returns_only_the_results(client, marketer):
    HypothesisFactory(title="Email idea", channel="email")
    HypothesisFactory(title="Web idea", channel="web")
    client.force_login(marketer)
    response = client.get(
        reverse("experiments:hypothesis-list"),
        {"channel": "email"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="backlog-results",
    )
    html = response.content.decode()
    assert html.startswith('<div id="backlog-results">')
    assert "Email idea" in html and "Web idea" not in html and "<nav" not in html


def test_the_board_groups_by_status_and_caps_its_columns(client, marketer):
    HypothesisFactory.create_batch(10, status=Hypothesis.Status.NEW)
    HypothesisFactory(title="Rejected one", status=Hypothesis.Status.REJECTED)
    client.force_login(marketer)
    response = client.get(reverse("experiments:hypothesis-list"), {"view": "board"})
    columns = {status.value: (cards, total) for status, cards, total in response.context["columns"]}
    assert list(columns) == ["new", "backlog", "in_test", "rejected"]
    assert len(columns["new"][0]) == 8 and columns["new"][1] == 10
    assert [h.title for h in columns["rejected"][0]] == ["Rejected one"]
    html = response.content.decode()
    assert "Show all 10" in html and "status=new" in html


def test_the_backlog_empty_state_says_what_to_do(client, marketer):
    client.force_login(marketer)
    html = client.get(reverse("experiments:hypothesis-list")).content.decode()
    assert "No hypotheses yet" in html and reverse("experiments:hypothesis-create") in html


# --- inline scoring and triage --------------------------------------------------------------


def test_an_operator_scores_inline_and_gets_the_row_back(client, operator):
    hypothesis = HypothesisFactory(impact=2, confidence=2, ease=2)
    client.force_login(operator)

    response = client.post(
        reverse("experiments:hypothesis-score", args=[hypothesis.pk]),
        {"impact": 9, "confidence": 8, "ease": 7, "reach": 2000, "effort": 2},
        **HTMX,
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="hypothesis-{hypothesis.pk}"')
    assert '<span class="score score-high"' in html and ">8.0</span>" in html
    assert '">7,200</td>' in html  # RICE = 2000 × 9 × 0.8 ÷ 2
    hypothesis.refresh_from_db()
    assert (hypothesis.impact, hypothesis.confidence, hypothesis.ease) == (9, 8, 7)
    assert (hypothesis.reach, hypothesis.effort) == (2000, 2)
    assert hypothesis.scored_by == operator and hypothesis.scored_at is not None


def test_a_bad_score_is_explained_in_the_row_and_changes_nothing(client, cmo):
    hypothesis = HypothesisFactory(impact=2, confidence=2, ease=2)
    client.force_login(cmo)
    response = client.post(
        reverse("experiments:hypothesis-score", args=[hypothesis.pk]),
        {"impact": 11, "confidence": 8, "ease": 7, "reach": 500, "effort": ""},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "row-error" in html and "Impact" in html
    assert 'value="11"' in html  # what was typed stays in the open editor
    hypothesis.refresh_from_db()
    assert (hypothesis.impact, hypothesis.scored_by) == (2, None)


def test_rice_without_effort_is_refused_by_the_service(client, operator):
    hypothesis = HypothesisFactory()
    client.force_login(operator)
    response = client.post(
        reverse("experiments:hypothesis-score", args=[hypothesis.pk]),
        {"impact": 5, "confidence": 5, "ease": 5, "reach": 500},
        **HTMX,
    )
    assert "RICE needs both reach and effort" in response.content.decode()
    hypothesis.refresh_from_db()
    assert hypothesis.reach is None


def test_an_operator_moves_a_new_hypothesis_to_the_backlog(client, operator):
    hypothesis = HypothesisFactory(status=Hypothesis.Status.NEW)
    client.force_login(operator)
    response = client.post(
        reverse("experiments:hypothesis-triage", args=[hypothesis.pk]),
        {"status": "backlog"},
        **HTMX,
    )
    assert response.status_code == 200
    assert 'data-status="backlog"' in response.content.decode()
    hypothesis.refresh_from_db()
    assert hypothesis.status == Hypothesis.Status.BACKLOG
    assert not Comment.objects.exists()


def test_a_rejection_keeps_its_reason_as_a_comment(client, cmo):
    hypothesis = HypothesisFactory(status=Hypothesis.Status.BACKLOG)
    client.force_login(cmo)
    response = client.post(
        reverse("experiments:hypothesis-triage", args=[hypothesis.pk]),
        {"status": "rejected", "reason": "Duplicates the pricing test."},
        **HTMX,
    )
    assert response.status_code == 200
    hypothesis.refresh_from_db()
    assert hypothesis.status == Hypothesis.Status.REJECTED
    comment = Comment.objects.get()
    assert (comment.hypothesis, comment.author) == (hypothesis, cmo)
    assert comment.body == "Rejected: Duplicates the pricing test."


def test_triage_of_a_hypothesis_in_test_is_refused_with_the_reason(client, operator):
    hypothesis = HypothesisFactory(status=Hypothesis.Status.IN_TEST)
    client.force_login(operator)
    response = client.post(
        reverse("experiments:hypothesis-triage", args=[hypothesis.pk]),
        {"status": "rejected", "reason": "x"},
        follow=True,
    )
    assert "only new or backlog hypotheses can be triaged" in response.content.decode()
    hypothesis.refresh_from_db()
    assert hypothesis.status == Hypothesis.Status.IN_TEST
    assert not Comment.objects.exists()


@pytest.mark.parametrize("role", ["marketer", "analyst"])
@pytest.mark.parametrize("action", ["hypothesis-score", "hypothesis-triage"])
def test_a_forced_post_by_someone_who_may_not_triage_is_refused(client, cast, role, action):
    hypothesis = HypothesisFactory(status=Hypothesis.Status.NEW, impact=3, confidence=3, ease=3)
    client.force_login(cast[role])
    response = client.post(
        reverse(f"experiments:{action}", args=[hypothesis.pk]),
        {"status": "backlog", "impact": 9, "confidence": 9, "ease": 9},
    )
    assert response.status_code == 403
    assert "Only CMO, Growth operator may move to backlog, reject, and score hypotheses" in (
        response.content.decode()
    )
    hypothesis.refresh_from_db()
    assert (hypothesis.status, hypothesis.impact) == (Hypothesis.Status.NEW, 3)


def test_scoring_without_htmx_goes_back_with_a_message(client, operator):
    hypothesis = HypothesisFactory()
    client.force_login(operator)
    back = reverse("experiments:hypothesis-list") + "?sort=newest"
    response = client.post(
        reverse("experiments:hypothesis-score", args=[hypothesis.pk]),
        {"impact": 4, "confidence": 4, "ease": 4, "next": back},
    )
    assert response.status_code == 302 and response["Location"] == back
    response = client.post(
        reverse("experiments:hypothesis-score", args=[hypothesis.pk]),
        {"impact": 4, "confidence": 4, "ease": 4, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("experiments:hypothesis-detail", args=[hypothesis.pk])


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
