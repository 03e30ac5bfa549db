"""The capacity, bottleneck and re-check insights in headless Chromium, on the demo programme,
at 1280 and 390 px (screenshots in the folder printed at the end of the run)."""

import pytest

from roles.models import User

from ..browser import PASSWORD, new_page, resize, save_screenshot, shoot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shoot_with_charts(page, name):
    """As ``shoot``, but the phone-width picture waits for Plotly to redraw at that width."""
    save_screenshot(page, f"{name}-1280")
    resize(page, 390, 844)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    save_screenshot(page, f"{name}-390")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_cmo_reads_capacity_bottlenecks_and_rechecks(browser, live_server, demo_for_test):
    cmo = User.objects.get(username="cmo")
    # A password of its own: the demo's is refused while DEBUG is off.
    cmo.set_password(PASSWORD)
    cmo.is_demo = False
    cmo.save()

    page = new_page(browser)
    sign_in(page, live_server, "cmo", at="/insights/")
    for title in ("Segment traffic capacity", "Cycle-time bottlenecks", "Post-ship re-checks"):
        assert page.get_by_role("link", name=title).count() == 1
    shoot(page, "insights-index")

    page.goto(f"{live_server.url}/insights/capacity/")
    page.wait_for_selector("#capacity-segments")
    page.locator(".js-plotly-plot").first.wait_for()
    assert "designed experiment" in page.inner_text("#reading")
    assert page.locator("#capacity-segments tbody tr").count() >= 5
    _shoot_with_charts(page, "insight-capacity")

    page.goto(f"{live_server.url}/insights/bottlenecks/")
    page.locator("#bottleneck-stages .js-plotly-plot, .js-plotly-plot").first.wait_for()
    assert "Ideas spend longest" in page.inner_text("#reading")
    assert page.locator("#overdue-decisions tbody tr").count() == 2
    # The two operators, and Brightline's person, who ran the agency's past tests (demo).
    assert page.locator("#stages-by-operator tbody tr").count() == 3
    _shoot_with_charts(page, "insight-bottlenecks")

    page.goto(f"{live_server.url}/insights/rechecks/")
    page.locator(".js-plotly-plot").first.wait_for()
    assert "shipped winners re-checked" in page.inner_text("#reading")
    assert page.locator("#recheck-table .badge", has_text="Faded").count() >= 1
    _shoot_with_charts(page, "insight-rechecks")
    assert page.console_errors == []
