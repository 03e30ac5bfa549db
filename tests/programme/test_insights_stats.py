"""Score calibration on a constructed programme whose right answers are worked out by hand
below; the calibration, false-wins and partners charts, pages and API."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape
from rest_framework.test import APIClient

from experiments.models import StatusChange
from experiments.ranking import hypotheses_ranked
from experiments.selectors import hypothesis_backlog
from programme.charts.insights_stats import calibration_charts, false_wins_charts, partners_charts
from programme.insights import INSIGHTS
from programme.insights.run import insights_run
from programme.models import InsightReport
from roles.models import Channel
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory, HypothesisFactory
from tests.programme.insights_stats_setup import (
    TODAY,
    concluded,
    false_win_stream,
    partner_programme,
    report,
    scored,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def stream(operator):
    return false_win_stream(operator)


@pytest.fixture
def partners(operator):
    return partner_programme(operator)


# --- score calibration ------------------------------------------------------------------


@pytest.fixture
def calibrated(operator):
    """Four concluded experiments, ICE 3, 5, 7, 9 (each rating equal), on web and e-mail."""
    return [
        concluded(operator, hypothesis=scored(3, 3, 3), lift=0.01, outcome="won"),
        concluded(
            operator, hypothesis=scored(5, 5, 5), lift=-0.02, outcome="lost", decision="abandon"
        ),
        concluded(
            operator,
            hypothesis=scored(7, 7, 7, Channel.EMAIL),
            lift=0.05,
            recommendation="iterate",
        ),  # fmt: skip
        concluded(operator, hypothesis=scored(9, 9, 9, Channel.EMAIL), lift=0.08),
    ]


def test_calibration_by_hand(calibrated):
    data = report("calibration")

    assert (data["concluded"], data["won"], data["win_rate"]) == (4, 3, 0.75)
    # ICE (3, 5, 7, 9) against lifts ranked (2, 1, 3, 4): Σd² = 2 → ρ = 1 − 12/60 = 0.8
    assert data["spearman_ice_lift"] == 0.8
    bands = {band["label"]: band for band in data["bands"]}
    assert [(b["experiments"], b["wins"]) for b in bands.values()] == [
        (1, 1), (0, 0), (1, 0), (0, 0), (1, 1), (1, 1)
    ]  # fmt: skip
    assert bands["5–6"]["win_rate"] == 0 and bands["4–5"]["win_rate"] is None

    # Each confidence band shrunk toward 0.75 with k = 5: (wins + 3.75) / (n + 5)
    corrected = data["corrected_confidence"]
    assert corrected["prior_rate"] == 0.75 and corrected["default"] == 7.5
    assert [b["label"] for b in corrected["bands"]] == ["1–3", "4–5", "6–7", "8–10"]
    assert [b["rate"] for b in corrected["bands"]] == pytest.approx(
        [4.75 / 6, 3.75 / 6, 4.75 / 6, 4.75 / 6], abs=1e-4
    )
    assert corrected["bands"][1]["corrected"] == pytest.approx(6.25, abs=0.051)
    # Web in band 1–3: 1 win of 1, shrunk toward the band's 4.75/6: (1 + 5·4.75/6)/6
    web_low = next(r for r in corrected["by_channel"] if r["channel"] == "web" and r["low"] == 1)
    assert web_low["rate"] == pytest.approx((1 + 5 * 4.75 / 6) / 6, abs=1e-4)
    assert web_low["corrected"] == 8.3

    channels = {row["key"]: row for row in data["by_channel"]}
    assert channels["email"]["win_rate"] == 1.0 and channels["web"]["win_rate"] == 0.5
    # Web: stated 0.4 on average (3 and 5), won 0.5.
    assert channels["web"]["overconfidence"] == pytest.approx(-0.1)

    overrides = data["overrides"]
    # Against the recommendation: #2 (scale → abandon, lost) and #3 (iterate → scale, won).
    assert (overrides["decided"], overrides["against"], overrides["against_won"]) == (4, 2, 1)
    assert (overrides["followed"], overrides["followed_won"]) == (2, 2)
    assert {row["id"] for row in overrides["experiments"]} == {
        calibrated[1].pk,
        calibrated[2].pk,
    }
    # The scatter's points, in the order the decisions were taken.
    assert [(p["ice"], p["lift"], p["won"]) for p in data["points"]] == [
        (3.0, 0.01, True), (5.0, -0.02, False), (7.0, 0.05, True), (9.0, 0.08, True)
    ]  # fmt: skip
    assert "4 concluded experiments, 75% won" in data["reading"]
    assert "rank correlation 0.80" in data["reading"]


def test_calls_against_the_plan_or_the_verdict_are_counted_with_their_reasons(
    calibrated, operator, cmo
):
    lost, won = calibrated[1], calibrated[2]
    StatusChange.objects.filter(experiment=lost, step="conclude").update(
        overridden=["the verdict (Ship)"], override_reason="Support costs outweigh it."
    )
    StatusChange.objects.create(
        experiment=won, step="complete", from_status="running", to_status="completed",
        actor=operator, overridden=["the planned sample (900 of 4,000 users)"],
        override_reason="The season ends.",
    )  # fmt: skip
    waiting = put_in_status(ExperimentFactory(owner=operator, name="Waiting"), "completed")
    StatusChange.objects.create(
        experiment=waiting, step="complete", from_status="running", to_status="completed",
        actor=operator, overridden=["the minimum run time (day 3 of 7)"],
        override_reason="Budget cut.",
    )  # fmt: skip

    overrides = report("calibration")["overrides"]

    assert (overrides["completed_early"], overrides["against_verdict"]) == (2, 1)
    # The four lifts spread less than their errors (var 0.00193 < s² 0.0025): τ̂² = 0, so each
    # shrinks to the mean, 0.03.
    assert (overrides["against_verdict_won"], overrides["against_verdict_mean_lift"]) == (0, 0.03)
    assert sorted(
        (r["name"], r["step"], r["reason"], r["outcome"]) for r in overrides["calls"]
    ) == [
        (lost.name, "conclude", "Support costs outweigh it.", "lost"),
        (won.name, "complete", "The season ends.", "won"),
        ("Waiting", "complete", "Budget cut.", ""),
    ]
    reading = report("calibration")["reading"]
    assert reading.endswith(
        "Completed before their plan: 2; decided against the rule's verdict: 1; each with a reason."
    )


def test_rice_is_checked_where_the_hypotheses_have_it(operator):
    # RICE = reach × impact × (confidence/10) ÷ effort: 1000·5·0.5/1 = 2500, 2000·5·0.5/1 = 5000,
    # 4000·5·0.5/2 = 5000 (a tie), 100·5·0.5/1 = 250. Lifts 0.02, 0.03, 0.05, −0.01.
    # RICE ranks (2, 3.5, 3.5, 1), lift ranks (2, 3, 4, 1): ρ = Pearson of the ranks = 0.9487
    for reach, effort, lift in ((1000, 1, 0.02), (2000, 1, 0.03), (4000, 2, 0.05), (100, 1, -0.01)):
        hypothesis = HypothesisFactory(
            impact=5, confidence=5, ease=5, reach=reach, effort=effort, status="validated"
        )
        concluded(operator, hypothesis=hypothesis, lift=lift)
    concluded(operator, lift=0.04)  # no RICE: left out
    data = report("calibration")
    assert data["with_rice"] == 4
    assert data["spearman_rice_lift"] == pytest.approx(0.9487, abs=1e-4)


def test_the_backlog_reranks_by_calibrated_confidence(calibrated, marketer):
    # By ICE: A (5, 9, 5) = 6.33 before B (7, 1, 7) = 5.
    # Calibrated: A's confidence 9 → band 8–10, no web history there → 7.9: (5 + 7.9 + 5)/3 = 5.97
    #             B's confidence 1 → web in band 1–3 → 8.3: (7 + 8.3 + 7)/3 = 7.43
    a = HypothesisFactory(title="Idea A", impact=5, confidence=9, ease=5, channel=Channel.WEB)
    b = HypothesisFactory(title="Idea B", impact=7, confidence=1, ease=7, channel=Channel.WEB)
    ideas = hypothesis_backlog(user=marketer).filter(pk__in=[a.pk, b.pk])

    assert list(hypotheses_ranked(ideas, "ice")) == [a, b]
    ranked = list(hypotheses_ranked(ideas, "calibrated"))
    assert ranked == [b, a]
    assert ranked[0].calibrated_value == pytest.approx((7 + 8.3 + 7) / 3)
    assert ranked[1].calibrated_value == pytest.approx((5 + 7.9 + 5) / 3)

    client = Client()
    client.force_login(marketer)
    page = client.get("/hypotheses/", {"sort": "calibrated", "status": "backlog"})
    assert page.status_code == 200
    text = page.content.decode()
    assert text.index("Idea B") < text.index("Idea A")
    assert "Calibrated ICE" in text
    assert "calibrated 7.4" in text and "calibrated 6.0" in text  # (7+8.3+7)/3, (5+7.9+5)/3
    assert "calibrated " not in client.get("/hypotheses/", {"sort": "ice"}).content.decode()


def test_the_api_orders_hypotheses_by_calibrated_score(calibrated, marketer):
    from rest_framework.test import APIClient

    a = HypothesisFactory(title="Idea A", impact=5, confidence=9, ease=5, channel=Channel.WEB)
    b = HypothesisFactory(title="Idea B", impact=7, confidence=1, ease=7, channel=Channel.WEB)
    api = APIClient()
    api.force_authenticate(marketer)

    def order(ordering):
        response = api.get("/api/v1/hypotheses/", {"ordering": ordering, "search": "Idea"})
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    # The page's calibrated order (see above): B (7.43) before A (5.97); by ICE, A before B.
    assert order("-calibrated_score") == [b.pk, a.pk]
    assert order("calibrated_score") == [a.pk, b.pk]
    assert order("-score") == [a.pk, b.pk]


def test_calibrated_order_without_history_is_the_ice_order(marketer):
    a = HypothesisFactory(impact=5, confidence=9, ease=5)
    b = HypothesisFactory(impact=7, confidence=1, ease=7)
    ideas = hypothesis_backlog(user=marketer).filter(pk__in=[a.pk, b.pk])
    # No concluded experiment: every confidence becomes the default 10 × 0.3 = 3.
    ranked = list(hypotheses_ranked(ideas, "calibrated"))
    assert ranked == [b, a]
    assert ranked[1].calibrated_value == pytest.approx((5 + 3 + 5) / 3)


# --- charts, pages, API -----------------------------------------------------------------


def test_charts_draw_the_stored_numbers(calibrated, partners):
    insights_run(names=["calibration", "false-wins", "partners"], today=TODAY)
    calibration = InsightReport.objects.get(name="calibration").data
    bands_chart, scatter_chart, confidence_chart = calibration_charts(calibration)
    bands = [b for b in calibration["bands"] if b["experiments"]]
    assert list(bands_chart.figure.data[0].x) == [b["label"] for b in bands]
    assert list(bands_chart.figure.data[0].y) == [b["win_rate"] for b in bands]
    won = [p for p in calibration["points"] if p["won"]]
    assert list(scatter_chart.figure.data[0].x) == [p["ice"] for p in won]
    assert list(scatter_chart.figure.data[0].y) == [p["lift"] for p in won]
    assert len(scatter_chart.figure.data[1].x) == len(calibration["points"]) - len(won)
    assert list(confidence_chart.figure.data[1].y) == [
        b["corrected"] for b in calibration["corrected_confidence"]["bands"]
    ]

    false_wins = InsightReport.objects.get(name="false-wins").data
    stream_chart, totals_chart = false_wins_charts(false_wins)
    assert list(stream_chart.figure.data[0].y) == [r["level"] for r in false_wins["stream"]]
    assert list(stream_chart.figure.data[1].y) == [r["p_value"] for r in false_wins["stream"]]
    assert list(totals_chart.figure.data[0].y) == [r["raw"] for r in false_wins["by_objective"]]
    assert list(totals_chart.figure.data[1].y) == [r["shrunk"] for r in false_wins["by_objective"]]

    data = InsightReport.objects.get(name="partners").data
    (chart,) = partners_charts(data)
    assert list(chart.figure.data[0].x) == [r["partner"] for r in data["partners"]]
    assert list(chart.figure.data[0].y) == [r["cost"] for r in data["partners"]]
    assert list(chart.figure.data[1].y) == [r["value"] for r in data["partners"]]


@pytest.mark.parametrize("name", ["calibration", "false-wins", "partners"])
def test_each_page_shows_its_reading_chart_and_tables(name, calibrated, partners, marketer):
    insights_run(names=[name], today=TODAY)
    client = Client()
    client.force_login(marketer)
    response = client.get(f"/insights/{name}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert escape(InsightReport.objects.get(name=name).data["reading"]) in text
    assert 'type="application/json"' in text and "<script>" not in text
    assert INSIGHTS[name].title in client.get("/insights/").content.decode()


@pytest.mark.parametrize("name", ["calibration", "false-wins", "partners"])
def test_each_api_endpoint_answers_the_stored_data(name, stream, analyst):
    insights_run(names=[name], today=TODAY)
    api = APIClient()
    api.force_authenticate(analyst)
    body = api.get(f"/api/v1/insights/{name}/").json()
    assert body["name"] == name
    assert body["data"] == InsightReport.objects.get(name=name).data


def test_the_schema_describes_each_insights_data(analyst):
    api = APIClient()
    api.force_authenticate(analyst)
    schema = api.get("/api/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    assert "corrected_confidence" in components["CalibrationData"]["properties"]
    assert "expected_false_wins_this_year" in components["FalseWinsData"]["properties"]
    assert "return" in components["Partner"]["properties"]
    ledger = components["ObjectiveLedger"]["properties"]
    assert {"realised_impact_shrunk", "progress_shrunk"} <= set(ledger)
    assert "/api/v1/experiments/{id}/cost/" in schema["paths"]


def test_the_calibrated_backlog_costs_one_query_more_than_the_ice_order(
    calibrated, marketer, django_assert_max_num_queries
):
    insights_run(names=["calibration"], today=TODAY)
    HypothesisFactory.create_batch(5)
    client = Client()
    client.force_login(marketer)
    with CaptureQueriesContext(connection) as by_ice:
        client.get("/hypotheses/", {"sort": "ice"})
    # The stored calibration report is the one extra read.
    with django_assert_max_num_queries(len(by_ice.captured_queries) + 1):
        assert client.get("/hypotheses/", {"sort": "calibrated"}).status_code == 200


def test_a_stored_report_without_a_table_leaves_the_ice_order(marketer):
    InsightReport.objects.create(
        name="calibration", data={"reading": "old"}, computed_at=timezone.now(), seconds=0.1
    )
    a = HypothesisFactory(impact=5, confidence=9, ease=5)
    b = HypothesisFactory(impact=4, confidence=4, ease=4)
    ideas = hypothesis_backlog(user=marketer).filter(pk__in=[a.pk, b.pk])
    assert list(hypotheses_ranked(ideas, "calibrated")) == [a, b]
