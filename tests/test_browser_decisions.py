"""Decision discipline in headless Chromium (docs/decisions.md): an operator designs from a
template, tries to complete the test early and must give a reason; the CMO sees that override
in the approval queue and concludes against the verdict with a reason. Every page visited is
saved at 1280 and 390 px (folder printed at the end of the run)."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from analytics.analysis.pipeline import experiments_analyse
from analytics.ingest.observations import observations_ingest
from experiments import services
from experiments.lifecycle import experiment_approve, experiment_start
from experiments.models import Experiment, StatusChange
from tests.analytics.helpers import START, binomial_rows
from tests.browser import new_page, settle, sign_in
from tests.browser import shoot as shoot_at_both_widths
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory, HypothesisFactory, MetricFactory, SegmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shoot(page, name):
    """From the top: the sticky top bar would otherwise sit in the middle of a full page."""
    page.evaluate("window.scrollTo(0, 0)")
    shoot_at_both_widths(page, name)


@pytest.fixture
def world(cmo, operator, analyst, marketer):
    signups = MetricFactory(key="signups", name="Sign-ups")
    unsubscribes = MetricFactory(key="unsubscribes", name="Unsubscribes", direction="lower")
    segment = SegmentFactory(name="Self-serve trials", monthly_reach=300_000)
    # A past test in the segment, whose control arm gives the baseline and its days the traffic.
    past = ExperimentFactory(segment=segment, primary_metric=signups, name="Older test")
    put_in_status(past, "running", start_date=START)
    for day in (1, 2):
        rows = binomial_rows(
            (START + dt.timedelta(days=day)).isoformat(), (1_000, 100), (1_000, 110)
        )
        observations_ingest(experiment_id=past.pk, actor=analyst, rows=rows)
    template = services.template_create(
        actor=cmo,
        name="Landing page",
        kind="landing_page",
        primary_metric=signups,
        guardrail_metrics=[unsubscribes],
        mde=0.1,
        min_run_weeks=2,
        locked_fields=["alpha", "power", "min_run_weeks", "guardrail_metrics"],
    )
    hypothesis = HypothesisFactory(
        author=marketer,
        title="Customer logos on the sign-up page",
        segment=segment,
        metric=signups,
        status="backlog",
    )
    return {"template": template, "hypothesis": hypothesis, "analyst": analyst}


def test_an_early_call_and_a_call_against_the_verdict_each_take_a_reason(
    browser, live_server, world, cmo, operator
):
    template, hypothesis = world["template"], world["hypothesis"]
    page = new_page(browser)
    # The operator designs from the template: its protocol filled in, the locked fields shown.
    sign_in(page, live_server, "operator", at=f"/hypotheses/{hypothesis.pk}/design/")
    page.select_option("#id_template_choice", str(template.pk))
    page.click("#template-choice button")
    page.wait_for_selector("#from-template")
    assert page.is_disabled("#id_alpha") and page.is_disabled("#id_min_run_weeks")
    assert page.input_value("#id_min_run_weeks") == "2"
    assert "Locked by the template “Landing page”." in page.locator("#sample").inner_text()
    # Baseline and traffic from the older test in the segment, saying so.
    assert page.input_value("#id_baseline") == "0.1"
    assert page.input_value("#id_daily_traffic") == "2000"
    assert (
        "The control arms of the 1 latest experiment"
        in page.locator("[data-source=baseline]").inner_text()
    )
    # Another baseline typed: the suggestion offers its value back, and puts it in.
    page.fill("#id_baseline", "0.3")
    page.click("[data-use-suggestion=baseline]")
    assert page.input_value("#id_baseline") == "0.1"
    page.wait_for_selector("[data-use-suggestion=baseline]", state="detached")
    shoot(page, "decisions-design-from-template")
    page.click("button:has-text('Submit for review')")
    page.wait_for_url(re.compile(r"/experiments/\d+/$"))
    # The page loads its panels with htmx: let them finish before the test itself writes
    # (SQLite's shared in-memory database locks a table a request is still reading).
    settle(page)
    experiment = Experiment.objects.get(hypothesis=hypothesis)
    assert (experiment.template, experiment.min_run_weeks) == (template, 2)

    # Approved and started; a first day of data comes in.
    experiment_approve(experiment_id=experiment.pk, actor=cmo)
    experiment_start(experiment_id=experiment.pk, actor=operator)
    rows = binomial_rows(timezone.localdate().isoformat(), (700, 70), (700, 84))
    observations_ingest(experiment_id=experiment.pk, actor=world["analyst"], rows=rows)
    experiments_analyse([experiment.pk])

    # The page says why completing now goes against the plan, before the click.
    page.goto(f"{live_server.url}/experiments/{experiment.pk}/")
    assert page.locator("#decision [data-verdict]").get_attribute("data-verdict") == (
        "keep_running"
    )
    warning = page.locator("[data-against-plan]").inner_text()
    assert "the minimum run time (day 1 of 14)" in warning
    assert "the planned sample (1,400 of 29,502 users)" in warning
    page.fill("#complete-analysis", "B is 20 % ahead after a day.")
    page.select_option("#complete-recommendation", "scale")
    page.click("form[data-step=complete] button[type=submit]")
    page.wait_for_selector("#complete-override_reason_errors")
    refusal = page.locator("#complete-override_reason_errors").inner_text()
    assert refusal.endswith("(1,400 of 29,502 users). Give a reason to go ahead.")
    # Said once, beside the field: the warning above gives way to it.
    assert page.locator("[data-against-plan]").count() == 0
    shoot(page, "decisions-complete-refused")
    page.fill("#complete-override_reason", "The sign-up page is redesigned on Monday.")
    page.click("form[data-step=complete] button[type=submit]")
    page.wait_for_selector(".messages")
    assert page.locator("h1 .badge").inner_text() == "Completed"
    assert (
        "The sign-up page is redesigned on Monday."
        in page.locator("[data-override=complete]").inner_text()
    )
    assert not page.console_errors, page.console_errors

    # The CMO sees the override in the queue and decides against the verdict, with a reason.
    cmo_page = new_page(browser)
    sign_in(cmo_page, live_server, "cmo", at="/review/")
    card = cmo_page.locator(f"[data-decide='{experiment.pk}']")
    assert "Completed early by" in card.locator("[data-override=complete]").inner_text()
    assert card.locator("[data-verdict]").get_attribute("data-verdict") == "keep_running"
    shoot(cmo_page, "decisions-queue")
    card.locator("summary:has-text('Decide')").click()
    cmo_page.select_option(f"#decide-{experiment.pk}-decision", "scale")
    cmo_page.select_option(f"#decide-{experiment.pk}-outcome", "won")
    cmo_page.fill(f"#decide-{experiment.pk}-learnings", "Logos lift sign-ups early on.")
    card.locator("button:has-text('Record the decision')").click()
    errors = cmo_page.locator(f"#decide-{experiment.pk}-override_reason_errors")
    errors.wait_for()
    assert "goes against the verdict, “Keep running”" in errors.inner_text()
    assert cmo_page.input_value(f"#decide-{experiment.pk}-learnings") == (
        "Logos lift sign-ups early on."
    )
    shoot(cmo_page, "decisions-conclude-refused")
    cmo_page.fill(f"#decide-{experiment.pk}-override_reason", "Sales needs the logos this month.")
    card.locator("button:has-text('Record the decision')").click()
    cmo_page.wait_for_selector(f"#review-{experiment.pk}.review-decided")
    assert (
        "is concluded and its learnings are recorded"
        in cmo_page.locator(f"#review-{experiment.pk}").inner_text()
    )
    assert not cmo_page.console_errors, cmo_page.console_errors

    # Both overrides are on the timeline.
    cmo_page.goto(f"{live_server.url}/experiments/{experiment.pk}/")
    assert (
        "Sales needs the logos this month."
        in cmo_page.locator("[data-override=conclude]").inner_text()
    )
    shoot(cmo_page, "decisions-experiment-concluded")
    overrides = StatusChange.objects.filter(experiment=experiment).exclude(override_reason="")
    assert sorted(overrides.values_list("step", flat=True)) == ["complete", "conclude"]

    # The conclusion opened a post-mortem: the operator writes it, with an action.
    page.goto(f"{live_server.url}/experiments/{experiment.pk}/")
    page.click("#edit-postmortem")
    page.select_option("#id_cause", "idea_held")
    page.fill("#id_why", "Logos reassured new visitors, though a day of data is thin.")
    page.check("input[name=faults][value=timing]")
    page.fill("#id_actions-0-text", "Keep the slot two full weeks next time")
    page.select_option("#id_actions-0-owner", str(operator.pk))
    due = timezone.localdate() + dt.timedelta(days=7)
    page.fill("#id_actions-0-due_date", due.isoformat())
    page.select_option("#id_status", "complete")
    page.click("#postmortem-form button[type=submit]")
    page.wait_for_selector("#postmortem[data-status=complete]")
    assert "Keep the slot two full weeks next time" in page.inner_text("#postmortem-panel")
    shoot(page, "decisions-postmortem")

    # The marketer's idea reads "won" (as the CMO called it), and the decision reached them.
    marketer_page = new_page(browser)
    sign_in(marketer_page, live_server, "marketer", at=f"/hypotheses/{world['hypothesis'].pk}/")
    assert marketer_page.get_attribute("#stage", "data-stage") == "won"
    assert marketer_page.inner_text("#stage") == "Won"
    shoot(marketer_page, "decisions-idea-won")
    marketer_page.click("#notices-link")
    notices = " ".join(marketer_page.locator("#notices tbody tr").all_inner_texts())
    assert (
        "testing your idea “Customer logos on the sign-up page”, was decided: scale (won)."
        in notices
    )
    assert "is written." in notices  # the post-mortem, once complete
    shoot(marketer_page, "decisions-notices")
    assert not marketer_page.console_errors, marketer_page.console_errors
