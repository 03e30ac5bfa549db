"""End to end in headless Chromium: sign in, review an experiment, upload its data."""

import pytest

from experiments.models import StatusChange
from tests.analytics.helpers import running_experiment
from tests.browser import (
    confirm,
    new_page,
    save_screenshot,
    settle,
    sign_in,
    sign_in_through_the_form,
)
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser):
    return new_page(browser)


def test_the_cmo_approves_an_experiment_in_the_browser(page, live_server, cmo, operator):
    experiment = put_in_status(ExperimentFactory(owner=operator, name="Logo wall"), "in_review")
    sign_in_through_the_form(page, live_server, "cmo")

    page.click("text=Logo wall")
    page.locator("form[data-step=approve] button").click()

    assert "Approved — " in page.locator(".messages").inner_text()
    assert page.locator("h1 .badge").inner_text() == "Approved"
    experiment.refresh_from_db()
    assert experiment.status == "approved"
    assert StatusChange.objects.get(experiment=experiment).actor == cmo


def test_a_refused_kill_explains_itself(page, live_server, cmo, operator):
    running_experiment(operator, name="Short form")
    sign_in(page, live_server, "cmo")
    page.click("nav >> text=Experiments")
    page.click("text=Short form")
    page.locator("form[data-step=kill] button").click()
    assert confirm(page) == "Kill “Short form”? This cannot be undone."
    # The page comes back with the form as it was, the reasons beside its fields.
    page.wait_for_selector("form[data-step=kill] .invalid-feedback")
    problems = page.locator("form[data-step=kill] .invalid-feedback").all_inner_texts()
    assert problems[0].startswith("Choose a reason") and problems[1].startswith("Say why")
    assert page.locator("h1 .badge").inner_text() == "Running"


def test_an_analyst_uploads_a_csv_and_sees_results(page, live_server, analyst, operator, tmp_path):
    experiment = running_experiment(operator, name="Logo wall")
    csv = tmp_path / "day.csv"
    csv.write_text(
        "date,variant,metric,users,conversions,sum,sum_squares\n"
        "2026-11-02,control,signups,1000,100,,\n2026-11-02,b,signups,1000,130,,\n"
    )
    sign_in(page, live_server, "analyst", at=f"/experiments/{experiment.pk}/")
    page.set_input_files("#upload-form input[type=file]", str(csv))
    page.click("#upload-form button")

    assert "Saved 2 rows" in page.locator(".messages").inner_text()
    row = page.locator("#results tbody tr").nth(1).inner_text()
    assert "+30.0%" in row and "significant" in row
    save_screenshot(page, "results")


def test_pages_load_without_browser_errors(page, live_server, cmo, operator):
    """No Content-Security-Policy violation, missing asset or script error on the main pages."""
    experiment = running_experiment(operator, name="Logo wall")
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))

    sign_in_through_the_form(page, live_server, "cmo")  # the sign-in page is checked too
    page.goto(f"{live_server.url}/experiments/{experiment.pk}/")
    page.wait_for_selector("#results-panel >> text=No results yet")  # loaded by htmx
    page.goto(f"{live_server.url}/notifications/")
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock")
    page.click("#back-to-app")
    assert page.locator("h1").inner_text() == "Growth programme"
    # The dashboard loads its panels with htmx: let them finish, so that no request is still
    # being served when the test's database is emptied.
    settle(page)

    assert errors == []
