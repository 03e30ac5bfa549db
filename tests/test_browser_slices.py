"""End to end in headless Chromium: an analyst slices an experiment's results by device on its
page (the table refreshes in place, with the p-values corrected across slices and the
warning), then narrows the days."""

import datetime as dt

import pytest

from analytics.analysis.pipeline import experiments_analyse
from analytics.ingest.observations import observations_ingest
from tests.analytics.helpers import START, running_experiment
from tests.analytics.test_slices import DAY1, _overall_rows, _slice_rows

from .browser import new_page, settle, shoot, sign_in
from .test_browser_polish import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_slicing_the_results_by_device_and_days(browser, live_server, operator, analyst):
    experiment = running_experiment(operator)
    observations_ingest(
        experiment_id=experiment.pk, actor=analyst, rows=_overall_rows() + _slice_rows()
    )
    experiments_analyse([experiment.pk])

    page = new_page(browser)
    sign_in(page, live_server, "analyst", at=f"/experiments/{experiment.pk}/")
    page.wait_for_selector("#slices-form")
    settle(page)
    address = page.url

    page.select_option("#slices-dimension", "device")
    page.wait_for_selector('#slices [data-slice="tablet"]')
    assert page.url == address  # refreshed in place
    rows = page.locator('#slices [data-slices-metric="signups"] tbody tr')
    assert rows.count() == 3 * 2
    assert "3 slices of device" in page.locator("#slices-warning").inner_text()
    assert "Small slices (tablet)" in page.locator("#slices-warning").inner_text()
    corrected = page.locator('#slices tr[data-slice="mobile"][data-variant="b"] [data-p-corrected]')
    assert corrected.inner_text().strip() not in ("", "—")
    shoot(page, "results-by-device")
    assert axe_violations(page) == []

    page.fill("#slices-to", DAY1.isoformat())
    page.locator("#slices-to").dispatch_event("change")
    page.wait_for_function(
        "() => !document.querySelector('#slices [data-slice=\"tablet\"]')"
    )  # tablet has no rows on the first day
    assert page.locator('#slices [data-slice="mobile"]').count() == 2
    assert "to " + f"{DAY1.day} Nov {DAY1.year}" in page.locator("#slices-scope").inner_text()
    assert page.console_errors == []
    assert START < DAY1 < START + dt.timedelta(days=2)
