"""End to end in headless Chromium: a marketer logs an idea, an operator scores and triages it.

Every page visited is saved as a screenshot at 1280 and 390 px wide; the folder is printed at
the end of the run (``GROWTHOPS_SCREENSHOTS`` or ``screenshots/``, which git ignores).
"""

import re

import pytest

from experiments.models import Hypothesis
from tests.experiments.helpers import put_in_status
from tests.factories import (
    ExperimentFactory,
    HypothesisFactory,
    MetricFactory,
    ObjectiveFactory,
    SegmentFactory,
)

from .conftest import screenshot_dir

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def new_page(browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("dialog", lambda dialog: dialog.accept())
    errors = []
    page.on(
        "console",
        lambda m: (
            errors.append(
                f"{m.text} at {m.location['url']}:{m.location['lineNumber']} on {page.url}"
            )
            if m.type == "error"
            else None
        ),
    )
    page.console_errors = errors
    return page


def shoot(page, name):
    """Save the page at desktop and phone width."""
    folder = screenshot_dir()
    page.screenshot(path=str(folder / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(folder / f"{name}-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-only")
    page.click("button[type=submit]")
    assert page.locator("h1").inner_text() == "Growth programme"


def test_a_marketer_logs_an_idea_and_an_operator_scores_and_triages_it(
    browser, live_server, marketer, operator
):
    objective = ObjectiveFactory(name="Grow net new ARR")
    segment = SegmentFactory(name="Self-serve trials")
    metric = MetricFactory(key="signup_conversion", name="Sign-up conversion")
    HypothesisFactory(title="Social proof on the pricing page", author=operator)
    put_in_status(
        ExperimentFactory(name="Pricing page customer logos"),
        "concluded",
        outcome="won",
        learnings="Logos lifted sign-ups by 6 %.",
    )

    # The marketer logs the idea and sees what was tried before.
    page = new_page(browser)
    sign_in(page, live_server, "marketer")
    shoot(page, "dashboard-marketer")
    page.click("nav >> text=Backlog")
    shoot(page, "backlog-marketer")
    page.click("text=Log a hypothesis")
    page.type("#id_title", "Pricing page social proof", delay=20)
    similar = page.locator("#similar")
    similar.get_by_text("Social proof on the pricing page").wait_for()
    assert "Pricing page customer logos" in similar.inner_text()
    shoot(page, "hypothesis-form-similar")

    page.click("button:has-text('Log hypothesis')")  # nothing else filled in yet
    assert page.locator("#id_observation.is-invalid").count() == 1
    assert page.input_value("#id_title") == "Pricing page social proof"
    shoot(page, "hypothesis-form-errors")

    page.fill("#id_observation", "visitors hesitate on the pricing page for over a minute")
    page.fill("#id_change", "customer logos and a review score next to the plans")
    page.select_option("#id_segment", str(segment.pk))
    page.fill("#id_effect", "more sign-ups")
    page.select_option("#id_metric", str(metric.pk))
    page.fill("#id_expected_mde", "0.05")
    page.select_option("#id_channel", "web")
    page.select_option("#id_objective", str(objective.pk))
    page.fill("#id_impact", "4")
    page.click("button:has-text('Log hypothesis')")

    assert page.locator("h1 .badge").inner_text() == "New"
    assert "Logged “Pricing page social proof”" in page.locator(".messages").inner_text()
    shoot(page, "hypothesis-detail-new")
    hypothesis = Hypothesis.objects.get(title="Pricing page social proof")
    assert (hypothesis.author, hypothesis.status, hypothesis.impact) == (marketer, "new", 4)
    assert page.locator("#scores form").count() == 0  # marketers do not score

    # The operator scores it inline and moves it to the backlog, without a page load.
    page = new_page(browser)
    sign_in(page, live_server, "operator")
    page.goto(f"{live_server.url}/hypotheses/?status=new")
    row = page.locator(f"#hypothesis-{hypothesis.pk}")
    row.locator("summary:has-text('Score')").click()
    shoot(page, "backlog-operator-scoring")
    row.locator("input[name=impact]").fill("9")
    row.locator("input[name=confidence]").fill("8")
    row.locator("input[name=ease]").fill("7")
    loads = []
    page.on("load", lambda _: loads.append(1))
    row.locator("button:has-text('Save score')").click()
    # wait_for_function would evaluate a string, which the CSP (no 'unsafe-eval') refuses.
    page.wait_for_selector(f"#hypothesis-{hypothesis.pk} [data-score=ice]:text-is('8.0')")
    row.locator("button:has-text('To backlog')").click()
    page.wait_for_selector(f"#hypothesis-{hypothesis.pk}[data-status=backlog]")
    assert loads == []  # swapped in place by htmx, no page load
    shoot(page, "backlog-operator-triaged")

    hypothesis.refresh_from_db()
    assert (hypothesis.impact, hypothesis.confidence, hypothesis.ease) == (9, 8, 7)
    assert hypothesis.scored_by == operator and hypothesis.status == "backlog"

    page.goto(f"{live_server.url}/hypotheses/?view=board")
    assert "Pricing page social proof" in page.locator("[data-column=backlog]").inner_text()
    shoot(page, "backlog-board")
    page.goto(f"{live_server.url}/hypotheses/{hypothesis.pk}/")
    assert re.search(r"Scored by Omar on", page.locator("#scored-by").inner_text())
    shoot(page, "hypothesis-detail-scored")
    page.click("nav >> text=Experiments")
    shoot(page, "experiment-list")
    page.fill("#global-search", "pricing")
    page.press("#global-search", "Enter")
    assert "Social proof on the pricing page" in page.locator("#search-results").inner_text()
    shoot(page, "search")
    assert not page.console_errors, page.console_errors
