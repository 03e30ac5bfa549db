"""The hypothesis backlog page: who reads it, paging, filters, sorting, the board; inline
scoring and triage."""

import html
import re

import pytest
from django.urls import reverse

from experiments.models import Comment, Hypothesis
from tests.factories import HypothesisFactory, ObjectiveFactory, SegmentFactory
from tests.helpers import HTMX

pytestmark = pytest.mark.django_db


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


def test_a_board_column_counts_what_its_show_all_link_lists(client, marketer, operator):
    # Comments join into the backlog's query (its comment count): counted by that query,
    # an idea with two comments would count twice.
    backlog = HypothesisFactory.create_batch(9, status=Hypothesis.Status.BACKLOG)
    in_test = HypothesisFactory.create_batch(9, status=Hypothesis.Status.IN_TEST)
    for hypothesis in (backlog[0], backlog[0], backlog[1], in_test[0]):
        Comment.objects.create(hypothesis=hypothesis, author=operator, body="Worth a test.")
    client.force_login(marketer)

    board = client.get(reverse("experiments:hypothesis-list"), {"view": "board"})

    totals = {status.value: total for status, _, total in board.context["columns"]}
    assert totals == {"new": 0, "backlog": 9, "in_test": 9, "rejected": 0}
    page = board.content.decode()
    for status, ideas in [("backlog", backlog), ("in_test", in_test)]:
        column = re.search(rf'data-column="{status}".*?</section>', page, re.S).group()
        shown = re.search(r'class="text-body-secondary">(\d+)</span></h2>', column).group(1)
        link, linked = re.search(r'href="([^"]*)">Show all (\d+) →</a>', column).groups()
        listed = client.get(reverse("experiments:hypothesis-list") + html.unescape(link))
        assert "view=board" not in html.unescape(link) and f"status={status}" in link
        assert shown == linked == str(len(ideas))
        assert listed.context["page_obj"].paginator.count == len(ideas)
        assert {h.pk for h in listed.context["page_obj"]} == {h.pk for h in ideas}


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
