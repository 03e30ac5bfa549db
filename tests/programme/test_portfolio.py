"""The portfolio roll-up's numbers: counts by status, win rate, P(win), cycle times and
velocity, forecast and realised impact."""

from decimal import Decimal

import pytest

from experiments import lifecycle
from experiments.models import Experiment, Metric
from programme.models import PortfolioRollup
from programme.portfolio.impact import (
    ImpactModel,
    forecast_impact,
    realised_impact,
    win_probability,
)
from programme.portfolio.rollup import portfolio_rollup_run
from programme.portfolio.shrinkage import lifts_that_count
from roles.models import Channel
from tests.experiments.helpers import STEP_KWARGS, put_in_status
from tests.factories import ExperimentFactory, HypothesisFactory, MetricFactory
from tests.programme.portfolio_setup import (
    STATUSES,
    TODAY,
    at,
    make,
    portfolio_world,
    result,
    row,
    trail,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(operator, operator2):
    return portfolio_world(operator, operator2)


# --- counts by status, win rate ------------------------------------------------------


def test_it_counts_experiments_by_status_in_every_slice(world, operator, operator2):
    for status in ("draft", "running", "running", "concluded"):
        make(owner=operator, hypothesis=world["web"], status=status, outcome="won")
    make(owner=operator2, hypothesis=world["email"], status="killed")

    summary = portfolio_rollup_run(today=TODAY)

    everything = row("programme", "all")
    assert everything["by_status"] == {
        **dict.fromkeys(STATUSES, 0), "draft": 1, "running": 2, "concluded": 1, "killed": 1
    }  # fmt: skip
    arr, cac = world["objectives"]
    assert row("objective", arr.pk)["by_status"]["running"] == 2
    assert row("objective", cac.pk)["by_status"] == {**dict.fromkeys(STATUSES, 0), "killed": 1}
    smb, enterprise = world["teams"]
    assert row("team", smb.pk)["experiments"] == 4
    assert row("segment", world["segments"][1].pk)["experiments"] == 1
    assert row("channel", "web")["by_status"]["draft"] == 1
    assert row("channel", "email")["by_status"]["killed"] == 1
    assert row("channel", "seo")["experiments"] == 0  # every channel has a row, empty or not
    assert row("operator", operator.pk)["experiments"] == 4
    assert row("operator", operator2.pk)["experiments"] == 1
    labels = dict(PortfolioRollup.objects.filter(dimension="operator").values_list("key", "label"))
    assert labels[str(operator.pk)] == "Omar"
    assert summary["experiments"] == 5
    assert summary["rows"] == PortfolioRollup.objects.count()


def test_it_falls_back_to_the_hypothesis_objective_and_segment(world, operator):
    experiment = make(owner=operator, hypothesis=world["web"], status="running")
    Experiment.objects.filter(pk=experiment.pk).update(objective=None, segment=None)

    portfolio_rollup_run(today=TODAY)

    assert row("objective", world["objectives"][0].pk)["experiments"] == 1
    assert row("segment", world["segments"][0].pk)["experiments"] == 1


def test_it_computes_the_win_rate_over_concluded_experiments(world, operator):
    for outcome in ("won", "won", "lost"):
        make(owner=operator, hypothesis=world["web"], status="concluded", outcome=outcome)
    make(owner=operator, hypothesis=world["web"], status="killed")
    make(owner=operator, hypothesis=world["email"], status="running")

    portfolio_rollup_run(today=TODAY)

    arr, cac = world["objectives"]
    assert {"concluded": 3, "won": 2, "win_rate": 0.6667}.items() <= row(
        "objective", arr.pk
    ).items()
    assert row("objective", cac.pk)["win_rate"] is None
    assert row("objective", cac.pk)["concluded"] == 0


# --- P(win) --------------------------------------------------------------------------


def test_win_probability_is_the_prior_until_ten_are_concluded():
    assert win_probability(won=9, concluded=9) == 0.3
    assert win_probability(won=0, concluded=0) == 0.3
    assert win_probability(won=9, concluded=10) == 0.9
    assert win_probability(won=3, concluded=12) == 0.25


def test_it_uses_each_teams_own_win_rate_from_ten_concluded_on(world, operator):
    smb, enterprise = world["teams"]
    for _ in range(9):
        make(owner=operator, hypothesis=world["web"], status="concluded", outcome="won")
    # A binomial experiment in flight worth 100,000 × 0.05 × 0.1 × 40 = 20,000 a year.
    impact = {"reach_per_year": 100_000, "baseline": 0.05, "mde": 0.1}
    make(
        owner=operator, hypothesis=world["web"], status="running",
        value_per_conversion=Decimal("40"), **impact,
    )  # fmt: skip
    make(
        owner=operator, hypothesis=world["email"], status="running",
        value_per_conversion=Decimal("40"), **impact,
    )  # fmt: skip

    portfolio_rollup_run(today=TODAY)
    assert row("team", smb.pk)["p_win"] == 0.3
    assert row("team", smb.pk)["forecast_impact"] == 6000.0

    make(owner=operator, hypothesis=world["web"], status="concluded", outcome="lost")
    portfolio_rollup_run(today=TODAY)

    assert row("team", smb.pk)["p_win"] == 0.9  # 9 won of its own 10
    assert row("team", smb.pk)["forecast_impact"] == 18000.0
    assert row("team", enterprise.pk)["p_win"] == 0.3  # another team's record does not count
    assert row("team", enterprise.pk)["forecast_impact"] == 6000.0
    assert row("programme", "all")["forecast_impact"] == 24000.0


# --- cycle times and velocity -------------------------------------------------------


def test_it_takes_median_stage_times_from_the_audit_trail(world, operator, cmo):
    a = make(owner=operator, hypothesis=world["web"], status="concluded")
    b = make(owner=operator, hypothesis=world["web"], status="running")
    c = make(owner=operator, hypothesis=world["web"], status="completed")
    untouched = make(owner=operator, hypothesis=world["email"], status="in_review")
    trail(
        a, cmo,
        ("submit", at(100)), ("request_changes", at(99)), ("submit", at(98)),
        ("approve", at(97)), ("start", at(96)), ("pause", at(90)), ("resume", at(89)),
        ("complete", at(86)), ("conclude", at(84)),
    )  # fmt: skip
    trail(b, cmo, ("submit", at(60)), ("approve", at(59)), ("start", at(57)))
    trail(
        c, cmo,
        ("submit", at(50)), ("approve", at(48)), ("start", at(47.5)), ("complete", at(43.5)),
    )  # fmt: skip
    trail(untouched, cmo, ("submit", at(5)))

    portfolio_rollup_run(today=TODAY)

    # review: a 3 (first submit → approve, the send-back included), b 1, c 2 → 2
    # wait: a 1, b 2, c 0.5 → 1; run: a 10 (pauses included), c 4 → 7; decide: a 2.
    smb = row("team", world["teams"][0].pk)
    assert smb["cycle_days"] == {"review": 2.0, "wait": 1.0, "run": 7.0, "decide": 2.0}
    enterprise = row("team", world["teams"][1].pk)
    assert enterprise["cycle_days"] == {"review": None, "wait": None, "run": None, "decide": None}


def test_it_counts_starts_and_conclusions_of_the_last_30_days(world, operator, cmo):
    experiments = [
        make(owner=operator, hypothesis=world["web"], status="running") for _ in range(5)
    ]
    trail(experiments[0], cmo, ("start", at(29)))  # first minute of the window
    trail(experiments[1], cmo, ("start", at(29 + 1 / 24)))  # an hour before it opens
    trail(experiments[2], cmo, ("start", at(-0.5)), ("conclude", at(-0.9)))  # today, noon
    trail(experiments[3], cmo, ("start", at(-1.5)))  # tomorrow: not yet
    trail(experiments[4], cmo, ("start", at(40)), ("conclude", at(3)))

    portfolio_rollup_run(today=TODAY)

    numbers = row("programme", "all")
    assert numbers["velocity_30d"] == 2
    assert numbers["concluded_30d"] == 2


def test_it_reads_the_trail_the_lifecycle_services_write(operator, cmo):
    experiment = ExperimentFactory(owner=operator)
    for step in ("submit", "approve", "start", "complete", "conclude"):
        actor = cmo if step in ("approve", "conclude") else operator
        lifecycle.STEP_SERVICES[step](experiment_id=experiment.pk, actor=actor, **STEP_KWARGS[step])

    portfolio_rollup_run()

    numbers = PortfolioRollup.objects.get(dimension="programme").data
    assert numbers["by_status"]["concluded"] == 1
    assert numbers["won"] == 1
    assert numbers["velocity_30d"] == 1
    assert numbers["concluded_30d"] == 1
    assert all(days is not None and days < 0.01 for days in numbers["cycle_days"].values())
    assert numbers["scaled"] == 1
    assert numbers["scaled_without_results"] == 1


# --- impact --------------------------------------------------------------------------


def test_the_impact_formulas_value_a_lift_per_year():
    binomial = ImpactModel(
        reach_per_year=100_000, baseline=0.05, value_per_conversion=40.0, metric_kind="binomial"
    )
    mean = ImpactModel(
        reach_per_year=10_000, baseline=8.0, value_per_conversion=900.0, metric_kind="mean"
    )
    lower = ImpactModel(
        reach_per_year=1_000, baseline=10.0, value_per_conversion=None, metric_kind="mean",
        higher_is_better=False,
    )  # fmt: skip

    assert forecast_impact(binomial, p_win=0.3, expected_lift=0.1) == pytest.approx(6000)
    assert forecast_impact(mean, p_win=0.5, expected_lift=0.05) == pytest.approx(2000)
    assert forecast_impact(lower, p_win=0.3, expected_lift=0.2) == pytest.approx(600)
    assert forecast_impact(binomial, p_win=0.3, expected_lift=None) is None
    no_value = ImpactModel(
        reach_per_year=1, baseline=0.1, value_per_conversion=None, metric_kind="binomial"
    )
    assert forecast_impact(no_value, p_win=0.3, expected_lift=0.1) is None
    assert realised_impact(
        binomial, lift=0.1, lift_ci_low=0.02, lift_ci_high=0.18
    ) == pytest.approx((20000, 4000, 36000))
    # Lower is better: a 20 % fall is the improvement, and the CI bounds swap.
    assert realised_impact(lower, lift=-0.2, lift_ci_low=-0.3, lift_ci_high=-0.1) == pytest.approx(
        (2000, 1000, 3000)
    )


def test_the_impact_model_reads_an_experiment(operator):
    metric = MetricFactory(key="days_to_value", kind="mean", direction="lower")
    experiment = make(
        owner=operator, hypothesis=HypothesisFactory(metric=metric),
        reach_per_year=5000, baseline=3.5, value_per_conversion=Decimal("12.50"),
    )  # fmt: skip
    assert ImpactModel.for_experiment(experiment) == ImpactModel(
        reach_per_year=5000, baseline=3.5, value_per_conversion=12.5, metric_kind="mean",
        higher_is_better=False,
    )  # fmt: skip


def test_it_forecasts_what_is_in_flight(world, operator):
    web = world["web"]
    revenue = MetricFactory(key="revenue_per_visitor", kind=Metric.Kind.MEAN)
    mean_hypothesis = HypothesisFactory(
        objective=web.objective, segment=web.segment, metric=revenue, channel=Channel.WEB
    )
    binomial = {"reach_per_year": 100_000, "baseline": 0.05, "mde": 0.1}
    make(owner=operator, hypothesis=web, status="approved",
         value_per_conversion=Decimal("40"), **binomial)  # fmt: skip  # 0.3 × 20,000
    make(owner=operator, hypothesis=mean_hypothesis, status="paused",
         reach_per_year=10_000, baseline=8.0, mde=0.05)  # fmt: skip  # 0.3 × 4,000
    make(owner=operator, hypothesis=web, status="in_review", reach_per_year=None)  # no model
    for status in ("draft", "completed", "concluded", "killed"):  # not in flight
        make(owner=operator, hypothesis=web, status=status,
             value_per_conversion=Decimal("40"), **binomial)  # fmt: skip

    portfolio_rollup_run(today=TODAY)

    numbers = row("objective", web.objective.pk)
    assert numbers["forecast_impact"] == 7200.0
    assert numbers["in_flight"] == 3
    assert numbers["forecast_without_impact_model"] == 1


def test_it_realises_the_measured_lift_of_scaled_experiments(world, operator):
    scaled = {"status": "concluded", "decision": "scale", "outcome": "won"}
    model = {"reach_per_year": 100_000, "baseline": 0.05, "value_per_conversion": Decimal("40")}
    three_arms = [("control", True, 0.34), ("b", False, 0.33), ("c", False, 0.33)]
    best = put_in_status(
        ExperimentFactory(owner=operator, hypothesis=world["web"], variants=three_arms),
        **scaled, **model,
    )  # fmt: skip
    result(best, "control", look=2)
    result(best, "b", look=2, lift=0.05, low=-0.01, high=0.11)
    result(best, "c", look=2, lift=0.1, low=0.02, high=0.18)  # the best treatment, latest look
    result(best, "c", look=1, lift=0.5, low=0.3, high=0.7)  # an older look: ignored
    result(best, "b", look=3, lift=0.9, metric=MetricFactory(key="secondary"))  # not primary

    lower = MetricFactory(key="days_to_activation", kind="mean", direction="lower")
    faster = make(
        owner=operator, hypothesis=HypothesisFactory(
            objective=world["objectives"][0], segment=world["segments"][0], metric=lower
        ),
        reach_per_year=1_000, baseline=10.0, **scaled,
    )  # fmt: skip
    result(faster, "b", look=1, lift=-0.2, low=-0.3, high=-0.1)

    make(owner=operator, hypothesis=world["web"], **scaled, **model)  # no results yet
    iterated = make(
        owner=operator, hypothesis=world["web"], status="concluded", decision="iterate", **model
    )
    result(iterated, "b", look=1, lift=0.3, low=0.1, high=0.5)  # not scaled: not realised

    portfolio_rollup_run(today=TODAY)

    numbers = row("objective", world["objectives"][0].pk)
    # 100,000 × 0.05 × 40 × (0.1, 0.02, 0.18) + 1,000 × 10 × (0.2, 0.1, 0.3)
    assert numbers["realised_impact"] == 22000.0
    assert numbers["realised_impact_low"] == 5000.0
    assert numbers["realised_impact_high"] == 39000.0
    assert numbers["scaled"] == 3
    assert numbers["scaled_without_results"] == 1
    assert row("objective", world["objectives"][1].pk)["realised_impact"] == 0


def test_without_a_primary_metric_the_hypothesiss_metric_decides(world, operator):
    lower = MetricFactory(key="days_to_activation", kind="mean", direction="lower")
    hypothesis = HypothesisFactory(
        objective=world["objectives"][0], segment=world["segments"][0], metric=lower
    )
    unnamed = make(
        owner=operator, hypothesis=hypothesis, primary_metric=None, status="concluded",
        decision="scale", outcome="won", reach_per_year=1_000, baseline=10.0,
    )  # fmt: skip
    result(unnamed, "b", look=1, lift=-0.2, low=-0.3, high=-0.1, metric=lower)
    result(unnamed, "b", look=1, lift=0.9, low=0.8, high=1.0, metric=MetricFactory(key="other"))

    portfolio_rollup_run(today=TODAY)

    # 1,000 × 10 × (0.2, 0.1, 0.3): the fall of a lower-is-better metric is the gain.
    numbers = row("objective", world["objectives"][0].pk)
    assert (numbers["realised_impact"], numbers["realised_impact_low"]) == (2000.0, 1000.0)
    [counted] = lifts_that_count()
    assert (counted["experiment_id"], counted["lift"], counted["improvement"]) == (
        unnamed.pk,
        -0.2,
        0.2,
    )
