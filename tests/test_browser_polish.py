"""In headless Chromium over the demo organisation: an automated accessibility check
(axe-core, vendored under static/vendor/axe-core) finds no serious or critical violation on
the main pages, for the CMO and an operator; the experiment list sorts by a result column
with the filters kept; the upload panel offers its template. Screenshots of the list, the
upload panel, the queue and a form at 1280 and 390 px."""

from pathlib import Path

import pytest
from django.templatetags.static import static

from experiments.models import Experiment, Hypothesis, Metric, Objective, Segment
from roles.models import User
from tests.browser import PASSWORD, new_page, settle, shoot, shoot_for_docs, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = "vendor/axe-core/axe.min.js"
# Serious and critical violations only, each with the first few elements it found.
RUN_AXE = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
  .filter(v => v.impact === "serious" || v.impact === "critical")
  .map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3)
    .map(n => n.target.join(" ")).join(", ")}`)"""


def axe_violations(page) -> list[str]:
    settle(page)
    if not page.evaluate("() => !!window.axe"):
        # From the live server's static files, as the page's own scripts are (its CSP allows
        # them): Chromium then caches the script and its compiled code, where half a megabyte
        # passed over the DevTools protocol was parsed anew on every page.
        page.add_script_tag(url=static(AXE))
    return page.evaluate(RUN_AXE)


@pytest.fixture
def demo(demo_for_test):
    # The demo's accounts need DEBUG; for the test they sign in as ordinary accounts.
    for user in User.objects.filter(username__in=["cmo", "operator"]):
        user.is_demo = False
        user.set_password(PASSWORD)
        user.save()
    running = Experiment.objects.filter(status="running", owner__username="operator")
    return {
        "running": running.filter(results__isnull=False).order_by("pk").first(),
        "draft": Experiment.objects.filter(status="draft", owner__username="operator").first(),
        "hypothesis": Hypothesis.objects.filter(status="backlog").order_by("pk").first(),
        "objective": Objective.objects.order_by("pk").first(),
        "segment": Segment.objects.filter(parent__isnull=True).order_by("pk").first(),
        "metric": Metric.objects.order_by("pk").first(),
    }


# The main pages in groups, one test for each role's group (nine tests of a few seconds each
# balance across the test processes; two of a quarter of a minute each ended the run on one core).
GROUPS_BY_ROLE = {
    "cmo": ["experiments", "ideas", "strategy", "account", "settings"],
    "operator": ["experiments", "ideas", "strategy", "account"],
}


def main_pages(demo, username, group) -> list[str]:
    running, hypothesis, metric = demo["running"], demo["hypothesis"], demo["metric"]
    pages = {
        "experiments": [
            "/",
            "/experiments/",
            "/experiments/?sort=-lift&status=running",
            f"/experiments/{running.pk}/",
            f"/experiments/{running.pk}/results/",
        ],
        "ideas": [
            "/hypotheses/",
            "/hypotheses/?view=board",
            f"/hypotheses/{hypothesis.pk}/",
            "/hypotheses/new/",
            "/learnings/",
        ],
        "strategy": [
            "/objectives/",
            f"/objectives/{demo['objective'].pk}/",
            "/segments/",
            f"/segments/{demo['segment'].pk}/",
            "/team/",
            "/insights/",
        ],
        "account": ["/notifications/", "/profile/", "/search/?q=pricing"],
        "settings": [
            "/webhooks/",
            "/webhooks/new/",
            "/data-sources/",
            "/data-sources/new/",
            "/metrics/",
            "/metrics/new/",
            f"/metrics/{metric.pk}/",
            f"/metrics/{metric.pk}/edit/",
        ],
    }[group]
    if (username, group) == ("cmo", "account"):
        pages.append("/review/")
    if (username, group) == ("operator", "experiments"):
        pages.append(f"/experiments/{demo['draft'].pk}/edit/")
    if (username, group) == ("operator", "ideas"):
        pages.append(f"/hypotheses/{hypothesis.pk}/design/")
    return pages


@pytest.mark.parametrize(
    ("username", "group"),
    [(username, group) for username, groups in GROUPS_BY_ROLE.items() for group in groups],
)
def test_the_main_pages_have_no_serious_accessibility_violation(
    browser, live_server, demo, username, group
):
    page = new_page(browser)
    found = {}
    for index, url in enumerate(main_pages(demo, username, group)):
        if index == 0:  # signed in on the group's first page
            response = sign_in(page, live_server, username, at=url)
        else:
            response = page.goto(f"{live_server.url}{url}")
        assert response.status == 200, url
        violations = axe_violations(page)
        if violations:
            found[url] = violations
    assert found == {}
    if (username, group) == ("cmo", "account"):
        page.goto(f"{live_server.url}/review/")
        page.wait_for_selector(".review-card")
        shoot(page, "approval-queue")
        shoot_for_docs(page, "approval-queue")
    assert page.console_errors == []


def test_the_list_sorts_by_lift_keeping_its_filters_and_the_upload_explains_itself(
    browser, live_server, demo
):
    page = new_page(browser)
    sign_in(page, live_server, "operator", at="/experiments/?status=running")
    page.locator("#experiments thead a", has_text="Lift").click()
    page.wait_for_url("**sort=-lift**")
    assert "status=running" in page.url
    assert (
        page.locator("#experiments thead th[aria-sort=descending]").inner_text().startswith("LIFT")
    )
    lifts = [
        float(text.strip().rstrip("%"))
        for text in page.locator("#experiments tbody .lift-cell .fw-semibold").all_inner_texts()
    ]
    assert lifts and lifts == sorted(lifts, reverse=True)
    assert page.locator("#export-list-csv").get_attribute("href") == (
        "/experiments.csv?status=running&sort=-lift"
    )
    shoot(page, "experiment-list-by-lift")
    page.goto(f"{live_server.url}/experiments/")
    shoot_for_docs(page, "experiment-list")

    running = demo["running"]
    page.goto(f"{live_server.url}/experiments/{running.pk}/")
    page.wait_for_selector("#upload-guide")
    metric_keys = page.locator("#upload-metrics tbody code").all_inner_texts()
    assert running.primary_metric.key == metric_keys[0]
    assert page.locator("#upload-variants tbody code").all_inner_texts()[0] == "control"
    with page.expect_download() as download:
        page.click("#upload-template")
    header = Path(download.value.path()).read_text().splitlines()[0]
    assert header == "date,variant,metric,users,conversions,sum,sum_squares"
    page.locator("#upload-form").scroll_into_view_if_needed()
    shoot(page, "experiment-upload-panel")
    shoot_for_docs(page, "upload-panel", at="#upload-form")

    page.goto(f"{live_server.url}/experiments/{demo['draft'].pk}/edit/")
    assert page.locator("fieldset.check-list legend", has_text="Guardrail metrics").count() == 1
    shoot(page, "design-form")
    shoot_for_docs(page, "design-form")
    assert page.console_errors == []
