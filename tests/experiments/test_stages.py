"""A hypothesis's stage, from its experiments (experiments/stages.py): every case by hand, in
the API, on the pages and in "My ideas"."""

import datetime as dt

import pytest

from experiments.models import Decision, ExperimentStatus, Hypothesis, Outcome
from experiments.stages import Stage, stage_of, with_stage
from tests.api.problems import problem_errors
from tests.conftest import client_for
from tests.factories import ExperimentFactory, HypothesisFactory

S = ExperimentStatus
pytestmark = pytest.mark.django_db


def _concluded(hypothesis, outcome, decision, end):
    return ExperimentFactory(
        hypothesis=hypothesis,
        status=S.CONCLUDED,
        outcome=outcome,
        decision=decision,
        start_date=end - dt.timedelta(days=14),
        end_date=end,
    )


def _stage(hypothesis) -> str:
    return with_stage(Hypothesis.objects.filter(pk=hypothesis.pk)).get().stage


MAY = dt.date(2026, 5, 1)
JUNE = dt.date(2026, 6, 1)


@pytest.mark.parametrize(
    ("status", "tests", "expected"),
    [
        # No test yet: a new idea awaits triage, a backlog one is in the backlog; a rejected one is
        # abandoned.
        (Hypothesis.Status.NEW, [], Stage.AWAITING_TRIAGE),
        (Hypothesis.Status.BACKLOG, [], Stage.IN_BACKLOG),
        (Hypothesis.Status.REJECTED, [], Stage.ABANDONED),
        # Undecided tests, by how far they have come.
        (Hypothesis.Status.BACKLOG, [S.DRAFT], Stage.IN_DESIGN),
        (Hypothesis.Status.BACKLOG, [S.IN_REVIEW], Stage.IN_REVIEW),
        (Hypothesis.Status.BACKLOG, [S.DRAFT, S.IN_REVIEW], Stage.IN_REVIEW),
        (Hypothesis.Status.BACKLOG, [S.APPROVED], Stage.IN_TEST),
        (Hypothesis.Status.IN_TEST, [S.RUNNING], Stage.IN_TEST),
        (Hypothesis.Status.IN_TEST, [S.PAUSED], Stage.IN_TEST),
        (Hypothesis.Status.IN_TEST, [S.COMPLETED], Stage.IN_TEST),
        (Hypothesis.Status.IN_TEST, [S.DRAFT, S.RUNNING], Stage.IN_TEST),
        # A killed test sends the idea back to the backlog.
        (Hypothesis.Status.BACKLOG, [S.KILLED], Stage.IN_BACKLOG),
        (Hypothesis.Status.BACKLOG, [S.KILLED, S.DRAFT], Stage.IN_DESIGN),
    ],
)
def test_it_follows_the_tests_not_yet_decided(status, tests, expected):
    hypothesis = HypothesisFactory(status=status)
    for test_status in tests:
        ExperimentFactory(hypothesis=hypothesis, status=test_status)
    assert _stage(hypothesis) == expected


@pytest.mark.parametrize(
    ("outcome", "decision", "expected"),
    [
        (Outcome.WON, Decision.SCALE, Stage.WON),
        (Outcome.WON, Decision.ITERATE, Stage.WON),
        (Outcome.LOST, Decision.ABANDON, Stage.LOST),
        (Outcome.LOST, Decision.ITERATE, Stage.LOST),
        (Outcome.INCONCLUSIVE, Decision.ITERATE, Stage.INCONCLUSIVE),
        (Outcome.INCONCLUSIVE, Decision.ABANDON, Stage.ABANDONED),
    ],
)
def test_a_decided_idea_reads_its_outcome(outcome, decision, expected):
    hypothesis = HypothesisFactory(status=Hypothesis.Status.VALIDATED)
    _concluded(hypothesis, outcome, decision, MAY)
    assert _stage(hypothesis) == expected


def test_the_latest_concluded_test_counts_and_an_undecided_one_comes_first():
    hypothesis = HypothesisFactory(status=Hypothesis.Status.INVALIDATED)
    _concluded(hypothesis, Outcome.WON, Decision.SCALE, MAY)
    _concluded(hypothesis, Outcome.LOST, Decision.ABANDON, JUNE)
    assert _stage(hypothesis) == Stage.LOST
    # Concluded later, but ended earlier: the one that ended last still counts.
    _concluded(hypothesis, Outcome.WON, Decision.SCALE, dt.date(2026, 4, 1))
    assert _stage(hypothesis) == Stage.LOST
    ExperimentFactory(hypothesis=hypothesis, status=S.IN_REVIEW)
    assert _stage(hypothesis) == Stage.IN_REVIEW


def test_stage_of_reads_the_column_or_asks_once(django_assert_num_queries):
    hypothesis = HypothesisFactory()
    ExperimentFactory(hypothesis=hypothesis, status=S.RUNNING)
    plain = Hypothesis.objects.get(pk=hypothesis.pk)
    with django_assert_num_queries(1):
        assert stage_of(plain) == Stage.IN_TEST
    read = with_stage(Hypothesis.objects.filter(pk=hypothesis.pk)).get()
    with django_assert_num_queries(0):
        assert stage_of(read) == Stage.IN_TEST


def test_the_api_shows_the_stage_read_only(analyst, operator):
    hypothesis = HypothesisFactory(title="Logos on pricing")
    ExperimentFactory(hypothesis=hypothesis, status=S.IN_REVIEW)
    api = client_for(analyst)
    detail = api.get(f"/api/v1/hypotheses/{hypothesis.pk}/")
    assert detail.status_code == 200
    assert detail.json()["stage"] == "in_review"
    listed = api.get("/api/v1/hypotheses/")
    assert [row["stage"] for row in listed.json()["results"]] == ["in_review"]
    # Writing it is refused like any read-only field, and nothing changes.
    created = client_for(operator).post(
        "/api/v1/hypotheses/", {"title": "x", "stage": "won"}, format="json"
    )
    assert created.status_code == 400
    assert Hypothesis.objects.count() == 1


def test_the_api_filters_by_stage(analyst):
    won = HypothesisFactory(title="Won one")
    _concluded(won, Outcome.WON, Decision.SCALE, MAY)
    HypothesisFactory(title="Waiting")
    api = client_for(analyst)
    found = api.get("/api/v1/hypotheses/?stage=won").json()["results"]
    assert [row["title"] for row in found] == ["Won one"]
    both = api.get("/api/v1/hypotheses/?stage=won&stage=in_backlog&ordering=title").json()
    assert [row["title"] for row in both["results"]] == ["Waiting", "Won one"]
    refused = api.get("/api/v1/hypotheses/?stage=shipped")
    assert refused.status_code == 400 and "stage" in problem_errors(refused)


def test_the_schema_documents_the_stage(analyst):
    schema = client_for(analyst).get("/api/schema/?format=json").json()
    stage = schema["components"]["schemas"]["Hypothesis"]["properties"]["stage"]
    assert stage["readOnly"] is True
    enum = (
        stage.get("enum")
        or schema["components"]["schemas"][stage["allOf"][0]["$ref"].rsplit("/", 1)[1]]["enum"]
    )
    assert enum == Stage.values


def test_pages_show_the_stage(client, marketer):
    hypothesis = HypothesisFactory(title="Logos on pricing", author=marketer)
    _concluded(hypothesis, Outcome.LOST, Decision.ABANDON, MAY)
    client.force_login(marketer)
    detail = client.get(f"/hypotheses/{hypothesis.pk}/").content.decode()
    assert 'id="stage" data-stage="lost"' in detail
    listed = client.get("/hypotheses/").content.decode()
    assert 'data-stage="lost">Lost<' in listed
    board = client.get("/hypotheses/?view=board").content.decode()
    assert 'data-stage="lost">Lost<' in board


def test_the_backlog_filters_by_stage(client, marketer):
    lost = HypothesisFactory(title="Logos on pricing")
    _concluded(lost, Outcome.LOST, Decision.ABANDON, MAY)
    HypothesisFactory(title="Shorter form")
    client.force_login(marketer)
    page = client.get("/hypotheses/?stage=lost").content.decode()
    assert "Logos on pricing" in page and "Shorter form" not in page
    assert '<option value="lost" selected>Lost</option>' in page


def test_my_ideas_lead_the_marketers_dashboard(client, marketer):
    tested = HypothesisFactory(title="Logos on pricing", author=marketer)
    ExperimentFactory(hypothesis=tested, status=S.APPROVED)
    HypothesisFactory(title="Shorter form", author=marketer, status=Hypothesis.Status.NEW)
    client.force_login(marketer)
    page = client.get("/").content.decode()
    ideas = page.index('id="my-ideas"')
    assert ideas < page.index('id="status-heading"')
    panel = page[ideas : page.index("</section>", ideas)]
    assert 'data-stage="in_test">In test<' in panel
    assert 'data-stage="awaiting_triage">Awaiting triage<' in panel
