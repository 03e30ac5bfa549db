"""End to end in headless Chromium: the CMO works the approval queue (approve, send back, kill
after confirming), an operator starts the approved test and uploads its data, everyone reads
the results with their charts and reading, the operator completes it and the CMO concludes it
with "iterate": the follow-up idea is in the backlog and the programme's numbers moved.

Screenshots at 1280 and 390 px go where ``tests/browser.py`` says.
"""

import pytest
from django.utils import timezone

from experiments.lifecycle import experiment_submit
from experiments.models import Experiment, Hypothesis
from tests.factories import ExperimentFactory, MetricFactory, ObjectiveFactory, SegmentFactory

from .browser import confirm, new_page, shoot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "date,variant,metric,users,conversions,sum,sum_squares\n"


def today_csv(control: tuple[int, int], treatment: tuple[int, int]) -> str:
    """The start day's numbers (a test started today takes data for today only)."""
    day = timezone.localdate().isoformat()
    return (
        f"{HEADER}{day},control,signups,{control[0]},{control[1]},,\n"
        f"{day},b,signups,{treatment[0]},{treatment[1]},,\n"
    )


def submitted(operator, name, **fields) -> Experiment:
    experiment = ExperimentFactory(owner=operator, name=name, **fields)
    experiment_submit(experiment_id=experiment.pk, actor=operator, note=f"{name}: ready.")
    return experiment


def concluded_count(page, live_server) -> int:
    """The programme's concluded experiments, as the API counts them for the signed-in user."""
    response = page.request.get(f"{live_server.url}/api/v1/experiments/?status=concluded")
    assert response.ok
    return response.json()["count"]


def home_tile(page, live_server, status: str) -> int:
    """The dashboard's count of experiments in ``status`` (its tile; none shown counts 0)."""
    page.goto(f"{live_server.url}/")
    tile = page.locator(f"#status-counts [data-status={status}] .count")
    return int(tile.inner_text()) if tile.count() else 0


def test_from_the_approval_queue_to_a_follow_up_idea(browser, live_server, cmo, operator, tmp_path):
    objective = ObjectiveFactory(name="Grow net new ARR")
    segment = SegmentFactory(name="Self-serve trials", monthly_reach=600_000)
    metric = MetricFactory(key="signups", name="Sign-up conversion")
    common = {
        "objective": objective,
        "segment": segment,
        "primary_metric": metric,
        "reach_per_year": 200_000,
        "value_per_conversion": 40,
    }
    approve = submitted(operator, "Customer logos on pricing", **common)
    send_back = submitted(operator, "Exit survey", **common)
    kill = submitted(operator, "Pop-up discount", **common)

    # The CMO sees three designs waiting and decides each without leaving the queue.
    cmo_page = new_page(browser)
    sign_in(cmo_page, live_server, "cmo")
    concluded_before = concluded_count(cmo_page, live_server)
    tile_before = home_tile(cmo_page, live_server, "concluded")
    assert cmo_page.locator("#review-count").inner_text() == "3"
    cmo_page.click("#review-link")
    assert cmo_page.locator(".review-card").count() == 3
    card = cmo_page.locator(f"#review-{approve.pk}")
    assert "Customer logos on pricing: ready." in card.locator("[data-note]").inner_text()
    shoot(cmo_page, "review-queue")
    loads = []
    cmo_page.on("load", lambda _: loads.append(1))

    card.locator("form[data-step=approve] button").click()
    cmo_page.wait_for_selector(f"#review-{approve.pk}[data-status=approved]")

    card = cmo_page.locator(f"#review-{send_back.pk}")
    card.locator("details[data-step=request_changes] summary").click()
    card.locator("button:has-text('Send back to the operator')").click()  # no note yet
    cmo_page.wait_for_selector(f"#review-{send_back.pk} .invalid-feedback")
    assert "Say what needs to change." in card.inner_text()
    shoot(cmo_page, "review-queue-refused")
    card.locator("details[data-step=request_changes] textarea[name=note]").fill(
        "Use the trial segment's real traffic."
    )
    card.locator("button:has-text('Send back to the operator')").click()
    cmo_page.wait_for_selector(f"#review-{send_back.pk}[data-status=draft]")

    card = cmo_page.locator(f"#review-{kill.pk}")
    card.locator("details[data-step=kill] summary").click()
    card.locator("select[name=reason]").select_option("duplicate")
    card.locator("details[data-step=kill] textarea[name=note]").fill(
        "Same idea as the spring test."
    )
    card.locator("button:has-text('Kill the experiment')").click()
    assert confirm(cmo_page) == "Kill “Pop-up discount”? This cannot be undone."
    cmo_page.wait_for_selector(f"#review-{kill.pk}[data-status=killed]")
    assert loads == []  # all three in place, by htmx
    assert cmo_page.locator("#review-count").inner_text() == ""
    shoot(cmo_page, "review-queue-decided")
    statuses = dict(
        Experiment.objects.filter(pk__in=[approve.pk, send_back.pk, kill.pk]).values_list(
            "name", "status"
        )
    )
    assert statuses == {
        "Customer logos on pricing": "approved",
        "Exit survey": "draft",
        "Pop-up discount": "killed",
    }

    # The operator starts the approved test and uploads two days of data.
    op_page = new_page(browser)
    sign_in(op_page, live_server, "operator", at=f"/experiments/{approve.pk}/")
    op_page.locator("form[data-step=start] button").click()
    op_page.wait_for_selector("h1 .badge:text-is('Running')")
    # The morning's numbers, then the whole day's (re-sending a day replaces it: a new look).
    for number, text in enumerate(
        [today_csv((1000, 100), (1000, 128)), today_csv((2000, 197), (2000, 259))], start=1
    ):
        csv = tmp_path / f"upload{number}.csv"
        csv.write_text(text)
        op_page.wait_for_selector("#upload-form")
        op_page.set_input_files("#upload-form input[type=file]", str(csv))
        # The page before already says "Saved 2 rows": wait for the new one.
        with op_page.expect_navigation():
            op_page.click("#upload-form button")
        op_page.wait_for_selector(".messages >> text=Saved 2 rows")

    # The results: the method's p-value, the reading, both charts drawn.
    op_page.wait_for_selector("#results [data-reading=b]")
    reading = op_page.locator("#results [data-reading=b]").inner_text()
    assert reading.startswith("B raises sign-up conversion by 31.5 %")  # 259/197 - 1
    assert reading.endswith("significant, an improvement.")
    assert op_page.locator("[data-variant=b] [data-lift]").inner_text() == "+31.5%"
    op_page.wait_for_selector(f"#chart-lift-{approve.pk}[data-drawn]")
    op_page.wait_for_selector(f"#chart-cumulative-{approve.pk}[data-drawn]")
    shoot(op_page, "experiment-results")

    # The operator completes it; the page stops asking for it.
    op_page.fill("#complete-analysis", "B raised sign-ups by about 30 % over two days.")
    op_page.select_option("#complete-recommendation", "iterate")
    # Two days in, the test is short of its plan: the page asks why it is called now.
    op_page.fill("#complete-override_reason", "The two days settle the question for this flow.")
    op_page.locator("form[data-step=complete] button").click()
    op_page.wait_for_selector("h1 .badge:text-is('Completed')")
    assert op_page.locator("form[data-step=complete]").count() == 0
    assert (
        "Ended" in op_page.locator("#dates").inner_text()
        or "ended" in op_page.locator("#dates").inner_text()
    )
    shoot(op_page, "experiment-completed")

    # The CMO concludes it with "iterate": a follow-up idea is logged from it.
    cmo_page.goto(f"{live_server.url}/experiments/{approve.pk}/")
    cmo_page.select_option("#conclude-decision", "iterate")
    cmo_page.select_option("#conclude-outcome", "won")
    cmo_page.fill("#conclude-learnings", "Logos build trust; try reviews next.")
    if cmo_page.locator("#conclude-override_reason").count():
        cmo_page.fill("#conclude-override_reason", "Iterating on a promising early reading.")
    cmo_page.locator("form[data-step=conclude] button").click()
    cmo_page.wait_for_selector("h1 .badge:text-is('Concluded')")
    shoot(cmo_page, "experiment-concluded")
    follow_up = Hypothesis.objects.get(iterates_on_experiment=approve)
    cmo_page.click("nav >> text=Backlog")
    cmo_page.wait_for_selector(f"text={follow_up.title}")
    shoot(cmo_page, "backlog-with-follow-up")

    assert concluded_count(cmo_page, live_server) == concluded_before + 1
    assert home_tile(cmo_page, live_server, "concluded") == tile_before + 1
    shoot(cmo_page, "dashboard-after-conclusion")
    assert cmo_page.console_errors == [] and op_page.console_errors == []


def test_a_sample_ratio_mismatch_hides_the_reading_until_acknowledged(
    browser, live_server, operator
):
    from analytics.models import SrmAcknowledgement
    from tests.test_results_pages import running, store

    experiment = running(operator, name="Checkout copy")
    for look in (1, 2):
        store(
            experiment, "signups", look, control_mean=0.1, mean=0.12, lift=0.2, ci=(0.1, 0.3),
            p_value_adjusted=0.001, srm_p_value=0.00001,
        )  # fmt: skip
    page = new_page(browser)
    sign_in(page, live_server, "operator", at=f"/experiments/{experiment.pk}/")
    page.wait_for_selector("#srm-banner")
    assert page.locator("#results").count() == 0
    shoot(page, "experiment-srm-banner")

    page.fill("#srm-note", "Bots were filtered from B only; fixed on the 3rd.")
    page.click("#srm-acknowledge-form button")
    page.wait_for_selector("#results [data-reading=b]")
    assert "acknowledged by Omar" in page.locator("#srm-acknowledged").inner_text()
    assert SrmAcknowledgement.objects.get(experiment=experiment).acknowledged_by == operator
    shoot(page, "experiment-srm-acknowledged")
    assert page.console_errors == []
