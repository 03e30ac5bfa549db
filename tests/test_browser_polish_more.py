"""In headless Chromium over the demo organisation, the polish a newcomer asked for: nothing
scrolls sideways at 390 px and the experiment list reads as cards there; the statistical
words carry a plain line; the end date and the timeline agree; money has its currency; the
inline score editor keeps the table still and confirms the save; the learnings search reads
the hypothesis, metric and segment; the segments table fits 1280 px; the queue flags long
designs and designs over their segment's traffic."""

import re

import pytest

from experiments.models import Experiment, Segment
from tests.browser import new_page, settle, shoot, sign_in
from tests.test_browser_polish import axe_violations, demo  # noqa: F401  (the demo fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SIDEWAYS = """() => ({width: document.documentElement.scrollWidth,
  wide: [...document.querySelectorAll('body *')].filter(e => {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.right <= document.documentElement.clientWidth + 1) return false;
    for (let p = e.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return false;
    }
    return true; }).slice(0, 3).map(e => e.tagName + '.' + e.className)})"""


def test_nothing_scrolls_sideways_on_a_phone_and_the_list_reads_as_cards(
    browser,
    live_server,
    demo,  # noqa: F811
):
    page = new_page(browser)
    sign_in(page, live_server, "cmo")
    page.set_viewport_size(PHONE)
    urls = [
        "/", "/experiments/", "/experiments/?status=concluded", "/hypotheses/", "/learnings/",
        "/postmortems/", "/segments/", "/review/", "/insights/", "/insights/false-wins/",
        "/streams/", "/team/", f"/experiments/{demo['running'].pk}/",
    ]  # fmt: skip
    for url in urls:
        page.goto(f"{live_server.url}{url}")
        settle(page)
        assert page.evaluate(SIDEWAYS) == {"width": 390, "wide": []}, url

    page.goto(f"{live_server.url}/experiments/?status=running")
    table = page.locator("#experiments")
    assert not table.locator("thead").is_visible()
    box = page.locator("#experiment-results .table-responsive")
    assert box.evaluate("b => b.scrollWidth <= b.clientWidth")  # no scrolling inside either
    first = table.locator("tbody tr").first
    assert not first.locator("td.col-lift").is_visible()
    summary = first.locator(".phone-summary").inner_text()
    assert re.match(r"Lift [+-]\d+\.\d% \([+-]\d+\.\d% to [+-]\d+\.\d%\) · ", summary)
    assert first.locator("td.col-next").inner_text().startswith("Next: ")
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/experiments/")
    assert page.locator("#experiments thead").is_visible()
    # At 1280 px every column fits its card: the Updated column is not cut.
    assert box.evaluate("b => b.scrollWidth <= b.clientWidth")
    assert page.console_errors == []


def test_statistical_words_carry_a_plain_line_and_dates_agree(
    browser,
    live_server,
    demo,  # noqa: F811
):
    page = new_page(browser)
    sign_in(page, live_server, "cmo", at="/insights/false-wins/")
    glossary = page.locator("[data-glossary=page]")
    assert glossary.is_visible()
    assert glossary.locator("[data-term=lord] dd").inner_text().startswith("A running bar")
    assert "μ" in glossary.locator("[data-term=typical_lift] dt").inner_text()
    assert page.locator("abbr.term", has_text="LORD++").get_attribute("title")
    assert axe_violations(page) == []

    running = demo["running"]
    page.goto(f"{live_server.url}/experiments/{running.pk}/")
    page.wait_for_selector("[data-glossary=results]")  # the panel, loaded by htmx
    assert page.locator("[data-glossary=design] [data-term=mde]").is_visible()
    results = page.locator("[data-glossary=results]").inner_text()
    assert "Always-valid p" in results or "p-value" in results or "Chance to beat" in results

    # The end date on the page is the day of the step that stopped the test on its timeline.
    ended = Experiment.objects.filter(status="concluded", end_date__isnull=False).latest("pk")
    page.goto(f"{live_server.url}/experiments/{ended.pk}/")
    dates = page.locator("#dates").inner_text()
    stop = page.locator(".list-group-item", has_text="Running → Completed").inner_text()
    day = re.search(r"(\d{1,2} \w{3} \d{4}) \d\d:\d\d", stop).group(1)
    assert f"ended {day}" in dates
    assert ended.end_date.strftime("%-d %b %Y") == day

    page.goto(f"{live_server.url}/segments/")
    cac = page.locator("#segments tbody tr").first.locator("td").nth(4).inner_text()
    assert cac.startswith("€") or cac == "—"
    assert page.console_errors == []


def test_the_score_editor_keeps_the_table_still_and_confirms_the_save(
    browser,
    live_server,
    demo,  # noqa: F811
):
    page = new_page(browser)
    sign_in(page, live_server, "operator", at="/hypotheses/")
    settle(page)
    layout = """() => [...document.querySelectorAll('#backlog thead th')]
      .map(t => Math.round(t.getBoundingClientRect().left))
      .concat([...document.querySelectorAll('#backlog tbody tr')].slice(0, 5)
      .map(r => Math.round(r.getBoundingClientRect().top)))"""
    before = page.evaluate(layout)
    row = page.locator("#backlog tbody tr").nth(1)
    row_id = row.get_attribute("id")
    row.locator("details.score-editor summary").click()
    assert row.locator("input[name=impact]").is_visible()
    assert page.evaluate(layout) == before  # open: nothing moved
    assert axe_violations(page) == []
    row.locator("input[name=impact]").fill("9")
    row.locator("input[name=impact]").press("Enter")
    saved = page.locator(f"#{row_id} [data-saved]")
    saved.wait_for()
    assert saved.inner_text() == "✓ Saved"
    assert page.evaluate("document.activeElement.hasAttribute('data-saved')")
    status = page.locator("#backlog-status")
    assert status.get_attribute("aria-live") == "polite"
    assert re.match(r"Saved the score of “.+”: ICE \d+\.\d\.", status.inner_text())
    assert page.evaluate(layout) == before  # saved: nothing moved either
    assert page.locator(f"#{row_id} .score-editor").get_attribute("open") is None
    shoot(page, "backlog-score-saved")
    assert page.console_errors == []


def test_learnings_search_reads_the_hypothesis_and_shows_each_result(
    browser,
    live_server,
    demo,  # noqa: F811
):
    concluded = Experiment.objects.filter(status="concluded").select_related(
        "segment", "primary_metric", "hypothesis"
    )
    target = concluded.latest("pk")
    word = max(re.findall(r"[A-Za-z]{6,}", target.hypothesis.observation), key=len)
    page = new_page(browser)
    sign_in(page, live_server, "cmo", at="/learnings/")
    page.fill("#id_q", word)
    page.press("#id_q", "Enter")
    page.wait_for_url(f"**q={word}**")
    cards = page.locator(".learning-card")
    names = cards.locator("h2").all_inner_texts()
    assert target.name in names
    for experiment in concluded.filter(name__in=names):
        assert word.lower() in " ".join(
            [experiment.name, experiment.learnings, experiment.hypothesis.title,
             experiment.hypothesis.observation, experiment.hypothesis.change,
             experiment.hypothesis.effect, experiment.primary_metric.name,
             experiment.segment.name if experiment.segment else ""]
        ).lower()  # fmt: skip
    card = cards.filter(has_text=target.name).first
    assert card.locator("[data-metric]").inner_text() == target.primary_metric.name
    assert re.match(r"[+-]\d+\.\d%|no result", card.locator("[data-lift]").inner_text())
    assert card.locator("[data-decision]").inner_text().startswith(target.get_decision_display())
    page.goto(f"{live_server.url}/learnings/?q={target.segment.name.split()[0]}")
    assert target.name in page.locator(".learning-card h2").all_inner_texts()
    shoot(page, "learnings-search")
    assert page.console_errors == []


def test_segments_fit_1280_and_the_queue_flags_long_and_oversized_designs(
    browser,
    live_server,
    demo,  # noqa: F811
):
    waiting = Experiment.objects.filter(status="in_review", segment__isnull=False).first()
    segment = Segment.objects.get(pk=waiting.segment_id)
    Experiment.objects.filter(pk=waiting.pk).update(daily_traffic=segment.monthly_reach)
    page = new_page(browser)
    sign_in(page, live_server, "cmo", at="/segments/")
    box = page.locator("#segments").locator("xpath=..")
    assert box.evaluate("b => b.scrollWidth <= b.clientWidth")
    sunset = page.locator("#segments tbody tr").first.locator("button", has_text="Sunset")
    right = sunset.evaluate("b => b.getBoundingClientRect().right")
    assert right <= box.evaluate("b => b.getBoundingClientRect().right")

    page.goto(f"{live_server.url}/review/")
    card = page.locator(f"#review-{waiting.pk}")
    assert "over its reach" in card.locator("[data-figure=segment-share]").inner_text()
    assert card.locator("[data-flag]").count() >= 1
    assert page.locator(".review-card [data-figure=duration] .flag-badge").first.inner_text() == (
        "over 90 days"
    )
    assert page.locator("[data-glossary=queue] [data-term=mde]").is_visible()
    assert page.console_errors == []
