"""The programme's numbers are never stale: a decision, a step or a new look queues one
recompute on commit (docs/portfolio.md, "Freshness")."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from analytics.ingest.observations import observations_ingest
from analytics.models import Result
from experiments import lifecycle
from programme import freshness
from programme.insights import INSIGHTS
from programme.models import InsightReport, PortfolioRollup
from programme.portfolio.rollup import portfolio_rollup_run
from tests.analytics.helpers import binomial_rows, running_experiment
from tests.factories import HypothesisFactory, ObjectiveFactory, SegmentFactory

REACH, VALUE = 120_000, Decimal(50)
# Control 100 of 1,000, B 120 of 1,000: a lift of +20 %, worth reach × baseline × lift × value.
EXPECTED_REALISED = REACH * 0.1 * 0.2 * 50


@pytest.fixture(autouse=True)
def nothing_queued_before():
    cache.clear()
    yield
    cache.clear()


def completed_winner(operator, analyst):
    """A completed test on its objective, whose data shows B ahead by 20 %, analysed."""
    objective = ObjectiveFactory(baseline=Decimal(1_000_000), target=Decimal(1_500_000))
    hypothesis = HypothesisFactory(objective=objective, segment=SegmentFactory())
    experiment = running_experiment(
        operator, hypothesis=hypothesis, reach_per_year=REACH, value_per_conversion=VALUE
    )
    observations_ingest(experiment_id=experiment.pk, actor=analyst, rows=binomial_rows())
    lifecycle.experiment_complete(
        experiment_id=experiment.pk,
        actor=operator,
        analysis="B beat control on sign-ups.",
        recommendation="scale",
        override_reason="The launch date moved: we stop here.",
    )
    return objective, experiment


def as_of_times(html: str) -> list[dt.datetime]:
    return [
        dt.datetime.fromisoformat(value)
        for value in re.findall(r'class="as-of" datetime="([^"]+)"', html)
    ]


@pytest.mark.django_db(transaction=True)
def test_a_scaled_winner_moves_the_ledger_and_the_dashboard_within_the_request(
    cmo, operator, analyst
):
    objective, experiment = completed_winner(operator, analyst)
    assert Result.objects.filter(experiment=experiment).exists()  # analysed on commit
    portfolio_rollup_run()
    client = APIClient()
    client.force_authenticate(cmo)
    before = client.get(f"/api/v1/ledger/{objective.pk}/").json()
    assert before["realised_impact"] == 0 and before["scaled"] == 0

    step_taken = timezone.now()
    response = client.post(
        f"/api/v1/experiments/{experiment.pk}/steps/conclude/",
        {
            "decision": "scale",
            "outcome": "won",
            "learnings": "Logos build trust.",
            "expected_status": "completed",
            "override_reason": "Scaling on the interviews as well as the data.",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()

    ledger = client.get(f"/api/v1/ledger/{objective.pk}/").json()
    assert ledger["realised_impact"] == pytest.approx(EXPECTED_REALISED)
    assert ledger["scaled"] == 1
    assert ledger["progress"] == pytest.approx(EXPECTED_REALISED / 500_000, abs=1e-4)
    assert dt.datetime.fromisoformat(ledger["as_of"]) > step_taken
    row = PortfolioRollup.objects.get(dimension="objective", key=str(objective.pk))
    assert row.computed_on == timezone.localdate()  # today's row, replaced: no second one

    client.force_login(cmo)
    panel = client.get("/dashboard/objectives/", headers={"HX-Request": "true"}).content.decode()
    assert f"{EXPECTED_REALISED:,.0f}" in panel
    assert as_of_times(panel) and min(as_of_times(panel)) > step_taken
    page = client.get(f"/objectives/{objective.pk}/").content.decode()
    # The chart's realised line ends at the baseline plus the impact.
    assert "1120000" in page.replace(",", "").replace(".0", "")
    programme = client.get("/dashboard/programme/", headers={"HX-Request": "true"}).content
    assert min(as_of_times(programme.decode())) > step_taken
    # The insights were recomputed with it.
    assert InsightReport.objects.get(name="calibration").computed_at > step_taken


def refreshes(callbacks) -> list[list[str]]:
    """The insights of each recompute queued on commit."""
    return [
        list(callback.args[0])
        for callback in callbacks
        if getattr(callback, "func", None) is freshness.queue_programme_refresh
    ]


@pytest.mark.django_db
def test_a_burst_of_changes_queues_one_recompute(monkeypatch, settings):
    settings.PROGRAMME_REFRESH_SECONDS = 30
    from programme import tasks

    queued = []
    monkeypatch.setattr(tasks.programme_refresh, "apply_async", lambda **kw: queued.append(kw))
    burst = [freshness.queue_programme_refresh(["capacity"]) for _ in range(5)]
    assert burst == [True] + [False] * 4
    # After the window: every write that found the key is in.
    assert queued == [{"args": [["capacity"]], "countdown": 45.0}]
    # Another insight rides on nothing queued yet: it is queued (the roll-up is already).
    assert freshness.queue_programme_refresh(["capacity", "calibration"]) is True
    assert queued[-1] == {"args": [["calibration"]], "countdown": 45.0}
    freshness.programme_refresh_run(["capacity", "calibration"])  # clears its keys first
    assert freshness.queue_programme_refresh(["capacity"]) is True
    assert len(queued) == 3


@pytest.mark.django_db
def test_a_broker_that_is_down_leaves_the_write_done_and_the_keys_free(monkeypatch):
    from programme import tasks

    def down(**kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.programme_refresh, "apply_async", down)
    assert freshness.queue_programme_refresh(["capacity"]) is False
    assert cache.get(freshness.QUEUED_KEY) is None
    assert cache.get(f"{freshness.QUEUED_KEY}:capacity") is None


@pytest.mark.django_db
def test_each_change_queues_the_insights_it_moves_and_a_running_tests_look_none(
    operator, analyst, cmo, django_capture_on_commit_callbacks
):
    experiment = running_experiment(operator)
    with django_capture_on_commit_callbacks() as callbacks:
        observations_ingest(experiment_id=experiment.pk, actor=analyst, rows=binomial_rows())
    assert refreshes(callbacks) == []  # only its analysis
    with django_capture_on_commit_callbacks() as callbacks:
        lifecycle.experiment_pause(experiment_id=experiment.pk, actor=operator)
    assert refreshes(callbacks) == [["capacity", "bottlenecks"]]
    with django_capture_on_commit_callbacks() as callbacks:
        lifecycle.experiment_kill(
            experiment_id=experiment.pk, actor=cmo, reason="harmful", note="Errors doubled."
        )
    assert refreshes(callbacks) == [["capacity", "bottlenecks", "partners"]]
    assert freshness.insights_changed_by("conclude") == list(INSIGHTS)


@pytest.mark.django_db
def test_the_demo_defers_the_recompute_and_runs_its_own(
    operator, django_capture_on_commit_callbacks
):
    experiment = running_experiment(operator)
    with django_capture_on_commit_callbacks() as callbacks:
        with freshness.programme_refresh_deferred(then_queue=False):
            lifecycle.experiment_pause(experiment_id=experiment.pk, actor=operator)
            lifecycle.experiment_resume(experiment_id=experiment.pk, actor=operator)
    assert refreshes(callbacks) == []
    with django_capture_on_commit_callbacks() as callbacks:
        with freshness.programme_refresh_deferred():
            lifecycle.experiment_pause(experiment_id=experiment.pk, actor=operator)
            lifecycle.experiment_resume(experiment_id=experiment.pk, actor=operator)
    assert refreshes(callbacks) == [["bottlenecks", "capacity"]]


@pytest.mark.django_db
def test_the_history_reads_old_rows_light_and_the_newest_whole(django_assert_num_queries):
    from programme.portfolio.selectors import objective_history, objective_ledgers

    objective = ObjectiveFactory()
    today = timezone.localdate()
    for back, realised in [(5, 1.0), (3, 2.0)]:  # no roll-up since three days ago
        PortfolioRollup.objects.create(
            computed_on=today - dt.timedelta(days=back), dimension="objective",
            key=str(objective.pk), label="ARR",
            data={"realised_impact": realised, "forecast_impact": 5.0, "in_flight": 4, "scaled": 1},
        )  # fmt: skip
    with django_assert_num_queries(2):  # the light rows, then the newest again whole
        history = objective_history([objective])
    rows = history[objective.pk]
    assert rows[0][1] == {
        "realised_impact": 1.0,
        "forecast_impact": 5.0,
        "forecast_expected": None,
    }
    assert rows[1][1]["in_flight"] == 4
    ledger = objective_ledgers([objective], history)[objective.pk]
    assert (ledger["realised_impact"], ledger["in_flight"], ledger["scaled"]) == (2.0, 4, 1)
    assert ledger["computed_on"] == today - dt.timedelta(days=3)
