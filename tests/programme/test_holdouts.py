"""Programme holdouts: keeping one, its data, what it measures against the ledger, and the
correction the objective's standing shows."""

import datetime as dt
import math

import pytest
from django.utils import timezone

from analytics.models import Result
from experiments.models import StatusChange
from programme.holdouts import holdout_create
from programme.models import Holdout, HoldoutObservation
from tests.api.problems import problem_errors
from tests.conftest import client_for
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory, HypothesisFactory, ObjectiveFactory, SegmentFactory

pytestmark = pytest.mark.django_db

# Past days, read at import: they stay in the past if the run crosses midnight. "Today" and
# "tomorrow" are read inside the tests that need them.
_COLLECTED_ON = timezone.localdate()
DAY1, DAY2 = _COLLECTED_ON - dt.timedelta(days=3), _COLLECTED_ON - dt.timedelta(days=2)
Z = 1.959963984540054


@pytest.fixture
def segment():
    return SegmentFactory(name="Freelancers")


@pytest.fixture
def objective(cmo):
    return ObjectiveFactory(owner=cmo, name="ARR")


@pytest.fixture
def holdout(cmo, segment, objective):
    return holdout_create(
        actor=cmo,
        name="Freelancers 5 %",
        segment=segment,
        share=0.05,
        started_on=DAY1 - dt.timedelta(days=7),
        objective=objective,
    )


def rows(day1=DAY1, day2=DAY2):
    """Holdout 100 of 1,000 convert, exposed 990 of 9,000, over two days."""
    return [
        {"date": day1.isoformat(), "group": "holdout", "users": 500, "conversions": 50},
        {"date": day1.isoformat(), "group": "exposed", "users": 4500, "conversions": 495},
        {"date": day2.isoformat(), "group": "holdout", "users": 500, "conversions": 50},
        {"date": day2.isoformat(), "group": "exposed", "users": 4500, "conversions": 495},
    ]


def scaled_into(segment, objective, operator, *, decided_on, lift):
    """An experiment scaled into ``segment`` on ``decided_on`` with ``lift`` on its primary."""
    hypothesis = HypothesisFactory(segment=segment, objective=objective)
    experiment = put_in_status(
        ExperimentFactory(owner=operator, hypothesis=hypothesis),
        "concluded",
        decision="scale",
        outcome="won",
    )
    change = StatusChange.objects.create(
        experiment=experiment, step="conclude", from_status="completed", to_status="concluded",
        actor=operator,
    )  # fmt: skip
    moment = timezone.make_aware(dt.datetime.combine(decided_on, dt.time(12)))
    StatusChange.objects.filter(pk=change.pk).update(created_at=moment)
    variant = experiment.variants.get(is_control=False)
    Result.objects.create(
        experiment=experiment, metric=experiment.primary_metric, variant=variant, look=1,
        is_control=False, users=1000, alpha=0.05, lift=lift, lift_ci_low=lift - 0.02,
        lift_ci_high=lift + 0.02,
    )  # fmt: skip
    return experiment


# --- keeping one ---------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), [("cmo", 201), ("analyst", 403), ("operator", 403)])
def test_only_the_cmo_keeps_a_holdout(cast, segment, who, status):
    today = timezone.localdate().isoformat()
    body = {"name": "H", "segment": segment.pk, "share": 0.1, "started_on": today}
    response = client_for(cast[who]).post("/api/v1/holdouts/", body, format="json")
    assert response.status_code == status
    assert Holdout.objects.count() == (1 if status == 201 else 0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"share": 1.0}, "share"),
        ({"share": 0}, "share"),
        ({"started_on": "tomorrow"}, "started_on"),  # the date is worked out in the test
        ({"kind": "revenue"}, "kind"),
        ({"segment": 999999}, "segment"),
    ],
)
def test_a_bad_holdout_is_refused(cmo, segment, change, field):
    today = timezone.localdate()
    if change.get("started_on") == "tomorrow":
        change = {"started_on": (today + dt.timedelta(days=1)).isoformat()}
    body = {"name": "H", "segment": segment.pk, "share": 0.1, "started_on": today.isoformat()}
    response = client_for(cmo).post("/api/v1/holdouts/", {**body, **change}, format="json")
    assert response.status_code == 400
    assert field in problem_errors(response)
    assert Holdout.objects.count() == 0


# --- its data --------------------------------------------------------------------------


def data_url(holdout):
    return f"/api/v1/holdouts/{holdout.pk}/data/"


def test_the_analyst_sends_data_as_json_or_csv(analyst, holdout):
    api = client_for(analyst)
    assert api.post(data_url(holdout), rows(), format="json").json() == {"written": 4}
    csv = f"date,group,users,conversions\n{DAY2},holdout,600,66\n"
    response = api.post(data_url(holdout), csv.encode(), content_type="text/csv")
    assert response.status_code == 201
    again = HoldoutObservation.objects.get(holdout=holdout, date=DAY2, group="holdout")
    assert (again.users, again.conversions) == (600, 66)  # the day was replaced
    assert HoldoutObservation.objects.count() == 4
    listed = api.get(data_url(holdout)).json()["results"]
    assert [(r["date"], r["group"], r["users"]) for r in listed][:2] == [
        (DAY1.isoformat(), "exposed", 4500),
        (DAY1.isoformat(), "holdout", 500),
    ]


@pytest.mark.parametrize(
    ("bad", "errors"),
    [
        ({"group": "control"}, {"row 2": ["group: “control” is not a group (holdout or exposed)"]}),
        ({"conversions": 5000}, {"row 2": ["conversions: 5000 conversions is more than the 4500 users"]}),
        ({"users": -1}, {"row 2": ["users: must not be negative (got -1)", "conversions: 495 conversions is more than the -1 users"]}),
        ({"date": "2026-02-30"}, {"row 2": ["date: “2026-02-30” is not a date (YYYY-MM-DD)"]}),
        ({"sum": 5}, {"row 2": ["sum: this holdout counts conversions: give conversions, not sum"]}),
        ({"date": DAY1.replace(year=DAY1.year - 1).isoformat()}, None),
        ({"group": "holdout"}, {"row 2": ["date: duplicates row 1 (same day and group)"]}),
    ],
)  # fmt: skip
def test_one_bad_row_refuses_the_batch(cmo, holdout, bad, errors):
    batch = rows()
    batch[1] = {**batch[1], **bad}
    response = client_for(cmo).post(data_url(holdout), batch, format="json")
    assert response.status_code == 400
    found = problem_errors(response)
    if errors is None:
        assert "outside the holdout" in found["row 2"][0]
    elif "users" in bad:
        assert found["row 2"][0] == errors["row 2"][0]
    else:
        assert found == errors
    assert HoldoutObservation.objects.count() == 0


def test_a_wrong_csv_header_is_refused(cmo, holdout):
    response = client_for(cmo).post(
        data_url(holdout), b"day,group,users\n", content_type="text/csv"
    )
    assert response.status_code == 400
    assert problem_errors(response)["csv"] == [
        "missing column(s): date",
        "unknown column(s): day",
    ]


def test_a_value_holdout_takes_sums(cmo, segment):
    holdout = holdout_create(
        actor=cmo, name="V", segment=segment, share=0.1, started_on=DAY1, kind="value"
    )
    api = client_for(cmo)
    good = [
        {"date": DAY1.isoformat(), "group": "holdout", "users": 4, "sum": 10, "sum_squares": 30},
        {"date": DAY1.isoformat(), "group": "exposed", "users": 4, "sum": 14, "sum_squares": 54},
    ]
    bad = [{**good[0], "sum_squares": 20}]  # below 10²/4: a negative variance
    assert api.post(data_url(holdout), bad, format="json").status_code == 400
    assert api.post(data_url(holdout), good, format="json").status_code == 201
    measured = api.get(f"/api/v1/holdouts/{holdout.pk}/").json()["report"]["measured"]
    assert measured["lift"] == pytest.approx(0.4)
    assert measured["lift_ci_low"] == pytest.approx(0.4 - Z * math.sqrt(0.1973333333333333))


# --- what it measures against the ledger -------------------------------------------------


def test_the_report_measures_the_lift_against_the_ledgers_estimate(
    cmo, operator, marketer, holdout, segment, objective
):
    client_for(cmo).post(data_url(holdout), rows(), format="json")
    # Shipped on day 2 with +5 %: day 1 expects 0, day 2 expects 5 %, equal users → 2.5 %.
    scaled_into(segment, objective, operator, decided_on=DAY2, lift=0.05)
    # Shipped before the holdout started: the held-out users have it too, so it does not count.
    scaled_into(segment, objective, operator, decided_on=DAY1 - dt.timedelta(days=27), lift=0.3)
    # Shipped into another segment: not this holdout's.
    scaled_into(SegmentFactory(), objective, operator, decided_on=DAY1, lift=0.3)

    response = client_for(marketer).get(f"/api/v1/holdouts/{holdout.pk}/")

    assert response.status_code == 200
    report = response.json()["report"]
    se_rel = math.sqrt(0.0979 / 90 + 0.01089)  # tests/stats/test_holdout.py, by hand
    assert report["days"] == 2
    assert (report["period_start"], report["period_end"]) == (DAY1.isoformat(), DAY2.isoformat())
    assert report["measured"]["lift"] == pytest.approx(0.1)
    assert report["measured"]["lift_ci_low"] == pytest.approx(0.1 - Z * se_rel)
    assert report["estimated_lift"] == pytest.approx(0.025)
    assert report["correction"]["ratio"] == pytest.approx(4.0)
    assert report["correction"]["ratio_low"] == pytest.approx((0.1 - Z * se_rel) / 0.025)
    assert [s["improvement"] for s in report["shipped"]] == [pytest.approx(0.05)]
    assert [p["lift"] for p in report["series"]] == [pytest.approx(0.1), pytest.approx(0.1)]


def test_without_data_the_report_is_empty(marketer, holdout):
    report = client_for(marketer).get(f"/api/v1/holdouts/{holdout.pk}/").json()["report"]
    assert report["measured"] is None and report["correction"] is None and report["days"] == 0


def test_everyone_lists_holdouts_anonymous_does_not(cast, holdout):
    for who in ("cmo", "operator", "marketer", "analyst"):
        listed = client_for(cast[who]).get("/api/v1/holdouts/").json()["results"]
        assert [h["name"] for h in listed] == ["Freelancers 5 %"]
    assert client_for(None).get("/api/v1/holdouts/").status_code == 401


def test_the_correction_shows_beside_the_raw_figures_of_its_objective(
    cmo, operator, holdout, segment, objective
):
    from programme.portfolio.rollup import portfolio_rollup_run

    client_for(cmo).post(data_url(holdout), rows(), format="json")
    experiment = scaled_into(segment, objective, operator, decided_on=DAY2, lift=0.05)
    experiment.reach_per_year, experiment.baseline = 100_000, 0.1
    experiment.value_per_conversion = 50
    experiment.save()
    portfolio_rollup_run()

    standing = client_for(cmo).get(f"/api/v1/objectives/{objective.pk}/").json()["standing"]

    # Realised: 100,000 × 0.1 × 0.05 × 50 = 25,000 a year; corrected × 4 = 100,000.
    assert standing["estimated"]["value"] == pytest.approx(1_025_000)
    assert standing["holdout_correction"]["ratio"] == pytest.approx(4.0)
    assert standing["estimated_corrected"]["value"] == pytest.approx(1_100_000)
    assert standing["estimated_corrected"]["display"] == "€1,100,000"
