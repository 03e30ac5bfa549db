"""Post-mortems in headless Chromium (docs/postmortems.md): the CMO kills a test, its owner
writes the post-mortem with an action, and the idea's author finds both under the bell. Every
page visited is saved at 1280 and 390 px (folder printed at the end of the run)."""

import datetime as dt

import pytest
from django.utils import timezone

from programme.models import Notice, Postmortem
from tests.analytics.helpers import running_experiment
from tests.browser import confirm, new_page, shoot, sign_in
from tests.factories import HypothesisFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_kill_opens_a_postmortem_its_owner_writes_and_the_author_hears_of(
    browser, live_server, cmo, operator, operator2, marketer
):
    idea = HypothesisFactory(author=marketer, title="Customer logos")
    experiment = running_experiment(operator, hypothesis=idea, name="Logo strip")
    url = f"/experiments/{experiment.pk}/"

    page = new_page(browser)
    sign_in(page, live_server, "cmo", at=url)
    page.select_option("form[data-step=kill] select[name=reason]", "broken_setup")
    page.fill("form[data-step=kill] textarea[name=note]", "The tag fired twice.")
    page.locator("form[data-step=kill] button").click()
    confirm(page)
    page.wait_for_selector("#postmortem[data-status=draft]")
    assert "Killed: Broken set-up or tracking — The tag fired twice." in page.inner_text(
        "#postmortem-panel"
    )
    page.context.close()

    page = new_page(browser)
    sign_in(page, live_server, "operator", at=url)
    page.click("#edit-postmortem")
    page.select_option("#id_cause", "measurement")
    page.fill("#id_why", "The tag manager fired on both variants.")
    page.check("input[name=faults][value=data]")
    page.fill("#id_actions-0-text", "Test tags in staging")
    page.select_option("#id_actions-0-owner", str(operator2.pk))
    due = timezone.localdate() + dt.timedelta(days=5)
    page.fill("#id_actions-0-due_date", due.isoformat())
    page.select_option("#id_status", "complete")
    shoot(page, "postmortem-edit")
    page.click("#postmortem-form button[type=submit]")
    page.wait_for_selector("#postmortem[data-status=complete]")
    panel = page.inner_text("#postmortem-panel")
    assert "Measurement or tracking went wrong" in panel and "Test tags in staging" in panel
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "postmortem-panel")
    page.context.close()

    page = new_page(browser)
    sign_in(page, live_server, "marketer")
    assert page.inner_text("#notices-count") == "2"
    page.click("#notices-link")
    rows = page.locator("#notices tbody tr").all_inner_texts()
    assert "was stopped: broken set-up or tracking." in rows[1]
    assert "is written." in rows[0]
    shoot(page, "notices")
    page.click("#notices-read-all")
    page.wait_for_selector("#notices-link")
    assert page.locator("#notices-count").count() == 0
    assert page.console_errors == []

    pm = Postmortem.objects.get(experiment=experiment)
    assert (pm.status, pm.cause, pm.faults) == ("complete", "measurement", ["data"])
    assert pm.actions.get().owner == operator2
    assert not Notice.objects.filter(recipient=marketer, read_at__isnull=True).exists()
