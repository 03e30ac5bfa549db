import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from demo.bench import BENCH_KEY_PREFIX
from demo.past import PAST_EXPERIMENTS, QUEUED_DESIGNS
from demo.record import HISTORY_SIZE
from experiments.lifecycle import STEPS
from experiments.models import (
    Experiment,
    ExperimentStatus,
    ExperimentTemplate,
    Hypothesis,
    Metric,
    Objective,
    Segment,
    SegmentEconomics,
    StatusChange,
)
from roles.capabilities import STEP_ABILITIES, abilities_of, can
from roles.models import User

pytestmark = pytest.mark.django_db


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            User,
            Objective,
            Segment,
            SegmentEconomics,
            Metric,
            Hypothesis,
            Experiment,
            StatusChange,
            ExperimentTemplate,
        )
    }


def test_it_builds_the_demo_organisation_once(demo_for_class, settings):
    """The first run is the one seeded for this test process (tests/demo_snapshots.py)."""
    settings.DEBUG = True
    first = _counts()

    assert set(User.objects.values_list("username", flat=True)) == {
        "cmo",
        "operator",
        "operator2",
        "marketer",
        "analyst",
        "admin",
        "northwind",
        "brightline",
    }
    # The organisation's six metrics and the demo warehouse's revenue per user (demo/warehouse.py).
    assert first["Objective"] == 3 and first["Metric"] == 7
    # Five templates, one per kind of test the demo team runs, each with its locks.
    assert sorted(ExperimentTemplate.objects.values_list("kind", flat=True)) == [
        "email_subject", "landing_page", "onboarding", "paid_creative", "pricing"
    ]  # fmt: skip
    pricing = ExperimentTemplate.objects.get(name="Pricing")
    assert (pricing.alpha, pricing.min_run_weeks, pricing.primary_metric.key) == (
        0.01,
        3,
        "trial_to_paid",
    )
    assert pricing.decision_rule["guardrail_tolerances"] == {"signup_conversion": 0.03}
    assert "decision_rule" in pricing.locked_fields
    # The 15 of the current programme, the past year's decided ones and designs queued in the
    # busiest segments (for the insights).
    assert first["Segment"] >= 8 and first["Hypothesis"] >= 40
    # And a longer record of concluded decisions (calibration, false wins, partners).
    assert first["Experiment"] == 15 + len(PAST_EXPERIMENTS) + len(QUEUED_DESIGNS) + HISTORY_SIZE
    assert set(Experiment.objects.values_list("status", flat=True)) == set(ExperimentStatus.values)
    # Three levels of segments.
    assert Segment.objects.filter(parent__parent__isnull=False).exists()
    # Every experiment past draft has the audit trail the lifecycle wrote.
    for experiment in Experiment.objects.exclude(status="draft"):
        assert experiment.status_changes.last().to_status == experiment.status
    assert "Demo logins: cmo, operator, operator2, marketer, analyst, admin" in demo_for_class

    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert _counts() == first
    assert "already present" in again.getvalue()


def test_large_adds_five_thousand_experiments_once(demo_for_class):
    call_command("seed_demo", "--large", stdout=StringIO())
    assert Experiment.objects.filter(key__startswith="bench-").count() == 5000
    call_command("seed_demo", "--large", stdout=StringIO())
    assert Experiment.objects.count() == (
        5015 + len(PAST_EXPERIMENTS) + len(QUEUED_DESIGNS) + HISTORY_SIZE
    )


class TestOneSeededDemo:
    """What one run of ``seed_demo`` leaves, read by several tests: seeded once for the class
    (each test's writes are rolled back, and the whole after the last test)."""

    @pytest.fixture
    def seeded(self, demo_for_class):
        """What ``seed_demo`` printed; its rows are in the database (tests/demo_snapshots.py)."""
        return demo_for_class

    def test_every_experiment_walked_the_lifecycle_to_its_status(self, seeded):
        """Each status was reached by steps of the transition table, in order, each taken by
        someone the capability table lets take it; the dates follow the trail."""
        lived = Experiment.objects.exclude(key__startswith=BENCH_KEY_PREFIX).select_related(
            "owner", "segment"
        )
        assert lived.count() == 15 + len(PAST_EXPERIMENTS) + len(QUEUED_DESIGNS) + HISTORY_SIZE
        for experiment in lived:
            changes = list(experiment.status_changes.select_related("actor").order_by("id"))
            status = ExperimentStatus.DRAFT
            for change in changes:
                step = STEPS[change.step]
                assert (change.from_status, change.to_status) == (status, step.target)
                assert status in step.sources
                assert can(change.actor, STEP_ABILITIES[change.step], experiment)
                status = change.to_status
            assert experiment.status == status, experiment.key
            if changes:
                assert experiment.status_changes.last() == changes[-1]
            times = [experiment.created_at, *(c.created_at for c in changes)]
            assert times == sorted(times), experiment.key
            days = {c.step: timezone.localdate(c.created_at) for c in changes}
            assert experiment.start_date == days.get("start")
            assert experiment.end_date == days.get(
                "complete", days.get("kill") if "start" in days else None
            )

    def test_the_past_is_months_old_and_decided_on_its_readings(self, seeded):
        from analytics.models import Result

        record = Experiment.objects.filter(key__startswith="hist-")
        oldest = StatusChange.objects.filter(experiment__in=record).earliest("created_at")
        assert (timezone.now() - oldest.created_at).days > 365
        for experiment in record:
            # Analysed week by week: the decision read the newest look.
            looks = Result.objects.filter(
                experiment=experiment, metric=experiment.primary_metric, is_control=False
            ).order_by("-look")
            assert looks.count() >= 2
            reading = looks.first()
            # A significant reading decides; only a trend may be called a win without one.
            if reading.significant:
                assert experiment.outcome == ("won" if reading.lift > 0 else "lost")
            elif experiment.outcome == "won":
                assert reading.lift > 0
            else:
                assert experiment.outcome == "inconclusive"

    def test_the_demo_cmo_is_not_a_superuser_and_the_admin_account_holds_no_role(self, seeded):
        cmo, admin = User.objects.get(username="cmo"), User.objects.get(username="admin")
        assert not (cmo.is_staff or cmo.is_superuser)
        assert admin.is_staff and admin.is_superuser
        assert admin.role == ""
        assert abilities_of(admin) == set()
        assert set(User.objects.values_list("is_demo", flat=True)) == {True}

    def test_the_demo_gives_the_backlog_and_the_design_page_something_to_show(self, seeded):
        from experiments.models import Comment

        assert Hypothesis.objects.count() >= 40
        statuses = set(Hypothesis.objects.values_list("status", flat=True))
        assert {"new", "backlog", "rejected", "in_test"} <= statuses
        # Scored by several people, not only the authors' first estimates.
        scorers = set(
            Hypothesis.objects.filter(scored_by__isnull=False).values_list(
                "scored_by__username", flat=True
            )
        )
        assert {"operator", "operator2"} <= scorers
        commenters = set(
            Comment.objects.filter(hypothesis__isnull=False).values_list(
                "author__username", flat=True
            )
        )
        assert len(commenters) >= 3
        assert Comment.objects.filter(experiment__isnull=False).exists()
        # A draft for each operator, and backlog ideas left to design from.
        drafts = Experiment.objects.filter(status=ExperimentStatus.DRAFT)
        assert set(drafts.values_list("owner__username", flat=True)) == {"operator", "operator2"}
        assert Hypothesis.objects.filter(status="backlog", experiments__isnull=True).count() >= 5

    def test_the_demo_gives_the_operational_insights_something_to_read(self, seeded):
        from analytics.models import Alert
        from programme.insights import INSIGHTS
        from programme.insights.history import ProgrammeHistory
        from programme.insights.rechecks import compute_rechecks
        from programme.models import InsightReport, ShipRecheck

        # The insight pages have stored reports from the start.
        assert f"Computed {len(INSIGHTS)} programme insights." in seeded
        assert set(InsightReport.objects.values_list("name", flat=True)) == set(INSIGHTS)
        # Shipped winners months ago, re-checked on their holdout: some held, some faded.
        verdicts = set(ShipRecheck.objects.values_list("verdict", flat=True))
        assert {"held", "faded"} <= verdicts
        assert Alert.objects.filter(kind=Alert.Kind.FADING_WINNER).exists()
        assert Alert.objects.filter(kind=Alert.Kind.DECISION_OVERDUE).exists()
        data = compute_rechecks(ProgrammeHistory(today=timezone.localdate()))
        assert data["rechecked"] >= 5 and data["upcoming"]
        # Every triaged idea waited a while, and before its first experiment was drafted.
        for hypothesis in Hypothesis.objects.filter(triaged_at__isnull=False):
            assert hypothesis.created_at < hypothesis.triaged_at
            first = hypothesis.experiments.order_by("created_at").first()
            assert first is None or hypothesis.triaged_at <= first.created_at

    def test_the_demo_history_gives_calibration_false_wins_and_partners_something_to_say(
        self, seeded
    ):
        from programme.insights.run import insight_report

        record = Experiment.objects.filter(key__startswith="hist-")
        assert record.count() == HISTORY_SIZE
        assert set(record.values_list("status", flat=True)) == {"concluded"}
        calibration = insight_report("calibration").data
        assert calibration["with_lift"] >= HISTORY_SIZE and calibration["spearman_ice_lift"] > 0
        assert calibration["overrides"]["against"] > 0
        false_wins = insight_report("false-wins").data
        assert false_wins["wins_this_year"] > 0 and false_wins["by_objective"]
        partners = insight_report("partners").data
        kinds = {row["kind"] for row in partners["partners"]}
        assert kinds == {"agency", "in_house"} and partners["return"] is not None

    def test_every_objective_chart_shows_a_year_of_trend(self, seeded):
        from programme.portfolio.selectors import objective_history

        objectives = Objective.objects.all()
        today = timezone.localdate()
        for objective, rows in objective_history(objectives).items():
            days = [day for day, *_ in rows]
            assert days[0] == today - dt.timedelta(days=365) and days[-1] == today
            assert len(days) == 366, objective
            realised = {data["realised_impact"] for _, data, _ in rows}
            assert len(realised) >= 2, objective  # it moved as winners were scaled

    def test_every_started_experiment_draws_its_results_charts(self, seeded):
        from analytics.results import results_charts

        started = Experiment.objects.filter(start_date__isnull=False).exclude(
            key__startswith=BENCH_KEY_PREFIX
        )
        assert started.count() == 66
        for experiment in started.select_related("primary_metric"):
            charts = results_charts(experiment, experiment.primary_metric)
            assert len(charts) == 2, experiment.key

    def test_the_record_completes_on_its_data_without_an_override(self, seeded):
        completes = StatusChange.objects.filter(
            step="complete", experiment__key__startswith="hist-"
        )
        assert completes.count() == HISTORY_SIZE
        assert not completes.exclude(override_reason="").exists()
        overrides = StatusChange.objects.exclude(override_reason="")
        assert overrides.count() < 40  # 73 while the demo called before its data was in


def test_seed_templates_adds_only_the_missing_ones():
    from demo.templates import seed_templates
    from tests.factories import MetricFactory, UserFactory

    assert seed_templates(out=lambda *_: None) == 0  # no demo CMO: nothing to write with
    UserFactory(username="cmo", role="cmo", is_demo=True)
    for key in ("signup_conversion", "trial_to_paid", "unsubscribe_rate"):
        MetricFactory(key=key)
    said = []

    assert seed_templates(out=said.append) == 5
    ExperimentTemplate.objects.filter(name="Onboarding").delete()
    assert seed_templates(out=said.append) == 1
    assert seed_templates(out=said.append) == 0
    assert said == ["Added 5 test templates.", "Added 1 test template."]
    # A metric the database lacks is left out, not invented.
    assert ExperimentTemplate.objects.get(name="Landing page").secondary_metrics.count() == 0
