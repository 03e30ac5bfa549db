"""The portfolio roll-up's rows as stored, the objective ledger read from them, and the API
that serves both."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programme.models import PortfolioRollup
from programme.portfolio.rollup import portfolio_rollup_run
from programme.portfolio.selectors import objective_ledger
from programme.tasks import portfolio_rollup
from tests.api.problems import problem_errors
from tests.factories import ObjectiveFactory
from tests.programme.portfolio_setup import TODAY, at, make, portfolio_world, result, row, trail

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(operator, operator2):
    return portfolio_world(operator, operator2)


# --- storage -------------------------------------------------------------------------


def test_running_twice_a_day_replaces_the_rows(world, operator):
    make(owner=operator, hypothesis=world["web"], status="running")
    spare = ObjectiveFactory(name="Spare")
    portfolio_rollup_run(today=TODAY)
    first = {(r.dimension, r.key): (r.label, r.data) for r in PortfolioRollup.objects.all()}
    ids = set(PortfolioRollup.objects.values_list("pk", flat=True))

    portfolio_rollup_run(today=TODAY)

    again = {(r.dimension, r.key): (r.label, r.data) for r in PortfolioRollup.objects.all()}
    assert again == first
    assert set(PortfolioRollup.objects.values_list("pk", flat=True)) == ids

    make(owner=operator, hypothesis=world["web"], status="draft")
    spare.delete()
    portfolio_rollup_run(today=TODAY)

    assert row("programme", "all")["experiments"] == 2
    assert not PortfolioRollup.objects.filter(dimension="objective", key=str(spare.pk)).exists()
    assert PortfolioRollup.objects.count() == len(first) - 1

    portfolio_rollup_run(today=TODAY + dt.timedelta(days=1))
    assert PortfolioRollup.objects.filter(computed_on=TODAY).count() == len(first) - 1
    assert PortfolioRollup.objects.count() == 2 * (len(first) - 1)


def test_it_reports_progress_slice_by_slice(world):
    calls = []
    summary = portfolio_rollup_run(
        progress=lambda done, total: calls.append((done, total)), today=TODAY
    )
    assert calls == [(n, summary["rows"]) for n in range(1, summary["rows"] + 1)]


def test_it_reads_in_a_fixed_number_of_queries(world, operator, operator2, cmo):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            portfolio_rollup_run(today=TODAY)
        return len(captured.captured_queries)

    def add(n):
        for i in range(n):
            experiment = make(
                owner=(operator, operator2)[i % 2], hypothesis=(world["web"], world["email"])[i % 2],
                status="concluded", decision="scale", outcome="won",
                reach_per_year=1000, baseline=0.1, value_per_conversion=Decimal("1"),
            )  # fmt: skip
            trail(experiment, cmo, ("submit", at(9)), ("approve", at(8)), ("start", at(7)))
            result(experiment, "b", look=1, lift=0.1, low=0.0, high=0.2)

    add(2)
    few = queries()
    add(20)
    assert queries() == few
    assert few <= 15


def test_the_task_runs_the_rollup(world):
    outcome = portfolio_rollup.apply().get()
    assert outcome["rows"] == PortfolioRollup.objects.count() > 0


# --- objective_ledger ----------------------------------------------------------------


def test_the_ledger_is_empty_until_a_rollup_has_run(world):
    arr = world["objectives"][0]  # baseline 1,000,000, target 1,500,000
    ledger = objective_ledger(arr)
    assert ledger["gap"] == 500_000.0
    assert ledger["computed_on"] is None
    assert ledger["realised_impact"] is None
    assert ledger["progress"] is None


def test_the_ledger_sets_realised_impact_against_the_gap(world):
    arr, cac = world["objectives"]
    PortfolioRollup.objects.create(
        computed_on=TODAY - dt.timedelta(days=1), dimension="objective", key=str(arr.pk),
        label="ARR", data={"realised_impact": 1.0, "forecast_impact": 1.0},
    )  # fmt: skip
    newest = PortfolioRollup.objects.create(
        computed_on=TODAY, dimension="objective", key=str(arr.pk), label="ARR",
        data={
            "realised_impact": 125_000.0, "realised_impact_low": 50_000.0,
            "realised_impact_high": 200_000.0, "forecast_impact": 75_000.0, "in_flight": 4,
            "scaled": 2, "scaled_without_results": 1,
        },
    )  # fmt: skip

    ledger = objective_ledger(arr)

    assert ledger == {
        "objective": arr.pk, "name": "ARR", "kpi": "Net new ARR", "unit": "currency", "unit_code": "EUR",
        "baseline": 1_000_000.0, "target": 1_500_000.0, "gap": 500_000.0,
        "realised_impact": 125_000.0, "realised_impact_low": 50_000.0,
        "realised_impact_high": 200_000.0, "realised_impact_shrunk": None,
        "forecast_impact": 75_000.0, "progress": 0.25, "progress_shrunk": None,
        "progress_with_forecast": 0.4, "forecast_expected": None, "forecast_if_all_win": None,
        # No expected forecast before a roll-up computes it: P(win) × the MDE's value instead.
        "forecast_in_flight": 75_000.0,
        "winner_retention": None, "progress_expected": 0.25, "in_flight": 4, "scaled": 2,
        "scaled_without_results": 1, "computed_on": TODAY, "as_of": newest.computed_at,
    }  # fmt: skip


def test_the_ledger_measures_progress_on_a_falling_target(world):
    cac = world["objectives"][1]
    cac.baseline, cac.target = Decimal("420"), Decimal("350")
    cac.save()
    PortfolioRollup.objects.create(
        computed_on=TODAY, dimension="objective", key=str(cac.pk), label="CAC",
        data={"realised_impact": 14.0, "forecast_impact": 0.0},
    )  # fmt: skip
    ledger = objective_ledger(cac)
    assert ledger["gap"] == -70.0
    assert ledger["progress"] == 0.2


# --- the API -------------------------------------------------------------------------


@pytest.fixture
def stored(world):
    portfolio_rollup_run(today=TODAY - dt.timedelta(days=1))
    portfolio_rollup_run(today=TODAY)
    return world


@pytest.mark.parametrize(
    ("who", "url", "expected"),
    [
        (None, "/api/v1/rollups/", (401, 403)),
        ("outsider", "/api/v1/rollups/", (401, 403)),
        ("cmo", "/api/v1/rollups/", (200,)),
        ("operator", "/api/v1/rollups/", (200,)),
        ("marketer", "/api/v1/rollups/", (200,)),
        ("analyst", "/api/v1/rollups/", (200,)),
        (None, "/api/v1/ledger/{arr}/", (401, 403)),
        ("outsider", "/api/v1/ledger/{arr}/", (401, 403)),
        ("cmo", "/api/v1/ledger/{arr}/", (200,)),
        ("operator", "/api/v1/ledger/{arr}/", (200,)),
        ("marketer", "/api/v1/ledger/{arr}/", (200,)),
        ("analyst", "/api/v1/ledger/{arr}/", (200,)),
    ],
)
def test_reading_needs_the_results_read_ability(
    anonymous_api, cast, outsider, stored, who, url, expected
):
    if who is not None:
        anonymous_api.force_authenticate(outsider if who == "outsider" else cast[who])
    response = anonymous_api.get(url.format(arr=stored["objectives"][0].pk))
    assert response.status_code in expected


def test_it_lists_the_latest_day_by_default(anonymous_api, analyst, stored):
    anonymous_api.force_authenticate(analyst)
    response = anonymous_api.get("/api/v1/rollups/", {"dimension": "objective"})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["dimension"], r["label"], r["computed_on"]) for r in rows] == [
        ("objective", "ARR", "2026-03-31"),
        ("objective", "CAC", "2026-03-31"),
    ]
    arr = stored["objectives"][0]
    assert rows[0]["key"] == str(arr.pk)
    assert rows[0]["data"] == row("objective", arr.pk)


def test_it_lists_an_earlier_day_and_every_dimension(anonymous_api, analyst, stored):
    anonymous_api.force_authenticate(analyst)
    rows = anonymous_api.get(
        "/api/v1/rollups/", {"computed_on": "2026-03-30", "page_size": 500}
    ).json()
    assert {r["computed_on"] for r in rows["results"]} == {"2026-03-30"}
    assert rows["count"] == PortfolioRollup.objects.filter(computed_on=TODAY).count()
    assert {r["dimension"] for r in rows["results"]} == set(PortfolioRollup.Dimension.values)
    nothing = anonymous_api.get("/api/v1/rollups/", {"computed_on": "2020-01-01"}).json()
    assert nothing["count"] == 0


@pytest.mark.parametrize(
    "query", [{"dimension": "planet"}, {"computed_on": "31/03/2026"}, {"computed_on": "2026-02-30"}]
)
def test_it_refuses_bad_filters(anonymous_api, analyst, stored, query):
    anonymous_api.force_authenticate(analyst)
    response = anonymous_api.get("/api/v1/rollups/", query)
    assert response.status_code == 400
    assert list(query) == list(problem_errors(response))


def test_it_answers_an_empty_list_before_any_rollup(anonymous_api, analyst):
    anonymous_api.force_authenticate(analyst)
    response = anonymous_api.get("/api/v1/rollups/")
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_it_serves_an_objectives_ledger(anonymous_api, marketer, stored):
    arr = stored["objectives"][0]
    anonymous_api.force_authenticate(marketer)
    response = anonymous_api.get(f"/api/v1/ledger/{arr.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["objective"] == arr.pk
    assert body["gap"] == 500_000.0
    assert body["computed_on"] == "2026-03-31"
    assert body["realised_impact"] == 0
    assert body["progress"] == 0
    assert anonymous_api.get("/api/v1/ledger/999999/").status_code == 404
