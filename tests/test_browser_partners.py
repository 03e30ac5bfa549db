"""An agency partner in headless Chromium (docs/partners.md): the CMO adds a partner and one of
its people; that person signs in, designs and submits a test from their own idea and starts it
once approved; the CMO approves it and, once the test is decided, sees the partner's scorecard
move. The scorecard and the partners page are saved at 1280 and 390 px."""

import re

import pytest

from analytics.ingest.observations import observations_ingest
from experiments.lifecycle import experiment_complete, experiment_conclude
from experiments.models import Experiment, Hypothesis
from experiments.services import hypothesis_create, hypothesis_triage
from roles.models import Partner, User
from tests.analytics.helpers import START, binomial_rows
from tests.browser import new_page, settle, sign_in
from tests.browser import shoot as shoot_at_both_widths
from tests.factories import MetricFactory, ObjectiveFactory, SegmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSPHRASE = "lookalike-Audiences-2027"


def shoot(page, name):
    page.evaluate("window.scrollTo(0, 0)")
    shoot_at_both_widths(page, name)


def measure(page, name) -> str:
    return page.locator(f"#scorecard tr[data-measure={name}] td").first.inner_text()


def test_the_cmo_adds_a_partner_whose_person_runs_a_test_and_the_scorecard_moves(
    browser, live_server, cmo, operator, analyst
):
    metric = MetricFactory(key="signups", name="Sign-ups")
    objective, segment = ObjectiveFactory(name="Grow ARR"), SegmentFactory(name="Agencies")

    # The CMO adds the partner and its person.
    boss = new_page(browser)
    sign_in(boss, live_server, "cmo", at="/partners/")
    boss.click("#partner-new")
    boss.fill("#id_name", "Northwind Growth Partners")
    boss.fill("#id_contract_start", "2026-01-01")
    boss.fill("#id_monthly_fee", "6000")
    boss.select_option("#id_media_billing", "marked_up")
    boss.fill("#id_media_markup", "10")
    boss.fill("#id_contact_name", "Nora Lind")
    boss.click("#partner-form button[type=submit]")
    boss.wait_for_selector("tr[data-partner='Northwind Growth Partners']")
    boss.click("a[aria-label='Add a person to Northwind Growth Partners']")
    boss.fill("#id_username", "nils")
    boss.fill("#id_first_name", "Nils")
    boss.fill("#id_password", PASSPHRASE)
    boss.click("#partner-user-form button[type=submit]")
    boss.wait_for_selector("text=nils may now sign in")
    settle(boss)
    partner = Partner.objects.get(name="Northwind Growth Partners")
    nils = User.objects.get(username="nils")
    assert (nils.role, nils.partner) == ("partner", partner)
    shoot(boss, "partners-list")

    # Nils's idea, logged and triaged into the backlog.
    idea = hypothesis_create(
        actor=nils, title="Lookalike audiences for agencies", observation="o", change="c",
        effect="e", metric=metric, expected_mde=0.1, channel="paid", objective=objective,
        segment=segment, impact=6, confidence=8, ease=5,
    )  # fmt: skip
    hypothesis_triage(hypothesis_id=idea.pk, actor=operator, status=Hypothesis.Status.BACKLOG)

    boss.goto(f"{live_server.url}/partners/{partner.pk}/")
    assert measure(boss, "concluded") == "0"

    # Nils signs in, sees only Northwind's, designs and submits.
    agency = new_page(browser)
    agency.goto(f"{live_server.url}/")
    agency.fill("#id_username", "nils")
    agency.fill("#id_password", PASSPHRASE)
    agency.click("button[type=submit]")
    agency.wait_for_selector("nav.app-navbar")
    assert agency.locator("#scorecard-link").count() == 1
    assert agency.locator("#strategy-menu").count() == 0
    agency.goto(f"{live_server.url}/hypotheses/{idea.pk}/design/")
    assert agency.input_value("#id_executed_by") == "agency"
    agency.fill("#id_baseline", "0.1")
    agency.fill("#id_daily_traffic", "3000")
    agency.click("button:has-text('Submit for review')")
    settle(agency)
    agency.wait_for_url(re.compile(r"/experiments/\d+/$"))
    settle(agency)
    experiment = Experiment.objects.get(hypothesis=idea)
    assert (experiment.status, experiment.partner, experiment.owner) == ("in_review", partner, nils)

    # The CMO approves on the experiment's page.
    boss.goto(f"{live_server.url}/experiments/{experiment.pk}/")
    boss.click("form[data-step=approve] button[type=submit]")
    boss.wait_for_selector(".messages")
    settle(boss)
    assert Experiment.objects.get(pk=experiment.pk).status == "approved"

    # Nils starts it; the data come in; Nils completes and the CMO decides.
    agency.goto(f"{live_server.url}/experiments/{experiment.pk}/")
    agency.click("form[data-step=start] button[type=submit]")
    agency.wait_for_selector(".messages")
    settle(agency)
    assert Experiment.objects.get(pk=experiment.pk).status == "running"
    Experiment.objects.filter(pk=experiment.pk).update(start_date=START)
    rows = binomial_rows(START.isoformat(), (20_000, 2_000), (20_000, 2_400))
    observations_ingest(experiment_id=experiment.pk, actor=nils, rows=rows)
    experiment_complete(
        experiment_id=experiment.pk, actor=nils, analysis="B won.", recommendation="scale",
        override_reason="The flight ended.", confirm_srm=True,
    )  # fmt: skip
    experiment_conclude(
        experiment_id=experiment.pk, actor=cmo, decision="scale", outcome="won",
        learnings="Lookalikes work for agencies.", override_reason="The flight ended.",
    )  # fmt: skip

    # The scorecard moves: one concluded test, won.
    boss.goto(f"{live_server.url}/partners/{partner.pk}/")
    assert measure(boss, "concluded") == "1"
    assert measure(boss, "win_rate").startswith("100")
    shoot(boss, "partner-scorecard")
    agency.goto(f"{live_server.url}/partners/{partner.pk}/")
    assert "Lookalike audiences for agencies" in agency.locator("#partner-tests").inner_text()
    assert not boss.console_errors and not agency.console_errors, (
        boss.console_errors + agency.console_errors
    )
