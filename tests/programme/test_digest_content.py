"""Each role's digest, section by section, against constructed data."""

import datetime as dt

import pytest
from django.utils import timezone

from analytics.models import Alert, AnalysisState, Observation, Result, SrmAcknowledgement
from experiments.models import Hypothesis, StatusChange
from programme.digests.build import digest_build
from programme.digests.period import period_for
from programme.models import InsightReport, PortfolioRollup, ShipRecheck
from tests.analytics.helpers import running_experiment
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory, HypothesisFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def weekly():
    return period_for("weekly", timezone.now())


def sections(user):
    digest = digest_build(user=user, period=weekly())
    return {section["key"]: section["items"] for section in digest.sections}


def entered(experiment, status, *, days_ago, actor):
    change = StatusChange.objects.create(
        experiment=experiment, step="x", from_status="draft", to_status=status, actor=actor
    )
    at = timezone.now() - dt.timedelta(days=days_ago)
    StatusChange.objects.filter(pk=change.pk).update(created_at=at)


def test_it_tells_the_cmo_which_decisions_wait_and_for_how_long(cmo, operator):
    review = put_in_status(ExperimentFactory(owner=operator, name="Review me"), "in_review")
    entered(review, "in_review", days_ago=3, actor=operator)
    done = put_in_status(ExperimentFactory(owner=operator, name="Decide me"), "completed")
    entered(done, "completed", days_ago=10, actor=operator)
    put_in_status(ExperimentFactory(owner=operator), "running")

    items = sections(cmo)["decisions"]

    assert [(i["name"], i["status"], i["waiting_days"]) for i in items] == [
        ("Decide me", "completed", 10),
        ("Review me", "in_review", 3),
    ]
    assert items[0]["text"] == "Decide me: waiting 10 d for your decision"
    assert items[0]["path"] == f"/experiments/{done.pk}/"


def test_it_gives_the_cmo_each_objectives_ledger_faded_winners_and_partner_returns(cmo, operator):
    objective = ObjectiveFactory(name="Grow ARR", kpi="ARR", baseline=1000, target=2000)
    PortfolioRollup.objects.create(
        computed_on=timezone.localdate(),
        dimension="objective",
        key=str(objective.pk),
        label="Grow ARR",
        data={"realised_impact": 250.0, "forecast_impact": 100.0, "forecast_expected": 60.0},
    )
    shipped = ExperimentFactory(owner=operator, name="Shipped one")
    today = timezone.localdate()
    ShipRecheck.objects.create(
        experiment=shipped, after_days=30, shipped_on=today - dt.timedelta(days=30),
        checked_on=today, estimated_lift=0.10, lift=0.01, verdict="faded",
    )  # fmt: skip
    ShipRecheck.objects.create(
        experiment=shipped, after_days=90, shipped_on=today - dt.timedelta(days=90),
        checked_on=today, estimated_lift=0.10, lift=0.09, verdict="held",
    )  # fmt: skip
    InsightReport.objects.create(
        name="partners",
        computed_at=timezone.now(),
        seconds=0.1,
        data={"partners": [{"partner": "Acme", "wins": 2, "concluded": 5, "return": 3.5}]},
    )

    found = sections(cmo)

    ledgers = {i["name"]: i for i in found["objectives"]}
    assert ledgers["Grow ARR"]["progress"] == pytest.approx(0.25)
    assert ledgers["Grow ARR"]["text"] == (
        "Grow ARR: 25% of the gap realised (€250 of €1,000 ARR); €60 more expected from tests "
        "in flight"
    )
    assert [(i["name"], i["after_days"], i["lift"]) for i in found["faded"]] == [
        ("Shipped one", 30, 0.01)
    ]
    assert found["faded"][0]["text"] == (
        "Shipped one: +1.0% 30 days after shipping, against +10.0% when decided"
    )
    assert found["partners"] == [
        {
            "partner": "Acme", "wins": 2, "concluded": 5, "return": 3.5,
            "text": "Acme: 2 wins of 5 concluded, return 3.50× its cost",
            "path": "/insights/partners/",
        }
    ]  # fmt: skip


def test_it_leaves_out_a_partners_report_from_before_the_period(cmo):
    InsightReport.objects.create(
        name="partners",
        computed_at=timezone.now() - dt.timedelta(days=8),
        seconds=0.1,
        data={"partners": [{"partner": "Acme", "wins": 2, "concluded": 5, "return": 3.5}]},
    )
    assert "partners" not in sections(cmo)


def test_it_gives_the_operator_next_steps_stale_data_srm_and_guardrails(operator, operator2):
    stale = running_experiment(operator, name="Stale one")  # started 1 Nov 2026, no data
    fresh = running_experiment(operator, name="Fresh one")
    control = fresh.variants.get(is_control=True)
    Observation.objects.create(
        experiment=fresh, variant=control, metric=fresh.primary_metric,
        date=timezone.localdate(), users=10, conversions=1,
    )  # fmt: skip
    draft = ExperimentFactory(owner=operator, name="Draft one")
    ExperimentFactory(owner=operator2, name="Not mine")
    for look, p in ((1, 0.0001), (2, 0.00001)):
        Result.objects.create(
            experiment=stale, metric=stale.primary_metric, variant=control, look=look,
            users=10, alpha=0.05, srm_p_value=p,
        )  # fmt: skip
    acknowledged = running_experiment(operator, name="Acknowledged one")
    Result.objects.create(
        experiment=acknowledged, metric=acknowledged.primary_metric, variant=control, look=1,
        users=10, alpha=0.05, srm_p_value=0.0001,
    )  # fmt: skip
    SrmAcknowledgement.objects.create(
        experiment=acknowledged, look=1, srm_p_value=0.0001, acknowledged_by=operator
    )
    Alert.objects.create(experiment=fresh, kind="guardrail", message="Revenue is worse")
    old = Alert.objects.create(experiment=stale, kind="guardrail", message="Old news")
    Alert.objects.filter(pk=old.pk).update(raised_at=timezone.now() - dt.timedelta(days=9))

    found = sections(operator)

    steps = {i["name"]: i["next_step"] for i in found["next_steps"]}
    assert steps == {  # as the experiment list says them
        "Stale one": "Check how users are assigned and counted (sample-ratio mismatch)",
        "Fresh one": "Keep running",
        "Acknowledged one": "Keep running",
        "Draft one": "Finish the design and send it for review",
    }
    assert draft.pk in {i["experiment"] for i in found["next_steps"]}
    stale_names = [(i["name"], i["last_day"]) for i in found["stale"]]
    assert stale_names == [("Stale one", None), ("Acknowledged one", None)]
    expected_days = (timezone.localdate() - dt.date(2026, 11, 1)).days
    assert found["stale"][0]["days_without_data"] == expected_days
    assert [(i["name"], i["srm_p_value"]) for i in found["srm"]] == [("Stale one", 0.00001)]
    assert [i["text"] for i in found["guardrails"]] == ["Fresh one: Revenue is worse"]


def test_it_tells_the_marketer_what_became_of_their_ideas(marketer, operator, cmo):
    triaged = HypothesisFactory(author=marketer, title="Shorter form", status="backlog")
    Hypothesis.objects.filter(pk=triaged.pk).update(triaged_at=timezone.now())
    long_ago = HypothesisFactory(author=marketer, title="Old idea", status="rejected")
    Hypothesis.objects.filter(pk=long_ago.pk).update(
        triaged_at=timezone.now() - dt.timedelta(days=20)
    )
    tested = HypothesisFactory(author=marketer, title="Bigger button", status="in_test")
    started = ExperimentFactory(owner=operator, hypothesis=tested, name="Button test")
    entered(started, "running", days_ago=2, actor=operator)
    decided = put_in_status(
        ExperimentFactory(owner=operator, hypothesis=tested, name="Button again"),
        "concluded",
        decision="scale",
    )
    entered(decided, "concluded", days_ago=1, actor=cmo)
    someone_elses = ExperimentFactory(owner=operator, name="Not theirs")
    entered(someone_elses, "running", days_ago=1, actor=operator)

    items = sections(marketer)["ideas"]

    assert [i["text"] for i in items] == [
        "“Shorter form”: backlog",
        "“Bigger button”: the experiment Button again was decided: scale",
        "“Bigger button”: the experiment Button test started",
    ]


def test_it_gives_the_analyst_failed_refreshes_data_problems_and_new_results(analyst, operator):
    behind = running_experiment(operator, name="Behind")
    AnalysisState.objects.create(
        experiment=behind, data_version=5, analysed_version=3, stale=True,
        last_analysed_at=timezone.now() - dt.timedelta(hours=3),
    )  # fmt: skip
    just_changed = running_experiment(operator, name="Just changed")
    AnalysisState.objects.create(
        experiment=just_changed, data_version=2, analysed_version=1, stale=True,
        last_analysed_at=timezone.now() - dt.timedelta(minutes=5),
    )  # fmt: skip
    Alert.objects.create(experiment=behind, kind="srm", message="Split is off")
    Alert.objects.create(experiment=behind, kind="sample_reached", message="Sample reached")
    control = behind.variants.get(is_control=True)
    treatment = behind.variants.get(is_control=False)
    for look in (1, 2):
        for variant in (control, treatment):
            Result.objects.create(
                experiment=behind, metric=behind.primary_metric, variant=variant, look=look,
                users=10, alpha=0.05,
            )  # fmt: skip

    found = sections(analyst)

    assert [(i["name"], i["versions_behind"]) for i in found["refreshes"]] == [("Behind", 2)]
    assert [(i["kind"], i["text"]) for i in found["data_problems"]] == [
        ("srm", "Behind: Split is off")
    ]
    assert [(i["name"], i["looks"], i["latest_look"]) for i in found["new_results"]] == [
        ("Behind", 2, 2)
    ]


def test_a_person_with_nothing_to_hear_gets_an_empty_digest(marketer):
    assert digest_build(user=marketer, period=weekly()).is_empty
