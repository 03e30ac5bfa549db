"""Capacity and bottlenecks on constructed programmes worked by hand; their pages and API."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from analytics.analysis.alerts import raise_decision_overdue_alerts
from analytics.models import Alert, Notification
from experiments.models import Experiment, Hypothesis
from experiments.services import hypothesis_triage
from programme.charts.insights_ops import MS_PER_DAY, bottleneck_charts, capacity_timelines
from programme.insights.bottlenecks import compute_bottlenecks
from programme.insights.capacity import compute_capacity
from programme.insights.history import ProgrammeHistory
from programme.insights.run import insights_run
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory, HypothesisFactory, MetricFactory, SegmentFactory
from tests.programme.insights_ops_setup import TODAY, at, record_step

pytestmark = pytest.mark.django_db


# --- capacity ------------------------------------------------------------------------


@pytest.fixture
def planned_segment(operator):
    """1,000 people a day; one running test and three queued ones (baseline 10 %, MDE 10 %:
    14,751 people per variant, 29,502 in all)."""
    segment = SegmentFactory(name="Self-serve trials", monthly_reach=30_000)

    def experiment(name, status, daily, value=10, **fields):
        hypothesis = HypothesisFactory(segment=segment)
        made = ExperimentFactory(
            name=name,
            hypothesis=hypothesis,
            owner=operator,
            daily_traffic=daily,
            reach_per_year=120_000,
            value_per_conversion=Decimal(value),
        )
        return put_in_status(made, status, **fields)

    # 29,502 at 600 a day: ⌈49.17⌉ = 50 days; started 40 days ago → 10 days left.
    running = experiment("Running test", "running", 600, start_date=TODAY - dt.timedelta(days=40))
    # Forecast = P(win) 0.3 × 120,000 × 10 % × 10 % × value: 360 (value 1), 3,600, 18,000.
    approved = experiment("Approved, low value", "approved", 500, value=1)
    low = experiment("Backlog, lower value", "draft", 300, value=10)
    high = experiment("Backlog, higher value", "in_review", 300, value=50)
    return segment, running, approved, low, high


def test_capacity_plans_each_segment_queue_by_hand(planned_segment):
    segment, running, approved, low, high = planned_segment
    data = compute_capacity(ProgrammeHistory(today=TODAY))
    [plan] = [s for s in data["segments"] if s["id"] == segment.pk]

    assert plan["daily_reach"] == 1000
    assert plan["running_daily"] == 600 and plan["free_daily"] == 400
    assert plan["running"] == [
        {
            "id": running.pk,
            "name": "Running test",
            "daily": 600,
            "days_left": 10,
            "ends_on": "2026-12-10",
        }
    ]
    # Approved first; then the backlog by value per person: 18,000/29,502 before 3,600/29,502.
    queue = {item["id"]: item for item in plan["queue"]}
    assert [item["id"] for item in plan["queue"]] == [approved.pk, high.pk, low.pk]
    assert queue[high.pk]["expected_value"] == pytest.approx(18_000)
    assert queue[high.pk]["value_per_user"] == pytest.approx(18_000 / 29_502, abs=1e-6)
    assert queue[low.pk]["value_per_user"] == pytest.approx(3_600 / 29_502, abs=1e-6)
    assert queue[approved.pk]["sample"] == 29_502

    # Approved (500/day, ⌈59.004⌉ = 60 days): 600 + 500 > 1,000 until day 10 → days 10–70.
    assert (queue[approved.pk]["start_on"], queue[approved.pk]["decision_on"]) == (
        "2026-12-10",
        "2027-02-08",
    )
    # Higher value (300/day, ⌈98.34⌉ = 99 days): 600 + 300 now, 500 + 300 later → days 0–99.
    assert (queue[high.pk]["start_on"], queue[high.pk]["decision_on"]) == (
        "2026-11-30",
        "2027-03-09",
    )
    # Lower value: 900 + 300 now, 800 + 300 from day 10; at day 70 only 300 runs → days 70–169.
    assert (queue[low.pk]["start_on"], queue[low.pk]["decision_on"]) == (
        "2027-02-08",
        "2027-05-18",
    )
    assert plan["can_start_now"] == 1
    assert plan["at_once"] == 3  # 1,000 a day ÷ the median 300
    assert plan["last_decision_on"] == "2027-05-18"
    assert "3 designed experiments wait in 1 segments; 1 could start today" in data["reading"]


def test_capacity_timeline_draws_the_plan(planned_segment):
    segment, running, approved, low, high = planned_segment
    data = compute_capacity(ProgrammeHistory(today=TODAY))
    [chart] = capacity_timelines(data)
    bars = {trace.name: trace for trace in chart.figure.data if trace.meta == segment.pk}
    assert all(trace.visible for trace in bars.values())  # its queue is the longest
    assert list(bars["Running"].base) == ["2026-11-30"]
    assert list(bars["Running"].x) == [10 * MS_PER_DAY]
    assert list(bars["Approved"].base) == ["2026-12-10"]
    assert list(bars["Approved"].x) == [60 * MS_PER_DAY]
    # Numbered by their place in the queue (approved first), named on hover.
    assert list(bars["Running"].y) == ["run 1"] and list(bars["Approved"].y) == ["#1"]
    assert list(bars["Backlog"].y) == ["#2", "#3"]
    assert [row[2] for row in bars["Backlog"].customdata] == [
        "Backlog, higher value",
        "Backlog, lower value",
    ]
    assert list(bars["Backlog"].base) == ["2026-11-30", "2027-02-08"]
    assert list(bars["Backlog"].x) == [99 * MS_PER_DAY, 99 * MS_PER_DAY]
    [menu] = chart.figure.layout.updatemenus
    labels = [button.label for button in menu.buttons]
    assert labels[menu.active] == "Self-serve trials (3 queued)"


def test_capacity_sizes_mean_metrics_and_leaves_out_a_design_out_of_range(operator):
    segment = SegmentFactory(name="Mid-market", monthly_reach=300_000)  # 10,000 a day
    revenue = MetricFactory(key="revenue_per_visitor", kind="mean")

    def queued(name, metric, **fields):
        hypothesis = HypothesisFactory(segment=segment, metric=metric)
        made = ExperimentFactory(name=name, hypothesis=hypothesis, owner=operator, **fields)
        return put_in_status(made, "approved")

    # δ = 10 × 10 % = 1 against σ = 20: n = ⌈2 · (1.959964 + 0.841621)² · 400 / 1⌉ = ⌈6,279.1⌉
    # = 6,280 a variant; 12,560 at 1,000 a day → 13 days.
    mean = queued("Revenue test", revenue, baseline=10, baseline_sd=20, daily_traffic=1000)
    # A conversion baseline of 1.5 is out of range: its batch is redone row by row.
    broken = queued("Broken design", MetricFactory(), baseline=0.1, daily_traffic=1000)
    Experiment.objects.filter(pk=broken.pk).update(baseline=1.5)
    fine = queued("Fine design", broken.primary_metric, baseline=0.1, daily_traffic=2000)

    data = compute_capacity(ProgrammeHistory(today=TODAY))
    [plan] = [s for s in data["segments"] if s["id"] == segment.pk]
    queue = {item["name"]: item for item in plan["queue"]}
    assert (queue["Revenue test"]["days"], queue["Revenue test"]["sample"]) == (13, 12_560)
    assert (queue["Fine design"]["days"], queue["Fine design"]["sample"]) == (15, 29_502)
    assert "Broken design" not in queue and plan["unplanned"] == 1
    assert mean.pk in {item["id"] for item in plan["queue"]} and fine.pk


# --- bottlenecks ---------------------------------------------------------------------


@pytest.fixture
def two_journeys(operator, cmo):
    t0 = TODAY - dt.timedelta(days=60)
    segment = SegmentFactory(name="SMB")
    journeys = []
    # (triaged, drafted, submitted, started, decided or None, completed) in days after t0.
    for triaged, drafted, submitted, started, decided, completed in [
        (2, 5, 6, 10, 30, 25),
        (4, 12, 16, 18, None, 40),
    ]:
        hypothesis = HypothesisFactory(segment=segment)
        Hypothesis.objects.filter(pk=hypothesis.pk).update(
            created_at=at(t0), triaged_at=at(t0 + dt.timedelta(days=triaged))
        )
        experiment = ExperimentFactory(hypothesis=hypothesis, owner=operator)
        type(experiment).objects.filter(pk=experiment.pk).update(
            created_at=at(t0 + dt.timedelta(days=drafted))
        )
        record_step(experiment, "submit", at(t0 + dt.timedelta(days=submitted)), operator)
        record_step(experiment, "start", at(t0 + dt.timedelta(days=started)), operator)
        record_step(experiment, "complete", at(t0 + dt.timedelta(days=completed)), operator)
        if decided is not None:
            record_step(experiment, "conclude", at(t0 + dt.timedelta(days=decided)), cmo)
            put_in_status(experiment, "concluded", decision="scale", outcome="won")
        else:
            put_in_status(experiment, "completed", recommendation="scale")
        journeys.append(experiment)
    return segment, journeys


def test_bottlenecks_time_each_stage_and_name_the_slowest(two_journeys, operator, settings):
    settings.DECISION_SLA_DAYS = 14
    segment, (decided, waiting) = two_journeys
    data = compute_bottlenecks(ProgrammeHistory(today=TODAY))
    # Waiting for triage 2 and 4 days → 3; backlog 3 and 8 → 5.5; designing 1 and 4 → 2.5;
    # review to start 4 and 2 → 3; running to the decision 20 (the other is undecided).
    assert data["overall"] == {
        "logged": {"median_days": 3.0, "count": 2},
        "backlog": {"median_days": 5.5, "count": 2},
        "designed": {"median_days": 2.5, "count": 2},
        "in_review": {"median_days": 3.0, "count": 2},
        "running": {"median_days": 20.0, "count": 1},
    }
    assert data["slowest"] == "running"
    [team] = data["teams"]
    assert team["name"] == segment.owner_team.name and team["slowest"] == "running"
    [row] = data["operators"]  # the owner: every stage but triage
    assert [c["count"] for c in row["cells"]] == [0, 2, 2, 2, 1]
    # Completed 20 days and 15 hours before the end of today: past the 14-day deadline.
    assert data["overdue_decisions"] == [
        {
            "id": waiting.pk,
            "name": waiting.name,
            "owner": "Omar",  # shown by first and last name (username when both are empty)
            "recommendation": "scale",
            "days_waiting": 20,
        }
    ]
    assert data["reading"].startswith(
        "Ideas spend longest running until decided: a median of 20 days over 1 passes."
    )
    assert "1 decision has waited longer than the 14-day deadline" in data["reading"]


def test_bottleneck_charts_draw_the_medians(two_journeys):
    data = compute_bottlenecks(ProgrammeHistory(today=TODAY))
    stages, trend = bottleneck_charts(data)
    assert list(stages.figure.data[0].y) == [3.0, 5.5, 2.5, 3.0, 20.0]
    # Passes ending in September (t0 = 1 Oct: none) … the decision ended on 31 Oct.
    by_name = {trace.name: trace for trace in trend.figure.data}
    running = by_name["Running until decided"]
    assert dict(zip(running.x, running.y, strict=True))["2026-10"] == 20.0


def test_a_decision_past_the_deadline_alerts_the_cmo_once(two_journeys, cmo, settings):
    settings.DECISION_SLA_DAYS = 14
    segment, (decided, waiting) = two_journeys
    assert raise_decision_overdue_alerts(TODAY) == 1
    alert = Alert.objects.get()
    assert (alert.experiment, alert.kind) == (waiting, Alert.Kind.DECISION_OVERDUE)
    assert "past the 14-day deadline" in alert.message
    assert Notification.objects.filter(alert=alert, recipient=cmo).exists()
    assert raise_decision_overdue_alerts(TODAY) == 0
    assert Alert.objects.count() == 1


def test_no_alert_within_the_deadline(two_journeys, settings):
    settings.DECISION_SLA_DAYS = 30
    assert raise_decision_overdue_alerts(TODAY) == 0
    assert not Alert.objects.exists()


def test_triage_stamps_when_an_idea_left_new(operator):
    hypothesis = HypothesisFactory(status=Hypothesis.Status.NEW)
    assert hypothesis.triaged_at is None
    hypothesis_triage(hypothesis_id=hypothesis.pk, actor=operator, status="backlog")
    hypothesis.refresh_from_db()
    first = hypothesis.triaged_at
    assert first is not None and first <= timezone.now()
    hypothesis_triage(hypothesis_id=hypothesis.pk, actor=operator, status="rejected")
    hypothesis.refresh_from_db()
    assert hypothesis.status == "rejected" and hypothesis.triaged_at == first


@pytest.mark.parametrize(("days_ago", "overdue"), [(14, False), (15, True)])
def test_the_page_and_the_alert_share_one_deadline(days_ago, overdue, operator, settings):
    # Deadline 14 days: completed on day −14 (any hour) is not past it yet; day −15 is.
    settings.DECISION_SLA_DAYS = 14
    experiment = put_in_status(ExperimentFactory(owner=operator), "completed")
    record_step(experiment, "complete", at(TODAY - dt.timedelta(days=days_ago), 23), operator)
    listed = compute_bottlenecks(ProgrammeHistory(today=TODAY))["overdue_decisions"]
    assert [row["days_waiting"] for row in listed] == ([days_ago] if overdue else [])
    assert raise_decision_overdue_alerts(TODAY) == int(overdue)


# --- pages and API -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["capacity", "bottlenecks", "rechecks"])
def test_each_page_and_endpoint_shows_the_stored_reading(
    name, planned_segment, two_journeys, marketer, analyst, django_assert_max_num_queries
):
    insights_run(names=[name], today=TODAY)
    client = Client()
    client.force_login(marketer)
    with django_assert_max_num_queries(12):
        page = client.get(f"/insights/{name}/")
    assert page.status_code == 200
    from programme.models import InsightReport

    reading = InsightReport.objects.get(name=name).data["reading"]
    assert reading.split(":")[0] in page.content.decode()

    client.force_login(analyst)
    response = client.get(f"/api/v1/insights/{name}/")
    assert response.status_code == 200
    assert response.json()["data"]["reading"] == reading


def test_the_schema_describes_each_insight(marketer):
    client = Client()
    client.force_login(marketer)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    for name in ("CapacityData", "BottlenecksData", "RechecksData"):
        assert name in components
    assert "/api/v1/insights/capacity/" in schema["paths"]
