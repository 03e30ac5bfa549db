"""False wins and partners on constructed programmes whose right answers are worked out by
hand below, and the shrunk ledger."""

from statistics import NormalDist

import pytest
from rest_framework.test import APIClient

from analytics.stats.programme import lord_gamma
from programme.portfolio.rollup import portfolio_rollup_run
from programme.portfolio.selectors import objective_ledger
from tests.factories import HypothesisFactory, MetricFactory
from tests.programme.insights_stats_setup import (
    POSTERIOR_SD,
    SHRUNK,
    TODAY,
    concluded,
    false_win_stream,
    partner_programme,
    report,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def stream(operator):
    return false_win_stream(operator)


@pytest.fixture
def partners(operator):
    return partner_programme(operator)


# --- false wins -------------------------------------------------------------------------


def test_false_wins_by_hand(stream):
    data = report("false-wins")

    # LORD++ with α = 0.05, W0 = 0.025 and the default γ:
    g1, g2, g3 = lord_gamma(3)
    levels = [g1 * 0.025, g2 * 0.025 + 0.025 * g1, g3 * 0.025 + 0.025 * g2]
    # α1 = 0.0013379 (p 0.0001: discovery); α2 = 0.0016289 (p 0.2: none);
    # α3 = 0.0005388 (p 0.001: none)
    assert [row["level"] for row in data["stream"]] == pytest.approx(levels, abs=1e-6)
    assert [row["discovery"] for row in data["stream"]] == [True, False, False]
    assert [row["id"] for row in data["stream"]] == [e.pk for e in stream]
    assert data["discoveries"] == 1 and data["discoveries_this_year"] == 1
    # Two wins this year (#1 and #2); #2 does not pass its level.
    assert data["wins_this_year"] == 2 and data["wins_not_backed_this_year"] == 1
    assert data["fdr_bound_this_year"] == 0.05

    # Shrinkage: prior mean 0.02, sd √0.0027; expected false wins = Σ P(θ ≤ 0) over the wins.
    assert data["prior_mean"] == pytest.approx(0.02)
    assert data["prior_sd"] == pytest.approx(0.0027**0.5, abs=1e-4)
    phi = NormalDist().cdf
    expected = phi(-SHRUNK[0] / POSTERIOR_SD) + phi(-SHRUNK[1] / POSTERIOR_SD)
    assert data["expected_false_wins_this_year"] == pytest.approx(expected, abs=0.006)
    lifts = {row["id"]: row for row in data["lifts"]}
    assert [lifts[e.pk]["shrunk"] for e in stream] == pytest.approx(SHRUNK, abs=1e-4)

    # Scaled: #1 and #2. Annual value = 100,000 × 0.05 × 40 × lift = 200,000 × lift.
    (objective,) = data["by_objective"]
    assert objective["raw"] == 20_000.0
    assert objective["shrunk"] == pytest.approx(200_000 * (SHRUNK[0] + SHRUNK[1]), abs=0.01)
    assert "2 experiments were called wins in 2026" in data["reading"]
    assert "1 of this year's wins would not pass" in data["reading"]


def test_the_ledger_shows_raw_and_shrunk_realised_impact_side_by_side(stream):
    portfolio_rollup_run(today=TODAY)
    ledger = objective_ledger(stream[0].objective)
    shrunk = 200_000 * (SHRUNK[0] + SHRUNK[1])  # 14,230.77
    assert ledger["realised_impact"] == 20_000.0
    assert ledger["realised_impact_shrunk"] == pytest.approx(shrunk, abs=0.01)
    assert ledger["progress"] == 0.04  # 20,000 / |1,500,000 − 1,000,000|
    assert ledger["progress_shrunk"] == round(shrunk / 500_000, 4)

    api = APIClient()
    api.force_authenticate(stream[0].owner)
    body = api.get(f"/api/v1/ledger/{stream[0].objective_id}/").json()
    assert body["realised_impact_shrunk"] == pytest.approx(shrunk, abs=0.01)
    assert body["progress_shrunk"] == round(shrunk / 500_000, 4)


def test_a_lower_is_better_metric_is_shrunk_as_an_improvement(operator):
    lower = MetricFactory(key="time_to_value", kind="mean", direction="lower")
    experiments = [
        concluded(operator, hypothesis=HypothesisFactory(metric=lower), lift=-lift)
        for lift in (0.10, 0.0, -0.04)
    ]
    data = report("false-wins")
    lifts = {row["id"]: row for row in data["lifts"]}
    # A fall of 10 % is an improvement of 0.10: the same numbers as above.
    assert [lifts[e.pk]["lift"] for e in experiments] == pytest.approx([0.10, 0.0, -0.04])
    assert [lifts[e.pk]["shrunk"] for e in experiments] == pytest.approx(SHRUNK, abs=1e-4)


# --- partners and cost ----------------------------------------------------------------


def test_partners_by_hand(partners):
    data = report("partners")
    rows = {row["partner"]: row for row in data["partners"]}

    northwind = rows["Northwind"]
    # Value: 100,000 × 0.05 × 300 × 0.061538 = 92,307.69 (the loss was not scaled: 0).
    value = 100_000 * 0.05 * 300 * SHRUNK[0]
    assert northwind["kind"] == "agency"
    assert (northwind["concluded"], northwind["wins"], northwind["win_rate"]) == (2, 1, 0.5)
    assert northwind["median_cycle_days"] == 15.0  # 10 and 20 days
    assert northwind["cost"] == 20_000.0 and northwind["with_cost"] == 2
    assert northwind["value"] == pytest.approx(value, abs=0.01)
    assert northwind["return"] == round(value / 20_000, 2) == 4.62
    assert northwind["cost_per_win"] == 20_000.0
    assert northwind["shrunk_lift"] == pytest.approx((SHRUNK[0] + SHRUNK[2]) / 2, abs=1e-4)

    smb = rows["SMB"]
    # No economics: the experiment's own 40 per conversion; no cost recorded: no return.
    assert smb["kind"] == "in_house"
    assert smb["value"] == pytest.approx(100_000 * 0.05 * 40 * SHRUNK[1], abs=0.01)
    assert (smb["cost"], smb["with_cost"], smb["return"]) == (0.0, 0, None)

    per_experiment = {row["id"]: row for row in data["experiments"]}
    assert set(per_experiment) == {partners["win"].pk, partners["loss"].pk}
    assert per_experiment[partners["win"].pk]["return"] == round(value / 15_000, 2)
    assert per_experiment[partners["loss"].pk]["return"] == 0.0
    assert data["return"] == 4.62
    assert "every unit spent brought back 4.6" in data["reading"]


def test_partners_without_costs_say_what_to_do(operator):
    concluded(operator, lift=0.05)
    assert "record build and media cost" in report("partners")["reading"]
