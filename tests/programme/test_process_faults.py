"""The process-faults insight, counted by hand on constructed post-mortems."""

import pytest
from django.utils import timezone

from programme.charts.insights import insight_charts
from programme.insights.faults import compute, in_words
from programme.insights.history import ProgrammeHistory
from programme.models import Postmortem
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory

pytestmark = pytest.mark.django_db


def postmortem(decision, faults=(), cause=""):
    status = "killed" if decision == "killed" else "concluded"
    experiment = put_in_status(ExperimentFactory(), status)
    flags = {f"fault_{f}": True for f in faults}
    return Postmortem.objects.create(
        experiment=experiment, due_date=timezone.localdate(), decision=decision, cause=cause,
        **flags,
    )  # fmt: skip


def computed():
    return compute(ProgrammeHistory(today=timezone.localdate()))


def test_it_counts_faults_per_decision_and_reads_a_third_of_kills(db):
    # Six kills: two data alone, one data + timing, one design, one none, one not said yet.
    for faults in (["data"], ["data"], ["data", "timing"], ["design"], ["none"], []):
        postmortem("killed", faults, cause="measurement" if "data" in faults else "")
    # Three scales: design, none, none; one iterate: partner.
    for faults in (["design"], ["none"], ["none"]):
        postmortem("scale", faults, cause="idea_held")
    postmortem("iterate", ["partner", "execution"], cause="execution")

    data = computed()

    assert (data["postmortems"], data["with_faults"]) == (10, 9)
    counts = {row["fault"]: (row["count"], row["share"]) for row in data["faults"]}
    assert counts == {
        "design": (2, round(2 / 9, 4)),
        "data": (3, round(3 / 9, 4)),
        "execution": (1, round(1 / 9, 4)),
        "timing": (1, round(1 / 9, 4)),
        "partner": (1, round(1 / 9, 4)),
        "none": (3, round(3 / 9, 4)),
    }
    kills = data["by_decision"][0]
    assert (kills["decision"], kills["count"]) == ("killed", 5)
    assert kills["faults"] == {
        "design": 1, "data": 3, "execution": 0, "timing": 1, "partner": 0, "none": 1,
    }  # fmt: skip
    assert [(g["decision"], g["count"]) for g in data["by_decision"]] == [
        ("killed", 5), ("scale", 3), ("iterate", 1), ("abandon", 0),
    ]  # fmt: skip
    assert {row["cause"]: row["count"] for row in data["causes"]} == {
        "measurement": 3, "idea_held": 3, "execution": 1,
    }  # fmt: skip
    # 3 of 5 kills is 60 %: no familiar fraction within 3 points.
    assert data["reading"] == (
        "60% of kills (3 of 5) were data problems. Across 9 post-mortems that name their "
        "faults, the most common is data (3, 33%); 3 found none."
    )
    [chart] = insight_charts("process-faults", data)
    assert [trace.name for trace in chart.figure.data] == [
        "Kills", "Scales", "Iterations", "Abandons",
    ]  # fmt: skip
    assert list(chart.figure.data[0].y) == [1, 3, 0, 1, 0]  # kills: design, data, …, partner


def test_a_third_of_kills_is_said_in_words(db):
    for faults in (["data"], ["design"], ["timing"]):
        postmortem("killed", faults)

    assert computed()["reading"].startswith("A third of kills (1 of 3) were design problems.")


def test_with_no_faults_named_it_says_what_to_do(db):
    postmortem("killed")

    data = computed()

    assert data["with_faults"] == 0
    assert data["reading"].startswith("1 post-mortems, none naming its process faults yet")
    assert insight_charts("process-faults", data) == []


@pytest.mark.parametrize(
    ("count", "total", "words"),
    [(1, 3, "a third"), (1, 4, "a quarter"), (2, 4, "half"), (2, 3, "two thirds"),
     (3, 3, "all"), (3, 5, "60%"), (1, 10, "10%")],
)  # fmt: skip
def test_shares_in_words(count, total, words):
    assert in_words(count, total) == words


def test_a_decision_with_fewer_than_three_does_not_lead(db):
    postmortem("killed", ["data"])
    for faults in (["design"], ["none"], ["none"]):
        postmortem("scale", faults)

    assert computed()["reading"] == (
        "A third of scales (1 of 3) were design problems. Across 4 post-mortems that name their "
        "faults, the most common is design (1, 25%); 2 found none."
    )


def test_the_page_and_the_api_show_it(client, marketer, cmo):
    for _ in range(3):
        postmortem("killed", ["data"])
    client.force_login(marketer)

    page = client.get("/insights/process-faults/")
    assert page.status_code == 200
    assert "All kills (3 of 3) were data problems." in page.content.decode()
    client.force_login(cmo)
    api = client.get("/api/v1/insights/process-faults/")
    assert api.status_code == 200
    assert api.json()["data"]["faults"][1] == {
        "fault": "data", "label": "Data", "count": 3, "share": 1.0,
    }  # fmt: skip
