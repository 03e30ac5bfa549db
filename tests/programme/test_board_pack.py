"""The board pack: its period, its content against the ledger, the task, the API and the pages."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from analytics.models import Result
from experiments.models import StatusChange
from programme.models import BoardReport, PortfolioRollup
from programme.reports.content import board_pack_content
from programme.reports.pack import board_report_build, pack_title
from programme.reports.period import last_complete_period, period_containing
from tests.api.problems import problem_errors
from tests.conftest import client_for
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory, HypothesisFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db

START, END = dt.date(2026, 11, 1), dt.date(2026, 11, 30)


# --- the period ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, day, expected",
    [
        ("month", dt.date(2026, 2, 10), (dt.date(2026, 2, 1), dt.date(2026, 2, 28))),
        ("month", dt.date(2028, 2, 29), (dt.date(2028, 2, 1), dt.date(2028, 2, 29))),
        ("month", dt.date(2026, 12, 31), (dt.date(2026, 12, 1), dt.date(2026, 12, 31))),
        ("quarter", dt.date(2026, 12, 6), (dt.date(2026, 10, 1), dt.date(2026, 12, 31))),
        ("quarter", dt.date(2026, 4, 1), (dt.date(2026, 4, 1), dt.date(2026, 6, 30))),
    ],
)
def test_a_period_is_the_calendar_month_or_quarter_around_a_day(kind, day, expected):
    assert period_containing(kind, day) == expected


def test_the_default_period_is_the_last_one_that_has_ended():
    assert last_complete_period("month", dt.date(2026, 1, 3)) == (
        dt.date(2025, 12, 1),
        dt.date(2025, 12, 31),
    )
    assert last_complete_period("quarter", dt.date(2026, 12, 6)) == (
        dt.date(2026, 7, 1),
        dt.date(2026, 9, 30),
    )


def test_an_unknown_period_is_refused():
    with pytest.raises(ValueError, match="month or quarter"):
        period_containing("week", dt.date(2026, 1, 1))


# --- the content --------------------------------------------------------------------------


def decided(experiment, step, on: dt.date, actor, **change):
    """A conclude or kill step on ``on`` (the timeline row the pack reads)."""
    row = StatusChange.objects.create(
        experiment=experiment, step=step, from_status="completed",
        to_status="concluded" if step == "conclude" else "killed", actor=actor, **change,
    )  # fmt: skip
    at = timezone.make_aware(dt.datetime.combine(on, dt.time(12)))
    StatusChange.objects.filter(pk=row.pk).update(created_at=at)


def with_result(experiment, *, lift, low, high, p_value):
    treatment = experiment.variants.get(is_control=False)
    Result.objects.create(
        experiment=experiment, metric=experiment.primary_metric, variant=treatment, look=1,
        is_control=False, users=1000, alpha=0.05, lift=lift, lift_ci_low=low, lift_ci_high=high,
        p_value=p_value,
    )  # fmt: skip


@pytest.fixture
def programme(cmo, operator):
    """An objective with two roll-ups (one after the period), a win and a loss concluded in
    November, a win concluded in October, a kill in November and an override."""
    objective = ObjectiveFactory(name="Grow ARR", kpi="ARR", baseline=1000, target=2000)
    for day, realised in ((dt.date(2026, 11, 20), 250.0), (dt.date(2026, 12, 3), 400.0)):
        PortfolioRollup.objects.create(
            computed_on=day, dimension="objective", key=str(objective.pk), label="Grow ARR",
            data={"realised_impact": realised, "realised_impact_shrunk": realised / 2,
                  "forecast_impact": 100.0, "in_flight": 2},
        )  # fmt: skip
    hypothesis = HypothesisFactory(objective=objective)

    def concluded(name, outcome, decision, on, lift):
        experiment = put_in_status(
            ExperimentFactory(owner=operator, hypothesis=hypothesis, name=name),
            "concluded", outcome=outcome, decision=decision, learnings=f"{name} taught us.",
        )  # fmt: skip
        p_value = 0.001 if lift > 0 else 0.04
        with_result(experiment, lift=lift, low=lift - 0.02, high=lift + 0.02, p_value=p_value)
        decided(experiment, "conclude", on, cmo)
        return experiment

    won = concluded("Logo wall", "won", "scale", dt.date(2026, 11, 10), 0.08)
    concluded("Long form", "lost", "abandon", dt.date(2026, 11, 25), -0.03)
    concluded("Old win", "won", "scale", dt.date(2026, 10, 31), 0.05)
    killed = put_in_status(
        ExperimentFactory(owner=operator, hypothesis=hypothesis, name="Broken pixel"),
        "killed", kill_reason="broken_setup", kill_note="Tracking lost half the events.",
    )  # fmt: skip
    decided(killed, "kill", dt.date(2026, 11, 5), cmo)
    StatusChange.objects.filter(experiment=won, step="conclude").update(
        overridden=["verdict"], override_reason="Board asked to ship before the sales kick-off."
    )
    put_in_status(ExperimentFactory(owner=operator, name="Still running"), "running")
    return {"objective": objective, "won": won}


def test_the_pack_reads_the_ledger_as_it_stood_at_the_periods_end(programme):
    content = board_pack_content(START, END)

    [objective] = [o for o in content["objectives"] if o["name"] == "Grow ARR"]
    assert objective["realised_impact"] == 250.0  # the 20 Nov roll-up, not the 3 Dec one
    assert objective["realised_impact_shrunk"] == 125.0
    assert objective["progress"] == pytest.approx(0.25)
    assert objective["forecast_impact"] == 100.0
    assert objective["as_of"] == "2026-11-20"
    # The page's own figure: the KPI's points up to the period's end.
    traces = objective["chart"]["figure"]["data"]
    assert any(trace.get("y") == [1250.0] for trace in traces)


def test_the_pack_lists_wins_losses_and_kills_of_the_period_only(programme):
    decisions = board_pack_content(START, END)["decisions"]

    rows = {row["name"]: row for row in decisions["concluded"]}
    assert set(rows) == {"Logo wall", "Long form"}
    assert (decisions["won"], decisions["lost"], decisions["inconclusive"]) == (1, 1, 0)
    assert rows["Logo wall"]["improvement"] == pytest.approx(0.08)
    assert rows["Logo wall"]["improvement_low"] == pytest.approx(0.06)
    # Shrunk toward the programme's prior: smaller than measured, same sign.
    assert 0 < rows["Logo wall"]["shrunk"] <= 0.08
    assert rows["Long form"]["learnings"] == "Long form taught us."
    assert decisions["killed"] == [
        {
            "id": decisions["killed"][0]["id"],
            "name": "Broken pixel",
            "reason": "Broken set-up or tracking",
            "note": "Tracking lost half the events.",
        }
    ]


def test_the_pack_names_each_override_with_its_reason(programme, cmo):
    [call] = board_pack_content(START, END)["overrides"]
    assert call["experiment"] == "Logo wall"
    assert call["against"] == ["verdict"]
    assert call["reason"] == "Board asked to ship before the sales kick-off."
    assert call["on"] == "2026-11-10"


def test_the_pack_quotes_the_false_win_and_partner_insights_and_what_is_in_flight(programme):
    content = board_pack_content(START, END)

    false_wins = content["insights"]["false-wins"]
    assert false_wins["reading"]
    assert false_wins["data"]["decisions"] == 3  # every concluded test with a p-value
    assert "partners" in content["insights"]
    assert content["in_flight"]["by_status"]["Running"] == 1
    assert [row["name"] for row in content["in_flight"]["running"]] == ["Still running"]


# --- the task ----------------------------------------------------------------------------


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_building_stores_the_content_and_a_pdf_whose_text_matches_the_ledger(programme, cmo):
    report = BoardReport.objects.create(period="month", period_start=START, period_end=END)

    assert board_report_build(report.pk) == "ready"

    report.refresh_from_db()
    assert (report.status, report.progress) == ("ready", 100)
    assert report.content["objectives"][0]["realised_impact"] == 250.0
    text = text_of(bytes(report.pdf))
    assert "Growth programme: November 2026" in text
    assert "Grow ARR" in text
    assert "250" in text and "1,000" in text and "2,000" in text
    assert "Logo wall" in text and "Broken pixel" in text
    assert "Board asked to ship before the sales kick-off." in text


def test_a_retried_task_does_not_build_a_ready_pack_again(programme):
    report = BoardReport.objects.create(period="month", period_start=START, period_end=END)
    board_report_build(report.pk)
    built = BoardReport.objects.get(pk=report.pk)

    assert board_report_build(report.pk) == "ready"

    again = BoardReport.objects.get(pk=report.pk)
    assert again.finished_at == built.finished_at
    assert bytes(again.pdf) == bytes(built.pdf)


def test_a_failed_build_says_why(programme, monkeypatch):
    report = BoardReport.objects.create(period="month", period_start=START, period_end=END)

    def broken(*args, **kwargs):
        raise RuntimeError("the ledger is unreadable")

    monkeypatch.setattr("programme.reports.pack.board_pack_content", broken)
    with pytest.raises(RuntimeError):
        board_report_build(report.pk)

    report.refresh_from_db()
    assert report.status == "failed"
    assert report.error == "RuntimeError: the ledger is unreadable"
    assert report.pdf is None


def test_a_quarters_title_names_the_quarter():
    report = BoardReport(period="quarter", period_start=dt.date(2026, 10, 1))
    assert pack_title(report) == "Growth programme: Q4 2026"


# --- over the API and on the pages ---------------------------------------------------------


def test_asking_for_a_pack_answers_202_and_it_is_built(
    programme, cmo, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cmo).post(
            "/api/v1/reports/", {"period": "month", "ending": "2026-11-15"}, format="json"
        )

    assert response.status_code == 202
    body = response.json()
    assert (body["period_start"], body["period_end"]) == ("2026-11-01", "2026-11-30")
    assert body["status"] == "queued"  # the task is queued once the request has committed
    detail = client_for(cmo).get(f"/api/v1/reports/{body['id']}/").json()
    assert detail["status"] == "ready"  # tasks run in-process in the tests
    assert detail["task_id"]
    assert detail["pdf_url"].endswith(f"/api/v1/reports/{body['id']}/pdf/")
    pdf = client_for(cmo).get(f"/api/v1/reports/{body['id']}/pdf/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert "Logo wall" in text_of(b"".join(pdf.streaming_content) if pdf.streaming else pdf.content)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"period": "week"}, "period"),
        ({}, "period"),
        ({"period": "month", "ending": "2999-01-01"}, "ending"),
        ({"period": "month", "ending": "not a day"}, "ending"),
    ],
)
def test_a_bad_request_names_the_field_and_writes_nothing(cmo, body, field):
    response = client_for(cmo).post("/api/v1/reports/", body, format="json")
    assert response.status_code == 400
    assert field in problem_errors(response)
    assert BoardReport.objects.count() == 0


def test_only_the_cmo_and_analysts_build_packs_and_everyone_reads_them(
    programme, cmo, operator, marketer, analyst, anonymous_api
):
    for user in (operator, marketer):
        response = client_for(user).post("/api/v1/reports/", {"period": "month"}, format="json")
        assert response.status_code == 403
    assert BoardReport.objects.count() == 0
    assert client_for(analyst).post("/api/v1/reports/", {"period": "month"}).status_code == 202
    report = BoardReport.objects.get()
    for user in (cmo, operator, marketer, analyst):
        assert client_for(user).get(f"/api/v1/reports/{report.pk}/").status_code == 200
    assert anonymous_api.get(f"/api/v1/reports/{report.pk}/").status_code == 401


def test_the_pdf_of_a_pack_not_ready_is_refused(cmo):
    report = BoardReport.objects.create(period="month", period_start=START, period_end=END)
    response = client_for(cmo).get(f"/api/v1/reports/{report.pk}/pdf/")
    assert response.status_code == 409
    assert "queued" in response.json()["detail"]


def test_the_pages_list_packs_build_one_and_show_it(
    programme, cmo, client, django_capture_on_commit_callbacks
):
    client.force_login(cmo)
    page = client.get("/reports/")
    assert page.status_code == 200
    assert b"Build the pack" in page.content

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/reports/", {"period": "month", "ending": "2026-11-15"})
    assert response.status_code == 302
    report = BoardReport.objects.get()
    assert report.status == "ready"
    shown = client.get(f"/reports/{report.pk}/").content.decode()
    assert "Growth programme: November 2026" in shown
    assert "Logo wall" in shown and "Board asked to ship before the sales kick-off." in shown
    assert 'id="objective-' in shown  # the page draws the stored figure


def test_the_page_refuses_a_bad_day_and_hides_the_form_from_those_who_cannot_build(
    cmo, marketer, client
):
    client.force_login(cmo)
    response = client.post("/reports/", {"period": "month", "ending": "15/11/2026"})
    assert response.status_code == 400
    assert "Give a day as YYYY-MM-DD." in response.content.decode()
    assert BoardReport.objects.count() == 0
    client.force_login(marketer)
    assert b"Build the pack" not in client.get("/reports/").content
    assert client.post("/reports/", {"period": "month"}).status_code == 403
    assert BoardReport.objects.count() == 0
