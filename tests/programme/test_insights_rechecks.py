"""Post-ship re-checks on a constructed shipped winner worked by hand: its holdout data,
the re-check and its alert, the ledger, the page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from analytics.ingest.observations import BatchRejected, observations_ingest
from analytics.models import Alert, Notification, Result
from growthops.errors import TransitionNotAllowed
from programme.charts.insights_ops import recheck_chart
from programme.insights.history import ProgrammeHistory
from programme.insights.rechecks import compute_rechecks
from programme.models import PortfolioRollup, ShipRecheck
from programme.portfolio.rechecks import ship_rechecks_run
from programme.portfolio.rollup import portfolio_rollup_run
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory
from tests.programme.insights_ops_setup import TODAY, at, record_step

pytestmark = pytest.mark.django_db


# --- post-ship re-checks -------------------------------------------------------------

END = dt.date(2026, 9, 1)
SHIPPED_ON = dt.date(2026, 9, 3)


@pytest.fixture
def shipped_winner(operator, cmo):
    """Ran to 1 Sep, shipped on 3 Sep on a +20 % lift; its holdout keeps sending data."""
    experiment = ExperimentFactory(
        owner=operator, baseline=0.1, reach_per_year=100_000, value_per_conversion=Decimal(10)
    )
    put_in_status(
        experiment,
        "concluded",
        decision="scale",
        outcome="won",
        start_date=dt.date(2026, 8, 1),
        end_date=END,
    )
    record_step(experiment, "conclude", at(SHIPPED_ON), cmo, "completed", "concluded")
    control, treatment = experiment.variants.order_by("-is_control", "key")
    common = {"experiment": experiment, "metric": experiment.primary_metric, "look": 1}
    Result.objects.create(variant=control, is_control=True, users=5000, alpha=0.05, **common)
    Result.objects.create(
        variant=treatment, users=5000, lift=0.2, lift_ci_low=0.05, lift_ci_high=0.35,
        alpha=0.05, **common,
    )  # fmt: skip
    return experiment


def _holdout_rows(experiment, day, control=(10_000, 1000), treatment=(10_000, 1050)):
    key = experiment.primary_metric.key
    return [
        {"date": day.isoformat(), "variant": "control", "metric": key,
         "users": control[0], "conversions": control[1]},
        {"date": day.isoformat(), "variant": "b", "metric": key,
         "users": treatment[0], "conversions": treatment[1]},
    ]  # fmt: skip


def test_a_shipped_winner_takes_holdout_data_after_its_end_date_only(shipped_winner, analyst):
    written = observations_ingest(
        experiment_id=shipped_winner.pk,
        actor=analyst,
        rows=_holdout_rows(shipped_winner, END + dt.timedelta(days=5)),
    )
    assert written == 2
    with pytest.raises(BatchRejected) as refused:
        observations_ingest(
            experiment_id=shipped_winner.pk, actor=analyst, rows=_holdout_rows(shipped_winner, END)
        )
    assert refused.value.problems[0].message == (
        f"2026-09-01 is outside the experiment (2026-09-02 to {timezone.localdate().isoformat()})"
    )
    abandoned = put_in_status(ExperimentFactory(), "concluded", decision="abandon", end_date=END)
    with pytest.raises(TransitionNotAllowed, match="once it has shipped"):
        observations_ingest(
            experiment_id=abandoned.pk,
            actor=analyst,
            rows=_holdout_rows(abandoned, END + dt.timedelta(days=5)),
        )


def test_recheck_30_days_after_the_ship_measures_the_holdout_and_alerts(
    shipped_winner, analyst, cmo
):
    rows = _holdout_rows(shipped_winner, END + dt.timedelta(days=5))
    # After the 30-day horizon (3 Oct): counted by the 90-day re-check only.
    rows += _holdout_rows(shipped_winner, dt.date(2026, 10, 20), (10_000, 1000), (10_000, 1300))
    observations_ingest(experiment_id=shipped_winner.pk, actor=analyst, rows=rows)

    assert ship_rechecks_run(today=SHIPPED_ON + dt.timedelta(days=29)) == {
        "written": 0,
        "fading_alerts": 0,
    }
    assert ship_rechecks_run(today=SHIPPED_ON + dt.timedelta(days=30)) == {
        "written": 1,
        "fading_alerts": 1,
    }
    recheck = ShipRecheck.objects.get()
    # 1,050/10,000 against 1,000/10,000: lift 0.105/0.1 − 1 = +5 %. Delta-method se:
    # sqrt(0.105·0.895/(10,000·0.01) + 0.105²·0.09/(10,000·0.1⁴)) = sqrt(0.00093975 + 0.00099225)
    # = 0.043955, × 1.959964 = 0.086149 → −3.615 % to +13.615 %. It keeps 5/20 = 25 % < 50 %.
    assert recheck.after_days == 30 and recheck.shipped_on == SHIPPED_ON
    assert recheck.estimated_lift == pytest.approx(0.2)
    assert recheck.lift == pytest.approx(0.05, abs=1e-9)
    assert recheck.lift_ci_low == pytest.approx(-0.036149, abs=1e-5)
    assert recheck.lift_ci_high == pytest.approx(0.136149, abs=1e-5)
    assert recheck.users == 20_000 and recheck.verdict == "faded"
    assert recheck.retained == pytest.approx(0.25)
    alert = Alert.objects.get(kind=Alert.Kind.FADING_WINNER)
    assert alert.experiment == shipped_winner
    assert Notification.objects.filter(alert=alert, recipient=cmo).exists()

    # Running again writes nothing new; the 90-day re-check adds October's holdout.
    assert ship_rechecks_run(today=SHIPPED_ON + dt.timedelta(days=31))["written"] == 0
    ship_rechecks_run(today=SHIPPED_ON + dt.timedelta(days=90))
    later = ShipRecheck.objects.get(after_days=90)
    # 2,000/20,000 against 2,350/20,000: lift 0.1175/0.1 − 1 = +17.5 %: held.
    assert later.lift == pytest.approx(0.175, abs=1e-9) and later.verdict == "held"
    assert Alert.objects.filter(kind=Alert.Kind.FADING_WINNER).count() == 1
    # Held at 90 days: the fading alert's cause is gone, and it says when.
    alert.refresh_from_db()
    assert alert.resolved_at is not None


def test_the_ledger_counts_the_rechecked_lift(shipped_winner, analyst):
    observations_ingest(
        experiment_id=shipped_winner.pk,
        actor=analyst,
        rows=_holdout_rows(shipped_winner, END + dt.timedelta(days=5)),
    )
    portfolio_rollup_run(today=TODAY)
    row = PortfolioRollup.objects.get(dimension="objective", key=str(shipped_winner.objective_id))
    # Before: 100,000 a year × 10 % × 20 % × 10 = 20,000.
    assert row.data["realised_impact"] == pytest.approx(20_000)
    ship_rechecks_run(today=SHIPPED_ON + dt.timedelta(days=30))
    portfolio_rollup_run(today=TODAY)
    row = PortfolioRollup.objects.get(dimension="objective", key=str(shipped_winner.objective_id))
    # After: the re-checked +5 % → 100,000 × 10 % × 5 % × 10 = 5,000.
    assert row.data["realised_impact"] == pytest.approx(5_000, abs=0.01)
    # A fresh measurement after the ship is not shrunk: both totals count it as measured.
    assert row.data["realised_impact_shrunk"] == pytest.approx(5_000, abs=0.01)


def test_rechecks_insight_reads_the_stored_rechecks(shipped_winner, analyst):
    observations_ingest(
        experiment_id=shipped_winner.pk,
        actor=analyst,
        rows=_holdout_rows(shipped_winner, END + dt.timedelta(days=5)),
    )
    ship_rechecks_run(today=SHIPPED_ON + dt.timedelta(days=30))
    data = compute_rechecks(ProgrammeHistory(today=SHIPPED_ON + dt.timedelta(days=30)))
    assert (data["shipped"], data["rechecked"], data["held"], data["faded"]) == (1, 1, 0, 1)
    assert data["median_retained"] == pytest.approx(0.25)
    assert data["upcoming"] == [
        {
            "experiment": shipped_winner.pk,
            "name": shipped_winner.name,
            "after_days": 90,
            "due_on": "2026-12-02",
            "overdue": False,
        }
    ]
    assert data["reading"].startswith("Of 1 shipped winner re-checked, 0 held up and 1 faded")
    assert "keeps 25% of its estimated lift" in data["reading"]
    [chart] = recheck_chart(data)
    estimate, since = chart.figure.data
    assert since.name == "Re-checked: faded (95 % interval)"
    assert list(estimate.x) == pytest.approx([20.0])
    assert list(since.x) == pytest.approx([5.0])
    assert list(since.error_x.array) == pytest.approx([8.6149], abs=1e-3)


def test_the_experiments_own_analysis_never_reads_its_holdout(shipped_winner, analyst):
    from analytics.analysis.pipeline import experiments_analyse
    from analytics.models import Observation

    control, treatment = shipped_winner.variants.order_by("-is_control", "key")
    metric = shipped_winner.primary_metric
    for variant, conversions in ((control, 100), (treatment, 130)):
        Observation.objects.create(
            experiment=shipped_winner, variant=variant, metric=metric, date=END,
            users=1000, conversions=conversions,
        )  # fmt: skip
    observations_ingest(
        experiment_id=shipped_winner.pk,
        actor=analyst,
        rows=_holdout_rows(shipped_winner, END + dt.timedelta(days=5)),
    )
    experiments_analyse([shipped_winner.pk])
    latest = Result.objects.filter(experiment=shipped_winner, variant=treatment).order_by("-look")
    # The test's own day only: 130/1,000 against 100/1,000 → +30 %, on 1,000 users.
    assert latest[0].users == 1000
    assert latest[0].lift == pytest.approx(0.3)


def test_the_daily_task_writes_the_rechecks_and_beat_runs_it(shipped_winner, settings):
    from programme.tasks import ship_rechecks

    assert settings.CELERY_BEAT_SCHEDULE["ship-rechecks-daily"]["task"] == (
        "analytics.tasks.ship_rechecks"
    )
    assert ship_rechecks.delay().get() == {"written": 2, "fading_alerts": 0}
    # No holdout data was sent: both horizons are on record without a verdict.
    assert set(ShipRecheck.objects.values_list("after_days", "verdict")) == {
        (30, "no_data"),
        (90, "no_data"),
    }


def test_a_recheck_without_data_is_done_again_once_the_holdout_data_arrives(
    shipped_winner, analyst
):
    ship_rechecks_run(today=SHIPPED_ON + dt.timedelta(days=30))
    assert ShipRecheck.objects.get().verdict == "no_data"
    observations_ingest(
        experiment_id=shipped_winner.pk,
        actor=analyst,
        rows=_holdout_rows(shipped_winner, END + dt.timedelta(days=5)),
    )
    assert ship_rechecks_run(today=SHIPPED_ON + dt.timedelta(days=40))["written"] == 1
    recheck = ShipRecheck.objects.get()
    assert (recheck.verdict, recheck.checked_on) == ("faded", SHIPPED_ON + dt.timedelta(days=40))
    assert recheck.lift == pytest.approx(0.05, abs=1e-9)


def test_a_shipped_winners_holdout_events_are_rolled_up_like_uploads(operator, analyst):
    from analytics.ingest.events import events_ingest
    from analytics.ingest.rollup import events_rollup_run
    from tests.analytics.test_events_rollup import HAND_EVENTS, HAND_EXPECTED, make_experiment
    from tests.analytics.test_events_rollup import observations as rolled_up

    # The hand-computed events fall on 2 and 3 November: after this test's end date.
    experiment = make_experiment(operator)
    put_in_status(
        experiment,
        "concluded",
        decision="scale",
        start_date=dt.date(2026, 10, 1),
        end_date=dt.date(2026, 11, 1),
    )
    events_ingest(actor=analyst, events=HAND_EVENTS)
    events_rollup_run()
    assert rolled_up(experiment) == HAND_EXPECTED


def test_the_results_page_offers_a_shipped_winner_its_holdout_upload(shipped_winner, analyst):
    client = Client()
    client.force_login(analyst)
    page = client.get(f"/experiments/{shipped_winner.pk}/results/").content.decode()
    assert 'id="upload-form"' in page
    assert "Shipped: send the holdout's days after 1 Sep 2026." in page
    abandoned = put_in_status(ExperimentFactory(), "concluded", decision="abandon", end_date=END)
    page = client.get(f"/experiments/{abandoned.pk}/results/").content.decode()
    assert 'id="upload-form"' not in page


def test_winners_without_holdout_data_come_last_and_are_named_in_the_reading(
    shipped_winner, analyst, operator, cmo
):
    observations_ingest(
        experiment_id=shipped_winner.pk,
        actor=analyst,
        rows=_holdout_rows(shipped_winner, END + dt.timedelta(days=5)),
    )
    silent = ExperimentFactory(owner=operator)
    put_in_status(silent, "concluded", decision="scale", start_date=END, end_date=END)
    record_step(silent, "conclude", at(SHIPPED_ON), cmo, "completed", "concluded")
    treatment = silent.variants.get(is_control=False)
    Result.objects.create(
        experiment=silent, metric=silent.primary_metric, variant=treatment, look=1, users=10,
        lift=0.1, alpha=0.05,
    )  # fmt: skip
    ship_rechecks_run(today=SHIPPED_ON + dt.timedelta(days=30))
    data = compute_rechecks(ProgrammeHistory(today=SHIPPED_ON + dt.timedelta(days=30)))
    assert [row["experiment"] for row in data["latest"]] == [shipped_winner.pk, silent.pk]
    assert (data["faded"], data["no_data"]) == (1, 1)
    assert data["reading"].startswith(
        "Of 2 shipped winners re-checked, 0 held up and 1 faded (kept less than 50% of the lift "
        "they were shipped on). 1 had no data since the ship: without a holdout a winner cannot "
        "be re-checked."
    )
