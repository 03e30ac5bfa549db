"""Streams (programme/streams.py, docs/streams.md) on constructed data: the order of the tests,
the champion, the cumulative shrunk impact by hand, the next test, the sibling segments, the
pages and the API, who may read them, and their queries."""

import datetime as dt
from decimal import Decimal

import pytest

from analytics.models import Result
from experiments.models import Hypothesis, Segment
from experiments.streams import stream_of, stream_parents, stream_root
from programme.streams import stream_detail, stream_root_ids, streams_for
from tests.conftest import client_for
from tests.experiments.helpers import put_in_status
from tests.factories import (
    ExperimentFactory,
    HypothesisFactory,
    MetricFactory,
    ObjectiveFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db

IMPACT = {"reach_per_year": 120_000, "baseline": 0.1, "value_per_conversion": Decimal(10)}


def measured(experiment, lift, low, high):
    control, treatment = experiment.variants.order_by("-is_control", "key")
    common = {"experiment": experiment, "metric": experiment.primary_metric, "look": 1}
    Result.objects.create(variant=control, is_control=True, users=20_000, alpha=0.05, **common)
    Result.objects.create(
        variant=treatment, users=20_000, lift=lift, lift_ci_low=low, lift_ci_high=high,
        alpha=0.05, p_value=0.01, **common,
    )  # fmt: skip


def concluded(hypothesis, name, start, decision, outcome, **fields):
    made = ExperimentFactory(name=name, hypothesis=hypothesis, **{**IMPACT, **fields})
    return put_in_status(
        made,
        "concluded",
        decision=decision,
        outcome=outcome,
        start_date=start,
        end_date=start + dt.timedelta(days=20),
    )


@pytest.fixture
def world(cmo, operator):
    """Self-serve → SMB (where the stream runs), Startups, Agencies, Legacy (sunset).

    The stream: “Logos” (SMB) had a killed test in February and an inconclusive one in March
    (iterate); its follow-up “Logos with ratings” won in April and was scaled; a follow-up of
    that, “Logos with ratings on pricing”, waits in the backlog. Outside it, one more concluded
    test, so that three lifts fit the shrinkage prior.
    """
    parent = SegmentFactory(name="Self-serve", monthly_reach=200_000)
    smb = SegmentFactory(name="SMB", parent=parent, monthly_reach=30_000)
    startups = SegmentFactory(name="Startups", parent=parent, monthly_reach=60_000)
    agencies = SegmentFactory(name="Agencies", parent=parent, monthly_reach=15_000)
    SegmentFactory(name="Legacy", parent=parent, monthly_reach=90_000, status=Segment.Status.SUNSET)
    objective = ObjectiveFactory(owner=cmo)
    metric = MetricFactory(key="signups", name="Sign-ups")
    idea = {"objective": objective, "metric": metric, "segment": smb}
    root = HypothesisFactory(title="Logos", **idea)
    killed = ExperimentFactory(name="Logos v0", hypothesis=root, owner=operator)
    put_in_status(killed, "killed", start_date=dt.date(2026, 2, 1), kill_reason="broken_setup")
    first = concluded(
        root, "Logos v1", dt.date(2026, 3, 1), "iterate", "inconclusive", owner=operator
    )
    measured(first, 0.02, -0.03, 0.07)
    second_idea = HypothesisFactory(
        title="Logos with ratings",
        iterates_on_hypothesis=root,
        iterates_on_experiment=first,
        **idea,
    )
    second = concluded(second_idea, "Logos v2", dt.date(2026, 4, 1), "scale", "won", owner=operator)
    measured(second, 0.10, 0.05, 0.15)
    third_idea = HypothesisFactory(
        title="Logos with ratings on pricing", iterates_on_hypothesis=second_idea, **idea
    )
    elsewhere = concluded(
        HypothesisFactory(title="Checkout copy", **idea), "Checkout copy", dt.date(2026, 1, 1),
        "scale", "won", owner=operator,
    )  # fmt: skip
    measured(elsewhere, 0.30, 0.25, 0.35)
    return {
        "root": root, "second_idea": second_idea, "third_idea": third_idea, "killed": killed,
        "first": first, "second": second, "elsewhere": elsewhere, "smb": smb,
        "startups": startups, "agencies": agencies,
    }  # fmt: skip


# By hand (docs/insights.md, "Empirical-Bayes shrinkage"): lifts y = 0.02, 0.10, 0.30, each
# with se s = 0.10 / (2 · 1.959964) = 0.0255107, s² = 0.00065080. μ = 0.14;
# var(y) = (0.12² + 0.04² + 0.16²) / 2 = 0.0208; τ² = 0.0208 − 0.00065080 = 0.0201492;
# B = τ² / (τ² + s²) = 0.0201492 / 0.0208 = 0.968712.
# Shrunk: v1 = 0.14 − 0.12·B = 0.0237546; v2 = 0.14 − 0.04·B = 0.1012515.
SHRUNK_V1 = 0.0237546
SHRUNK_V2 = 0.1012515
# v2's value a year: 120,000 reached × 10 % baseline × 0.1012515 × 10 per conversion.
IMPACT_V2 = 120_000 * 0.1 * SHRUNK_V2 * 10  # 12,150.18


def test_the_stream_is_the_root_and_its_iterations(world):
    parents = stream_parents()
    root, second, third = world["root"], world["second_idea"], world["third_idea"]
    assert parents == {second.pk: root.pk, third.pk: second.pk}
    assert stream_root(third.pk, parents) == root.pk
    assert stream_of(second.pk) == root.pk and stream_of(root.pk) == root.pk
    assert stream_of(world["elsewhere"].hypothesis_id) is None
    assert stream_root_ids() == [root.pk]


def test_a_loop_of_links_still_has_one_root():
    a = HypothesisFactory()
    b = HypothesisFactory(iterates_on_hypothesis=a)
    Hypothesis.objects.filter(pk=a.pk).update(iterates_on_hypothesis=b)
    parents = stream_parents()
    assert stream_root(a.pk, parents) == stream_root(b.pk, parents) == a.pk


def test_tests_in_order_with_lift_verdict_champion_and_shrunk_impact(world, cmo):
    stream = stream_detail(world["root"].pk, user=cmo)
    tests = stream.tests
    assert [t.experiment.name for t in tests] == ["Logos v0", "Logos v1", "Logos v2"]
    assert [t.position for t in tests] == [1, 2, 3]
    killed, first, second = tests
    assert killed.lift is None and killed.shrunk is None and killed.impact_shrunk is None
    assert (first.lift, first.lift_low, first.lift_high) == (0.02, -0.03, 0.07)
    assert first.shrunk == pytest.approx(SHRUNK_V1, abs=1e-6)
    assert first.impact_shrunk is None  # iterated, not shipped
    assert second.shrunk == pytest.approx(SHRUNK_V2, abs=1e-6)
    assert second.impact_shrunk == pytest.approx(IMPACT_V2, rel=1e-5)
    assert [t.champion for t in tests] == [False, False, True]
    assert stream.champion is second
    [total] = stream.cumulative_impact_shrunk
    assert total.objective == world["root"].objective
    assert total.impact == pytest.approx(12_150.18, abs=0.01)
    assert stream.shipped_without_value == 0
    # Verdicts at the latest look: 40,000 users, past the planned 29,502, 21 days, p = 0.01 < α
    # with the lift up: "Ship"; the killed test never had results.
    assert second.verdict.action == "ship"
    assert killed.verdict.action == "keep_running"
    assert [h.title for h in stream.hypotheses] == [
        "Logos",
        "Logos with ratings",
        "Logos with ratings on pricing",
    ]
    assert [h.stage for h in stream.hypotheses] == ["inconclusive", "won", "in_backlog"]


def test_an_open_follow_up_is_the_next_test(world, cmo):
    stream = stream_detail(world["root"].pk, user=cmo)
    assert stream.next_test.kind == "design"
    assert (
        stream.next_test.text == "Design a test of the follow-up “Logos with ratings on pricing”."
    )
    assert stream.next_test.hypothesis == world["third_idea"]


def test_a_test_in_flight_comes_first(world, cmo):
    ExperimentFactory(name="Logos v3", hypothesis=world["third_idea"], status="running")
    stream = stream_detail(world["root"].pk, user=cmo)
    assert stream.next_test.kind == "finish"
    assert stream.next_test.text == "Finish “Logos v3” first: it is running."
    assert stream.champion.experiment == world["second"]  # still the champion


def test_a_scaled_winner_suggests_sibling_segments_by_value_per_person(world, cmo):
    Hypothesis.objects.filter(pk=world["third_idea"].pk).update(status="rejected")
    stream = stream_detail(world["root"].pk, user=cmo)
    assert stream.next_test.kind == "repeat"
    assert stream.next_test.text.startswith("“Logos v2” is the champion: repeat it in a sibling")
    # SMB is tested; Legacy is sunset; the parent is no sibling. P(win) 0.3 (no roll-up yet)
    # × reach a year × 10 % × the shrunk lift × 10: Startups 0.3 × 720,000 × 0.1 × 0.1012515
    # × 10 = 21,870.32; Agencies a quarter of it. Same design, so the same sample: Startups
    # brings four times the value per person.
    assert [s.segment.name for s in stream.siblings] == ["Startups", "Agencies"]
    startups, agencies = stream.siblings
    assert startups.forecast == pytest.approx(0.3 * 720_000 * 0.1 * SHRUNK_V2 * 10, rel=1e-5)
    assert agencies.forecast == pytest.approx(0.3 * 180_000 * 0.1 * SHRUNK_V2 * 10, rel=1e-5)
    assert startups.sample == agencies.sample > 0
    assert startups.value_per_person == round(startups.forecast / startups.sample, 6)
    assert startups.daily_reach == 2000.0 and agencies.daily_reach == 500.0
    assert startups.days < agencies.days


def test_a_stream_without_a_scaled_test_has_no_champion(cmo):
    root = HypothesisFactory(title="Shorter form")
    lost = concluded(root, "Shorter form v1", dt.date(2026, 3, 1), "abandon", "lost")
    HypothesisFactory(title="Shorter form, again", iterates_on_experiment=lost, status="rejected")
    stream = stream_detail(root.pk, user=cmo)
    assert stream.champion is None and stream.siblings == []
    assert stream.cumulative_impact_shrunk == []
    assert stream.next_test.kind == "reopen"
    assert stream.next_test.text == (
        "The stream rests: “Shorter form v1” was abandoned. A new hypothesis building on what "
        "it taught would reopen it."
    )


def test_only_a_root_with_iterations_is_a_stream(world, cmo):
    assert stream_detail(world["second_idea"].pk, user=cmo) is None
    assert stream_detail(world["elsewhere"].hypothesis_id, user=cmo) is None
    assert stream_detail(10**12, user=cmo) is None


# --- pages and API ---------------------------------------------------------------------------


ROLES = ["cmo", "operator", "marketer", "analyst"]


@pytest.mark.parametrize("role", ROLES)
def test_everyone_who_reads_results_reads_the_stream(world, cast, role, client):
    client.force_login(cast[role])
    root = world["root"].pk
    page = client.get(f"/streams/{root}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-champion="yes"' in html and "Logos v2" in html
    assert 'data-impact="12150.18"' in html
    table = html[html.index('id="stream-tests"') :]
    assert table.index("Logos v0") < table.index("Logos v1") < table.index("Logos v2")
    assert 'data-next="design"' in html
    assert client.get("/streams/").status_code == 200
    api = client_for(cast[role])
    assert api.get("/api/v1/streams/").status_code == 200
    assert api.get(f"/api/v1/streams/{root}/").status_code == 200


def test_nobody_else_does(world, client, outsider):
    root = world["root"].pk
    assert client.get(f"/streams/{root}/").status_code == 302  # to sign in
    assert client.get("/streams/").status_code == 302
    assert client_for(None).get("/api/v1/streams/").status_code == 401
    assert client_for(outsider).get(f"/api/v1/streams/{root}/").status_code in (401, 403)


def test_not_a_stream_is_a_404(world, client, cmo):
    client.force_login(cmo)
    assert client.get(f"/streams/{world['second_idea'].pk}/").status_code == 404
    body = client_for(cmo).get(f"/api/v1/streams/{world['second_idea'].pk}/")
    assert body.status_code == 404
    assert body.json()["detail"] == "No stream starts with this hypothesis."
    assert client_for(cmo).get("/api/v1/streams/99999999999999999999/").status_code == 404


def test_the_api_answers_the_stream(world, cmo):
    root = world["root"]
    body = client_for(cmo).get(f"/api/v1/streams/{root.pk}/").json()
    assert body["id"] == root.pk and body["title"] == "Logos"
    assert [t["name"] for t in body["tests"]] == ["Logos v0", "Logos v1", "Logos v2"]
    assert body["champion"] == world["second"].pk
    [total] = body["cumulative_impact_shrunk"]
    assert total["objective"] == root.objective_id and total["unit"] == "currency"
    assert total["impact"] == pytest.approx(12_150.18, abs=0.01)
    v2 = body["tests"][2]
    assert v2["champion"] is True and v2["verdict"]["action"] == "ship"
    assert v2["lift"] == 0.1 and v2["shrunk_improvement"] == pytest.approx(SHRUNK_V2, abs=1e-6)
    assert body["next_test"] == {
        "kind": "design",
        "text": "Design a test of the follow-up “Logos with ratings on pricing”.",
        "hypothesis": world["third_idea"].pk,
        "experiment": None,
    }
    assert [h["stage"] for h in body["hypotheses"]] == ["inconclusive", "won", "in_backlog"]
    listed = client_for(cmo).get("/api/v1/streams/").json()
    assert listed["count"] == 1
    assert listed["results"][0]["id"] == root.pk
    assert listed["results"][0]["siblings"] == []  # the list leaves them out
    assert listed["results"][0]["tests"][2]["verdict"] is None


def test_experiment_and_hypothesis_pages_link_their_stream(world, client, marketer):
    client.force_login(marketer)
    url = f'href="/streams/{world["root"].pk}/" id="stream-link"'
    assert url in client.get(f"/experiments/{world['first'].pk}/").content.decode()
    assert url in client.get(f"/hypotheses/{world['third_idea'].pk}/").content.decode()
    lone = client.get(f"/experiments/{world['elsewhere'].pk}/").content.decode()
    assert 'id="stream-link"' not in lone


def test_a_page_of_streams_costs_the_same_queries_for_1_or_4(
    world, cmo, client, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(cmo)
    with CaptureQueriesContext(connection) as one:
        client.get("/streams/")
    for n in range(3):
        root = HypothesisFactory(title=f"Idea {n}")
        shipped = concluded(root, f"Idea {n} v1", dt.date(2026, 5, 1), "scale", "won")
        measured(shipped, 0.05, 0.01, 0.09)
        HypothesisFactory(iterates_on_experiment=shipped)
    with django_assert_max_num_queries(len(one)):
        page = client.get("/streams/")
    assert page.content.decode().count("data-stream=") == 4
    with CaptureQueriesContext(connection) as detail:
        client.get(f"/streams/{world['root'].pk}/")
    assert len(detail) <= len(one) + 12


def test_streams_for_keeps_the_order_of_the_roots(world, cmo):
    other = HypothesisFactory(title="Other")
    HypothesisFactory(iterates_on_hypothesis=other)
    found = streams_for([world["root"].pk, other.pk], user=cmo)
    assert [s.root.title for s in found] == ["Logos", "Other"]


def test_an_iteration_whose_follow_up_was_rejected_rests(cmo):
    root = HypothesisFactory(title="Trial e-mails")
    tried = concluded(root, "Trial e-mails v1", dt.date(2026, 3, 1), "iterate", "inconclusive")
    HypothesisFactory(title="Iterate on: Trial e-mails v1", iterates_on_experiment=tried,
                      status="rejected")  # fmt: skip
    stream = stream_detail(root.pk, user=cmo)
    assert stream.next_test.kind == "reopen"
    assert stream.next_test.text == (
        "The stream rests: “Trial e-mails v1” was to be iterated on, and its follow-up “Iterate "
        "on: Trial e-mails v1” was rejected. A new hypothesis building on what it taught would "
        "reopen it."
    )
    # Without results it stopped before its rule could decide.
    assert stream.tests[0].stopped_undecided is True


def test_an_iteration_without_its_follow_up_asks_for_it(cmo):
    root = HypothesisFactory(title="Trial e-mails")
    tried = concluded(root, "Trial e-mails v1", dt.date(2026, 3, 1), "iterate", "inconclusive")
    other = HypothesisFactory(title="Trial e-mails, shorter", iterates_on_hypothesis=root,
                              status="rejected")  # fmt: skip
    stream = stream_detail(root.pk, user=cmo)
    assert [h.pk for h in stream.hypotheses] == [root.pk, other.pk]
    assert stream.next_test.kind == "iterate"
    assert stream.next_test.text == "Log the follow-up of “Trial e-mails v1”, as decided."
    assert stream.next_test.experiment == tried


def test_impact_adds_up_per_objective_each_in_its_unit(cmo):
    arr = ObjectiveFactory(owner=cmo, name="ARR")
    customers = ObjectiveFactory(owner=cmo, name="Customers", unit="count")
    root = HypothesisFactory(title="Plans", objective=arr)
    first = concluded(root, "Plans v1", dt.date(2026, 3, 1), "scale", "won", objective=arr)
    measured(first, 0.10, 0.05, 0.15)
    follow = HypothesisFactory(
        title="Plans v2 idea", objective=customers, iterates_on_hypothesis=root
    )
    second = concluded(follow, "Plans v2", dt.date(2026, 4, 1), "scale", "won",
                       objective=customers, value_per_conversion=Decimal(1))  # fmt: skip
    measured(second, 0.10, 0.05, 0.15)
    stream = stream_detail(root.pk, user=cmo)
    # Two lifts only: nothing is shrunk (docs/insights.md), so each is worth its measured 10 %:
    # 120,000 × 0.1 × 0.10 × 10 = 12,000 in ARR, and × 1 = 1,200 customers.
    totals = {t.objective.name: t.impact for t in stream.cumulative_impact_shrunk}
    assert totals == {"ARR": pytest.approx(12_000), "Customers": pytest.approx(1_200)}
