"""The insights machinery: one roll-up stores each report; pages and the API read it."""

from pathlib import Path

import pytest
from django.test import Client

from programme.charts.insights import INSIGHT_CHARTS
from programme.insights import INSIGHTS, Insight
from programme.insights.run import insight_report, insights_run
from programme.models import InsightReport
from tests.factories import ExperimentFactory

pytestmark = pytest.mark.django_db


def _count_experiments(history):
    frame = history.experiments
    return {"experiments": len(frame), "reading": f"{len(frame)} experiments so far."}


@pytest.fixture
def counting_insight(monkeypatch):
    insight = Insight(
        name="counting",
        title="Counting",
        question="How many experiments are there?",
        compute=_count_experiments,
    )
    monkeypatch.setitem(INSIGHTS, insight.name, insight)
    return insight


def test_roll_up_stores_each_report_and_replaces_it(counting_insight, operator):
    ExperimentFactory.create_batch(2, owner=operator)
    seconds = insights_run(names=["counting"])
    assert set(seconds) == {"counting"} and seconds["counting"] >= 0
    assert InsightReport.objects.get(name="counting").data["experiments"] == 2

    ExperimentFactory(owner=operator)
    insights_run(names=["counting"])
    assert InsightReport.objects.filter(name="counting").count() == 1
    assert InsightReport.objects.get(name="counting").data["experiments"] == 3


def test_unknown_insight_is_refused_before_anything_is_written(counting_insight):
    with pytest.raises(ValueError, match="Unknown insight"):
        insights_run(names=["counting", "astrology"])
    assert not InsightReport.objects.exists()


def test_report_is_computed_on_first_read_then_read_from_storage(counting_insight, operator):
    ExperimentFactory(owner=operator)
    assert insight_report("counting").data["experiments"] == 1
    ExperimentFactory(owner=operator)
    assert insight_report("counting").data["experiments"] == 1  # the stored one, until re-run


def test_pages_show_the_stored_reading(counting_insight, marketer, operator):
    ExperimentFactory(owner=operator)
    client = Client()
    client.force_login(marketer)
    index = client.get("/insights/")
    assert index.status_code == 200
    assert "Not computed yet" in index.content.decode()

    detail = client.get("/insights/counting/")
    assert detail.status_code == 200
    assert "1 experiments so far." in detail.content.decode()
    assert "1 experiments so far." in client.get("/insights/").content.decode()
    assert client.get("/insights/astrology/").status_code == 404


def test_pages_need_a_signed_in_user(counting_insight):
    response = Client().get("/insights/counting/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not InsightReport.objects.exists()


def test_every_insight_has_its_charts_and_no_insight_imports_a_chart():
    assert set(INSIGHT_CHARTS) == set(INSIGHTS)
    insights = Path(__file__).parents[2] / "programme" / "insights"
    chart_imports = [
        f"{path.name}: {line.strip()}"
        for path in sorted(insights.glob("*.py"))
        for line in path.read_text().splitlines()
        if line.lstrip().startswith(("from ", "import ")) and "charts" in line
    ]
    assert chart_imports == []
