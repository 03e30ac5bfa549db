"""End to end in headless Chromium: a marketer logs an idea, an operator scores and triages it,
designs an experiment from it and submits it, and a marketer comments on the experiment.

Every page visited is looked at 1280 and 390 px wide, and saved as a screenshot under
``make screenshots`` (in ``screenshots/``, which git ignores).
"""

import re

import pytest

from analytics.stats import duration_days, sample_size_proportions
from experiments.models import Comment, Experiment, Hypothesis
from tests.experiments.helpers import put_in_status
from tests.factories import (
    ExperimentFactory,
    HypothesisFactory,
    MetricFactory,
    ObjectiveFactory,
    SegmentFactory,
)

from .browser import new_page, shoot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_from_an_idea_to_a_design_in_review(browser, live_server, marketer, operator):
    objective = ObjectiveFactory(name="Grow net new ARR")
    # 600,000 a month: about 20,000 people a day, more than the design below needs.
    segment = SegmentFactory(name="Self-serve trials", monthly_reach=600_000)
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

    assert page.locator("h1 .status-new").inner_text() == "New"
    assert page.locator("h1 #stage").inner_text() == "Awaiting triage"  # where the idea went
    assert "Logged “Pricing page social proof”" in page.locator(".messages").inner_text()
    shoot(page, "hypothesis-detail-new")
    hypothesis = Hypothesis.objects.get(title="Pricing page social proof")
    assert (hypothesis.author, hypothesis.status, hypothesis.impact) == (marketer, "new", 4)
    assert page.locator("#scores form").count() == 0  # marketers do not score

    # The operator scores it inline and moves it to the backlog, without a page load.
    page = new_page(browser)
    sign_in(page, live_server, "operator", at="/hypotheses/?status=new")
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

    # The operator designs an experiment from it; the sample size follows the fields.
    page.goto(f"{live_server.url}/hypotheses/{hypothesis.pk}/")
    page.click("#design-experiment")
    assert page.locator("h1").inner_text() == "Design an experiment"
    assert page.input_value("#id_mde") == "0.05"  # the hypothesis' expected MDE
    shoot(page, "design-new")
    page.fill("#id_baseline", "0.05")
    page.fill("#id_daily_traffic", "1000")
    slow = int(sample_size_proportions(0.05, 0.05))
    page.wait_for_selector(f"#sample-size-per-variant[data-value='{slow}']")
    page.wait_for_selector("#flag-duration.is-flagged")  # over 90 days, said before submit
    assert "more than 90" in page.locator("#flag-duration").inner_text()
    shoot(page, "design-flagged")

    # Raising the MDE fixes it; the flag goes without a reload.
    page.fill("#id_mde", "0.2")
    fast = int(sample_size_proportions(0.05, 0.2))
    days = int(duration_days(fast, 1000))
    page.wait_for_selector(f"#duration-days[data-value='{days}']")
    assert page.locator("#flag-duration.is-flagged").count() == 0
    assert page.locator("#sample-size-per-variant").get_attribute("data-value") == str(fast)
    page.click("button:has-text('Save draft')")
    page.wait_for_url(re.compile(r"/experiments/\d+/edit/$"))
    experiment = Experiment.objects.get(hypothesis=hypothesis)
    assert page.url.endswith(f"/experiments/{experiment.pk}/edit/")
    assert "Saved the draft" in page.locator(".messages").inner_text()
    shoot(page, "design-draft")

    # A third arm whose weight breaks the sum: refused, and everything typed is still there.
    page.click("#add-variant")
    page.fill("#id_variants-2-key", "c")
    page.fill("#id_variants-2-name", "Review score only")
    page.fill("#id_variants-2-weight", "0.2")
    page.click("button:has-text('Submit for review')")
    page.wait_for_selector("#design-errors")
    assert "Weights must sum to 1 (they sum to 1.2)." in page.locator("#variants").inner_text()
    assert page.input_value("#id_variants-2-name") == "Review score only"
    assert page.input_value("#id_mde") == "0.2"
    shoot(page, "design-errors")
    experiment.refresh_from_db()
    assert experiment.status == "draft" and experiment.variants.count() == 2

    # Removing the row fixes it; submit sends the design to review.
    page.locator("[data-variant-row]", has=page.locator("#id_variants-2-key")).locator(
        "[data-remove-variant]"
    ).click()
    page.click("button:has-text('Submit for review')")
    page.wait_for_url(re.compile(r"/experiments/\d+/$"))
    assert page.locator("h1 .badge").inner_text() == "In review"
    assert "Submitted" in page.locator(".messages").inner_text()
    assert page.locator(f"a[href='/hypotheses/{hypothesis.pk}/']").count() >= 1
    assert f"{fast:,} users per variant" in page.locator("dl.facts").inner_text()
    shoot(page, "experiment-in-review")
    experiment.refresh_from_db()
    assert (experiment.status, experiment.mde, experiment.variants.count()) == (
        "in_review",
        0.2,
        2,
    )
    assert not page.console_errors, page.console_errors

    # A marketer comments on the experiment.
    page = new_page(browser)
    sign_in(page, live_server, "marketer", at=f"/experiments/{experiment.pk}/")
    assert page.locator("#edit-design").count() == 0
    page.fill("#id_body", "The sales team can share call notes on pricing objections.")
    page.click("#comment-form button")
    assert "call notes on pricing" in page.locator("#comments").inner_text()
    shoot(page, "experiment-commented")
    assert Comment.objects.get(experiment=experiment).author == marketer
    assert not page.console_errors, page.console_errors


def test_a_marketer_sees_no_triage_and_a_forced_one_is_refused(
    browser, live_server, marketer, cmo, operator
):
    hypothesis = HypothesisFactory(title="Annual plan nudge", status=Hypothesis.Status.NEW)
    draft = ExperimentFactory(owner=operator, name="Annual plan banner")
    page = new_page(browser)
    sign_in(page, live_server, "marketer", at="/hypotheses/")
    assert page.locator("[data-triage]").count() == 0
    assert page.locator(".score-editor").count() == 0
    page.goto(f"{live_server.url}/hypotheses/{hypothesis.pk}/")
    assert page.locator("[data-triage], #design-experiment").count() == 0

    # Forced anyway (with the page's own CSRF token): refused, with the reason.
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"{live_server.url}/hypotheses/{hypothesis.pk}/triage/",
        form={"status": "backlog"},
        headers={"X-CSRFToken": token, "Referer": page.url},
    )
    assert response.status == 403
    assert "Only CMO, Growth operator may move to backlog" in response.text()
    hypothesis.refresh_from_db()
    assert hypothesis.status == Hypothesis.Status.NEW

    # The design pages: refused to the marketer, read-only to the CMO.
    page.goto(f"{live_server.url}/experiments/{draft.pk}/edit/")
    assert page.locator("h1").inner_text() == "Not allowed"
    shoot(page, "design-refused-marketer")
    page = new_page(browser)
    sign_in(page, live_server, "cmo", at=f"/experiments/{draft.pk}/")
    page.click("#read-design")
    assert "only its owner" in page.locator("#read-only").inner_text()
    assert page.locator("#id_name").is_disabled()
    assert page.locator("button:has-text('Submit for review')").count() == 0
    shoot(page, "design-read-only-cmo")
    assert not page.console_errors, page.console_errors
