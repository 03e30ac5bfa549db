"""Measured beside estimated: the objective's standing (API and page), the forecast explained,
the forms that record the KPI, and the holdout pages."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from programme.holdouts import holdout_create
from programme.models import Holdout, HoldoutObservation, ObjectiveMeasurement
from programme.portfolio.rollup import _Experiment, winner_retention
from programme.portfolio.shrinkage import ProgrammeShrinkage, ShrunkLift
from tests import cockpit
from tests.api.problems import problem_errors
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    """Read when a test runs (a module constant goes stale if the run crosses midnight)."""
    return timezone.localdate()


def yesterday() -> dt.date:
    return today() - dt.timedelta(days=1)


READERS = ["cmo", "operator", "operator2", "marketer", "analyst"]


@pytest.fixture
def world(cmo, operator, operator2):
    return cockpit.build(cmo=cmo, operator=operator, operator2=operator2)


# --- the standing, in the API ------------------------------------------------------------


def test_the_objective_shows_measured_beside_estimated(cmo, marketer, world):
    arr = world["arr"]
    ObjectiveMeasurement.objects.create(objective=arr, date=yesterday(), value=Decimal("1030000"))
    ObjectiveMeasurement.objects.create(
        objective=arr, date=yesterday() - dt.timedelta(days=1), value=Decimal("1000")
    )

    standing = client_for(marketer).get(f"/api/v1/objectives/{arr.pk}/").json()["standing"]

    # Realised: lift 0.1 × reach 100,000 × baseline 5 % × €40 = €20,000 (tests/cockpit.py).
    assert standing["unit"] == "EUR"
    assert standing["measured"] == {
        "value": 1_030_000.0,
        "display": "€1,030,000",
        "as_of": yesterday().isoformat(),
    }
    assert standing["estimated"] == {
        "value": 1_020_000.0,
        "display": "€1,020,000",
        "as_of": today().isoformat(),
    }
    assert standing["estimated_shrunk"]["value"] == 1_020_000.0  # one winner: nothing to shrink
    assert standing["unexplained_movement"]["value"] == 10_000.0
    assert standing["unexplained_movement"]["display"] == "+€10,000"
    # In flight: running, in review, approved, each MDE 0.1 → €20,000 if it wins; P(win) 0.3.
    explained = standing["forecast_explained"]
    assert explained["if_all_win_at_mde"]["value"] == 60_000.0
    assert explained["expected"]["value"] == 18_000.0
    assert explained["calibrated_win_rate"] == 0.3
    assert explained["winner_retention"] == 1.0
    assert (explained["expected_share_of_gap"], explained["if_all_win_share_of_gap"]) == (
        0.036,
        0.12,
    )
    assert explained["reading"].startswith("3 tests in flight. Expected +€18,000 (4% of the gap)")
    assert (
        "If every test in flight won at its MDE: +€60,000 (12% of the gap)" in explained["reading"]
    )
    assert standing["forecast"]["value"] == 1_038_000.0
    assert standing["holdout_correction"] is None
    assert standing["measured_days"] == 2


def test_before_any_roll_up_only_the_measured_figure_stands(cmo):
    from tests.factories import ObjectiveFactory

    objective = ObjectiveFactory(owner=cmo, unit="percent", baseline=12, target=15)
    ObjectiveMeasurement.objects.create(
        objective=objective, date=yesterday(), value=Decimal("12.34")
    )
    standing = client_for(cmo).get(f"/api/v1/objectives/{objective.pk}/").json()["standing"]
    assert standing["unit"] == "%"
    assert standing["measured"]["display"] == "12.3 %"
    assert standing["estimated"] == {"value": None, "display": "—", "as_of": None}
    assert standing["unexplained_movement"]["value"] is None
    reading = standing["forecast_explained"]["reading"]
    assert reading == "No roll-up yet: the forecast appears after the first one."


def test_a_count_objective_reads_in_counts(cmo, world):
    arr = world["arr"]
    arr.unit = "count"
    arr.save()
    standing = client_for(cmo).get(f"/api/v1/objectives/{arr.pk}/").json()["standing"]
    assert standing["unit"] == "count"
    assert standing["estimated"]["display"] == "1,020,000"


def test_the_winners_retention_is_shrunk_over_measured_among_winners():
    # Two winners measured +10 % and +30 %, shrunk to +5 % and +15 %: they keep 20/40 = 50 %.
    # A loser and a winner without an interval do not count.
    def experiment(pk, outcome):
        return _Experiment(
            id=pk, status="concluded", outcome=outcome, decision="scale", objective_id=None,
            segment_id=None, channel="web", owner_id=1,
        )  # fmt: skip

    experiments = {1: experiment(1, "won"), 2: experiment(2, "won"), 3: experiment(3, "lost")}
    experiments[4] = experiment(4, "won")
    shrinkage = ProgrammeShrinkage(
        lifts={
            1: ShrunkLift(0.10, 0.02, 0.05, 0.1),
            2: ShrunkLift(0.30, 0.05, 0.15, 0.1),
            3: ShrunkLift(0.20, 0.05, 0.02, 0.4),
            4: ShrunkLift(0.50, None, 0.50, None),
        },
        prior_mean=0.0,
        prior_sd=0.1,
        fitted_on=3,
    )
    assert winner_retention(experiments, shrinkage) == pytest.approx(0.5)
    assert winner_retention({}, shrinkage) == 1.0


# --- the objective page ------------------------------------------------------------------


@pytest.mark.parametrize("role", READERS)
def test_everyone_reads_the_standing_and_only_measurers_see_the_forms(client, cast, world, role):
    client.force_login(cast[role])
    html = client.get(reverse("programme:objective", args=[world["arr"].pk])).content.decode()
    assert 'id="standing-figures"' in html
    assert "Unexplained movement" in html
    assert "If every test in flight won at its MDE: +€60,000" in html
    assert "€1,020,000" in html
    assert ('id="measure-form"' in html) == (role in ("cmo", "analyst"))
    assert ('id="measure-upload"' in html) == (role in ("cmo", "analyst"))


def test_the_form_records_one_day(client, analyst, world):
    client.force_login(analyst)
    url = reverse("programme:objective-measure", args=[world["arr"].pk])
    response = client.post(url, {"date": yesterday().isoformat(), "value": "1030000.75"})
    assert response.status_code == 302
    saved = ObjectiveMeasurement.objects.get(objective=world["arr"])
    assert (saved.date, saved.value, saved.source) == (yesterday(), Decimal("1030000.75"), "form")
    page = client.get(response["Location"]).content.decode()
    assert "€1,030,001" in page  # the measured figure, to the whole euro
    assert "+€10,001" in page  # unexplained movement


def test_a_bad_csv_on_the_page_saves_nothing_and_says_why(client, cmo, world):
    client.force_login(cmo)
    url = reverse("programme:objective-measure", args=[world["arr"].pk])
    text = f"date,value\n{yesterday()},5\n{yesterday()},6\n".encode()
    response = client.post(url, {"file": SimpleUploadedFile("kpi.csv", text)}, follow=True)
    assert "row 2: date: duplicates row 1 (one value per day)" in response.content.decode()
    assert not ObjectiveMeasurement.objects.exists()
    good = f"date,value\n{yesterday()},5\n".encode()
    client.post(url, {"file": SimpleUploadedFile("kpi.csv", good)})
    assert ObjectiveMeasurement.objects.get().value == Decimal("5.00")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12345678901234567", "12345678901234567 is larger than the KPI can hold"),
        ("lots", "“lots” is not a number"),
    ],
)
def test_a_refused_day_is_told_beside_its_value_as_the_api_tells_it(
    client, cmo, world, typed, message
):
    client.force_login(cmo)
    arr = world["arr"]
    day = yesterday().isoformat()

    response = client.post(
        reverse("programme:objective-measure", args=[arr.pk]), {"date": day, "value": typed}
    )

    assert response.status_code == 200
    assert response.context["measure_form"].errors == {"value": [message]}
    html = response.content.decode()
    assert 'id="id_value_errors"' in html and message in html and "Form:" not in html
    assert f'value="{typed}"' in html and f'value="{day}"' in html  # what was typed is kept
    api = client_for(cmo).post(
        f"/api/v1/objectives/{arr.pk}/measurements/", [{"date": day, "value": typed}], format="json"
    )
    assert api.status_code == 400
    assert problem_errors(api) == {"row 1": [f"value: {message}"]}
    assert not ObjectiveMeasurement.objects.exists()


def test_the_refused_days_page_links_on_to_the_objectives_page(client, cmo, world):
    # The refused day's page is drawn at the form's address: its "?status=…" links land there.
    client.force_login(cmo)
    url = reverse("programme:objective-measure", args=[world["arr"].pk])
    response = client.get(url, {"status": "in_flight"})
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("programme:objective", args=[world["arr"].pk]) + "?status=in_flight"
    )


@pytest.mark.parametrize("role", ["operator", "marketer"])
def test_a_forced_measurement_is_refused(client, cast, world, role):
    client.force_login(cast[role])
    url = reverse("programme:objective-measure", args=[world["arr"].pk])
    response = client.post(url, {"date": yesterday().isoformat(), "value": "1"})
    assert response.status_code == 403
    assert not ObjectiveMeasurement.objects.exists()


# --- the holdout pages ----------------------------------------------------------------------


@pytest.fixture
def holdout(cmo, world):
    return holdout_create(
        actor=cmo,
        name="Self-serve 5 %",
        segment=world["self_serve"],
        share=0.05,
        started_on=today() - dt.timedelta(days=5),
        objective=world["arr"],
    )


@pytest.mark.parametrize("role", READERS)
def test_everyone_reads_the_holdout_pages(client, cast, holdout, role):
    client.force_login(cast[role])
    listed = client.get(reverse("programme:holdouts")).content.decode()
    assert "Self-serve 5 %" in listed
    assert ('id="new-holdout"' in listed) == (role == "cmo")
    page = client.get(reverse("programme:holdout", args=[holdout.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "No days with data of both groups yet" in html
    assert ('id="holdout-upload"' in html) == (role in ("cmo", "analyst"))


def test_the_cmo_keeps_a_holdout_from_the_page(client, cmo, analyst, world):
    body = {
        "name": "Freelancers 10 %", "segment": world["freelancers"].pk, "share": "0.1",
        "started_on": today().isoformat(), "kind": "conversion",
    }  # fmt: skip
    client.force_login(analyst)
    assert client.post(reverse("programme:holdouts"), body).status_code == 403
    client.force_login(cmo)
    bad = client.post(reverse("programme:holdouts"), {**body, "share": "1.5"})
    assert "The share kept away must be above 0 and below 1." in bad.content.decode()
    response = client.post(reverse("programme:holdouts"), body)
    holdout = Holdout.objects.get()
    assert response["Location"] == reverse("programme:holdout", args=[holdout.pk])
    assert (holdout.share, holdout.created_by) == (0.1, cmo)


def test_an_analyst_uploads_holdout_data_from_the_page(client, analyst, marketer, holdout):
    day = today() - dt.timedelta(days=1)
    text = (
        f"date,group,users,conversions\n{day},holdout,1000,100\n{day},exposed,9000,990\n"
    ).encode()
    url = reverse("programme:holdout-upload", args=[holdout.pk])
    client.force_login(marketer)
    assert client.post(url, {"file": SimpleUploadedFile("h.csv", text)}).status_code == 403
    client.force_login(analyst)
    page = client.post(url, {"file": SimpleUploadedFile("h.csv", text)}, follow=True)
    assert HoldoutObservation.objects.count() == 2
    html = page.content.decode()
    assert 'id="measured-lift">+10.0%' in html
