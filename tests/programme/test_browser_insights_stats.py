"""In headless Chromium: the CMO reads the calibration, false-wins and partners pages (charts
drawn, no console or CSP error) and records an experiment's cost from its page.

Under ``make screenshots``, screenshots at 1280 and 390 px go to ``screenshots/``.
"""

import datetime as dt
from decimal import Decimal

import pytest

from experiments.models import Experiment, SegmentEconomics
from programme.insights.run import insights_run
from roles.models import Channel
from tests.factories import HypothesisFactory, PartnerFactory, SegmentFactory, TeamFactory
from tests.programme.insights_stats_setup import TODAY, concluded, scored

from ..browser import new_page, save_screenshot, shoot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def programme(operator, operator2):
    """Nine concluded experiments over two channels, two scorers, an agency and a team."""
    smb = TeamFactory(name="SMB tiger team")
    segment = SegmentFactory(name="Self-serve trials", owner_team=smb)
    SegmentEconomics.objects.create(
        segment=segment, period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 3, 31),
        customers_acquired=100, customer_value=Decimal(30_000), acquisition_cost=Decimal(9_000),
    )  # fmt: skip
    plan = [
        # (impact, confidence, ease, channel, lift, p, outcome, decision, recommendation, agency)
        (8, 8, 7, Channel.EMAIL, 0.09, 0.001, "won", "scale", "scale", ""),
        (7, 9, 8, Channel.WEB, 0.06, 0.03, "won", "scale", "iterate", "Northwind"),
        (3, 4, 5, Channel.WEB, -0.03, 0.2, "inconclusive", "abandon", "abandon", ""),
        (6, 8, 6, Channel.EMAIL, 0.04, 0.09, "won", "scale", "scale", "Northwind"),
        (4, 9, 3, Channel.WEB, 0.0, 0.9, "inconclusive", "iterate", "scale", ""),
        (9, 7, 8, Channel.EMAIL, 0.11, 0.0005, "won", "scale", "scale", ""),
        (5, 5, 5, Channel.WEB, -0.05, 0.01, "lost", "abandon", "abandon", "Northwind"),
        (6, 6, 7, Channel.EMAIL, 0.02, 0.4, "inconclusive", "iterate", "iterate", ""),
        (8, 9, 9, Channel.WEB, 0.07, 0.004, "won", "scale", "scale", ""),
    ]
    for n, (i, c, e, channel, lift, p, outcome, decision, recommendation, agency) in enumerate(
        plan
    ):
        hypothesis = scored(i, c, e, channel)
        hypothesis.segment = segment
        hypothesis.scored_by = operator2 if c >= 8 else operator
        hypothesis.save()
        concluded(
            operator, hypothesis=hypothesis, lift=lift, p=p, outcome=outcome, decision=decision,
            recommendation=recommendation, concluded_on=dt.date(2026, 1, 5) + dt.timedelta(days=9 * n),
            se=0.03, build_cost=Decimal(4_000 + 1_000 * n), media_cost=Decimal(2_000),
            executed_by="agency" if agency else "in_house",
            partner=PartnerFactory(name=agency) if agency else None,
        )  # fmt: skip
    HypothesisFactory(title="Idea worth a second look", impact=8, confidence=2, ease=8)
    insights_run(names=["calibration", "false-wins", "partners"], today=TODAY)


@pytest.mark.parametrize(
    ("name", "charts"),
    [
        ("calibration", ["calibration-bands", "calibration-scatter", "calibration-confidence"]),
        ("false-wins", ["false-wins-stream", "false-wins-totals"]),
        ("partners", ["partners-value"]),
    ],
)
def test_the_cmo_reads_each_insight(browser, live_server, cmo, programme, name, charts):
    page = new_page(browser)
    sign_in(page, live_server, "cmo")
    # Each width loads the page afresh, as a phone would: Plotly sizes a chart when drawing it.
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/insights/{name}/")
        for chart in charts:
            page.wait_for_selector(f"#{chart} .main-svg")  # drawn by Plotly from the page's JSON
        assert page.locator("#reading").inner_text().startswith("Reading.")
        # Nothing wider than the screen: tables scroll inside their card.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        save_screenshot(page, f"insight-{name}-{width}")
    if name == "calibration":
        page.set_viewport_size({"width": 1280, "height": 900})
        page.click("#calibrated-backlog")
        page.wait_for_selector("[data-score=calibrated]")
        assert page.input_value("#id_sort") == "calibrated"
        shoot(page, "backlog-calibrated")
    assert page.console_errors == []


def test_the_owner_records_the_cost_in_place(browser, live_server, operator, programme):
    experiment = Experiment.objects.filter(owner=operator).order_by("pk").first()
    page = new_page(browser)
    sign_in(page, live_server, "operator", at=f"/experiments/{experiment.pk}/")
    # More digits than a cost may have: the browser lets it through, the server refuses it.
    page.fill("#id_cost_build_cost", "12345678901234")
    page.click("#cost-form button[type=submit]")
    page.wait_for_selector("#cost-form .invalid-feedback")
    assert page.input_value("#id_cost_build_cost") == "12345678901234"
    shoot(page, "experiment-cost-refused")
    page.fill("#id_cost_build_cost", "12500")
    page.click("#cost-form button[type=submit]")
    page.wait_for_selector("#cost-form >> text=Cost recorded.")
    shoot(page, "experiment-cost-recorded")
    experiment.refresh_from_db()
    assert experiment.build_cost == Decimal("12500.00")
    assert page.console_errors == []
