"""The CMO's cockpit in headless Chromium: the dashboard's objective progress and chart, an
objective set and a segment sunset; an operator reads the strategy pages and a forced write is
refused. Every page visited is saved at 1280 and 390 px (folder printed at the end of the run).
"""

import datetime as dt
import re

import pytest

from experiments.models import Objective, Segment
from tests import cockpit

from ..browser import confirm, new_page, resize, save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shoot(page, name):
    """``tests.browser.shoot``, once every chart is drawn; after a resize, waiting until Plotly
    has redrawn the charts for the new width (it does so on the window's resize event, a moment
    later). At the width the page already has there is nothing to redraw."""
    for width, height in ((1280, 900), (390, 844)):
        page.wait_for_function(CHARTS_DRAWN)
        if page.viewport_size != {"width": width, "height": height}:
            resize(page, width, height)
        save_screenshot(page, f"{name}-{width}")
    resize(page, 1280, 900)


CHARTS_DRAWN = (
    "() => [...document.querySelectorAll('[data-chart]')].every(c => c.hasAttribute('data-drawn'))"
)


@pytest.fixture
def world(cmo, operator, operator2, marketer):
    return cockpit.build(cmo=cmo, operator=operator, operator2=operator2)


def test_the_cmo_reads_progress_sets_an_objective_and_sunsets_a_segment(
    browser, live_server, world
):
    arr = world["arr"]
    page = new_page(browser)
    sign_in(page, live_server, "cmo")

    # The dashboard: the objectives panel arrives with htmx, its chart drawn by Plotly.
    card = page.locator(f"[data-objective='{arr.pk}']")
    card.wait_for()
    assert "Realised 4 %" in card.inner_text()
    assert "1,020,000" in card.locator(".kpi-now").inner_text()
    assert card.locator("progress.realised").get_attribute("value") == "0.040000"
    page.wait_for_selector(f"#objective-{arr.pk}-progress[data-drawn] .main-svg")
    assert card.locator(".scatterlayer .trace").count() == 4  # realised, forecast, target, baseline
    page.wait_for_selector("#dashboard-programme #win-rate")
    awaiting = page.locator("#awaiting")
    assert awaiting.locator("li").first.inner_text().startswith("Shorter sign-up form")
    shoot(page, "cockpit-dashboard-cmo")

    # The objective's own page: its ledger, the chart and each experiment's impact.
    card.locator(f"a[href='/objectives/{arr.pk}/']").first.click()
    page.wait_for_selector(f"#objective-{arr.pk}-progress[data-drawn] .main-svg")
    row = page.locator(f"#ledger-experiments tr[data-experiment='{world['scaled'].pk}']")
    assert row.locator(".realised").inner_text().startswith("€20,000")
    # Measured beside estimated, and the forecast read two ways.
    assert page.locator("#standing-figures [data-figure='estimated'] .figure").inner_text() == (
        "€1,020,000"
    )
    assert "If every test in flight won at its MDE: +€60,000" in page.inner_text(
        "#forecast-reading"
    )
    shoot(page, "cockpit-objective")

    # A new objective: refused first (target = baseline), with what was typed kept.
    page.click("nav >> text=Strategy")
    page.click("nav >> text=Objectives")
    shoot(page, "cockpit-objectives-cmo")
    page.click("#new-objective")
    page.fill("#id_name", "Lower blended CAC")
    page.fill("#id_kpi", "Blended CAC")
    page.fill("#id_baseline", "420")
    page.fill("#id_target", "420")
    page.fill("#id_target_date", (dt.date.today() + dt.timedelta(days=365)).isoformat())
    with page.expect_navigation():
        page.click("button:has-text('Set objective')")
    assert (
        "The target must differ from the baseline." in page.locator("#objective-form").inner_text()
    )
    assert page.input_value("#id_name") == "Lower blended CAC"
    shoot(page, "cockpit-objective-form-errors")
    page.fill("#id_target", "350")
    page.click("button:has-text('Set objective')")
    page.wait_for_url(re.compile(r"/objectives/\d+/$"))
    assert "Objective “Lower blended CAC” set." in page.locator(".messages").inner_text()
    objective = Objective.objects.get(name="Lower blended CAC")
    assert (objective.baseline, objective.target) == (420, 350)

    # Sunset a segment after the confirmation.
    page.click("nav >> text=Strategy")
    page.click("nav >> text=Segments")
    freelancers = world["freelancers"]
    page.locator(f"tr[data-segment='{freelancers.pk}'] button:has-text('Sunset')").click()
    with page.expect_navigation():
        assert confirm(page).startswith("Sunset “Freelancers”?")
    assert "Sunset “Freelancers”." in page.locator(".messages").inner_text()
    assert "Sunset" in page.locator(f"tr[data-segment='{freelancers.pk}'] .badge").inner_text()
    shoot(page, "cockpit-segments-cmo")
    freelancers.refresh_from_db()
    assert freelancers.status == Segment.Status.SUNSET

    page.goto(f"{live_server.url}/segments/{world['self_serve'].pk}/")
    page.wait_for_selector(f"#segment-{world['self_serve'].pk}-economics[data-drawn] .main-svg")
    shoot(page, "cockpit-segment")
    assert not page.console_errors, page.console_errors


def test_an_operator_reads_the_strategy_pages_and_cannot_write(browser, live_server, world):
    page = new_page(browser)
    sign_in(page, live_server, "operator")
    page.locator("#mine .next-step").first.wait_for()
    assert "Next:" in page.locator("#mine").inner_text()
    page.wait_for_selector(f"#objective-{world['arr'].pk}-progress[data-drawn]")
    shoot(page, "cockpit-dashboard-operator")

    for link, name in [("Objectives", "objectives"), ("Segments", "segments"), ("Team", "team")]:
        page.click("nav >> text=Strategy")
        page.click(f"nav >> text={link}")
        page.wait_for_selector("h1")
        text = page.locator("main").inner_text()
        for write in ("New objective", "Launch a segment", "Archive", "Launch again"):
            assert write not in text
        assert page.locator("main form[method=post]").count() == 0
        shoot(page, f"cockpit-{name}-operator")
    assert "pricing tests" in page.locator("#operators").inner_text()

    page.click("nav >> text=Learnings")
    page.fill("#id_q", "trust")
    page.wait_for_selector("#learning-results .learning-card")
    assert "Logos on the checkout page too" in page.locator("#learning-results").inner_text()
    shoot(page, "cockpit-learnings")

    assert not page.console_errors, page.console_errors

    # Forced anyway, with the page's own CSRF token: refused with the reason, nothing changed.
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    segment = world["freelancers"]
    response = page.request.post(
        f"{live_server.url}/segments/{segment.pk}/sunset/",
        headers={"X-CSRFToken": token, "Referer": page.url},
    )
    assert response.status == 403
    assert "Only CMO may launch and sunset segments" in response.text()
    segment.refresh_from_db()
    assert segment.status == Segment.Status.ACTIVE
    page.goto(f"{live_server.url}/objectives/new/")
    assert page.locator("h1").inner_text() == "Not allowed"
    assert "Only CMO may create and edit objectives" in page.locator("#refusal").inner_text()


def test_an_analyst_records_the_kpi_and_reads_the_holdout(
    browser, live_server, world, cmo, analyst
):
    import datetime as dt

    from django.utils import timezone

    from programme.holdouts import holdout_create, holdout_data_ingest

    today = timezone.localdate()
    holdout = holdout_create(
        actor=cmo, name="Self-serve holdout", segment=world["self_serve"], share=0.05,
        started_on=today - dt.timedelta(days=20), objective=world["arr"],
    )  # fmt: skip
    rows = []
    for back in range(14, 0, -1):
        day = (today - dt.timedelta(days=back)).isoformat()
        rows += [
            {"date": day, "group": "holdout", "users": 500, "conversions": 50 + back % 3},
            {"date": day, "group": "exposed", "users": 9500, "conversions": 1040 + back % 5},
        ]
    holdout_data_ingest(holdout_id=holdout.pk, actor=cmo, rows=rows)
    page = new_page(browser)
    sign_in(page, live_server, "analyst", at=f"/objectives/{world['arr'].pk}/")
    page.fill("#id_value", "1031000")
    page.click("#measure-form button[type=submit]")
    page.wait_for_selector("#standing-figures")
    measured = page.locator("#standing-figures [data-figure='measured'] .figure").inner_text()
    assert measured == "€1,031,000"
    unexplained = "#standing-figures [data-figure='unexplained_movement'] .figure"
    assert page.locator(unexplained).inner_text() == "+€11,000"
    shoot(page, "measured-objective-analyst")

    page.click("nav >> text=Strategy")
    page.click("nav >> text=Holdouts")
    page.click("text=Self-serve holdout")
    page.wait_for_selector(f"#holdout-{holdout.pk}-lift[data-drawn] .main-svg")
    assert page.locator("#measured-lift").inner_text().startswith("+")
    assert page.locator("#holdout-upload").count() == 1
    shoot(page, "measured-holdout-analyst")


def test_the_cmo_edits_a_team_and_an_operators_capacity_on_the_team_page(
    browser, live_server, world
):
    from roles.models import AuditEntry, OperatorProfile

    page = new_page(browser)
    sign_in(page, live_server, "cmo", at="/team/")
    page.wait_for_selector("h1")
    shoot(page, "cockpit-team-cmo")
    profile = OperatorProfile.objects.get(user__username="operator")
    page.click(f"a[href='/team/operators/{profile.pk}/']")
    page.wait_for_selector("#operator-form")
    page.fill("#id_capacity", "0")
    page.click("#operator-form button[type=submit]")
    page.wait_for_selector("#id_capacity_errors")
    shoot(page, "cockpit-operator-form-errors")
    page.fill("#id_capacity", "1")
    page.click("#operator-form button[type=submit]")
    page.wait_for_selector(".messages")
    assert "profile saved" in page.locator(".messages").inner_text()
    assert "over capacity" in page.locator(f"[data-operator='{profile.user_id}']").inner_text()
    shoot(page, "cockpit-team-cmo-saved")
    profile.refresh_from_db()
    assert profile.capacity == 1
    assert AuditEntry.objects.get(subject="operator").changes["capacity"][1] == 1
    assert not page.console_errors, page.console_errors
