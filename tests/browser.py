"""What every browser test does: open a page that records console errors, sign in, and look
at the page at desktop and phone width, saving screenshots when asked (``make screenshots``;
the folder is printed at the end of the run)."""

import os
from pathlib import Path

from .conftest import SCREENSHOTS, screenshot_dir

PASSWORD = "pw-for-tests-only"


def new_page(browser):
    """A 1280 px page that collects console errors (a Content-Security-Policy violation is one)
    in ``page.console_errors``. It prefers reduced motion, as a person may: Bootstrap then
    shows and hides modals and menus without their transitions, which the tests would only
    wait out (about a tenth of the browser tests' time)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
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
    page.on("pageerror", lambda error: errors.append(f"{error} on {page.url}"))
    page.console_errors = errors
    in_flight = page.requests_in_flight = set()
    page.on("request", lambda request: in_flight.add(request))
    page.on("requestfinished", lambda request: in_flight.discard(request))
    page.on("requestfailed", lambda request: in_flight.discard(request))
    return page


# Quiet: no htmx element carries the classes it has while its request runs and its answer is
# swapped in, and every chart is drawn.
PAGE_QUIET = """() => !document.querySelector(
  '.htmx-request, .htmx-swapping, .htmx-settling, [data-chart]:not([data-drawn])')"""

# Plotly redraws a chart for a new width a moment after the window's resize event.
CHARTS_FIT = """() => [...document.querySelectorAll('[data-chart][data-drawn]')].every(chart => {
  const svg = chart.querySelector('svg.main-svg');
  return !svg || chart.clientWidth === 0 || +svg.getAttribute('width') <= chart.clientWidth + 1;
})"""


def settle(page) -> None:
    """Wait until the page has loaded, htmx has swapped in every panel it asked for (panels
    that load themselves start before the load event), every chart is drawn and no request of
    the page's is still open. Playwright's "networkidle" waits for the requests, then for half
    a second more of quiet on every page; this returns as soon as the page is quiet."""
    page.wait_for_load_state("load")
    while True:
        page.wait_for_function(PAGE_QUIET, polling=20)
        if not page.requests_in_flight:
            # One more look a moment later: a swap can start a panel that loads itself.
            page.wait_for_timeout(20)
            if not page.requests_in_flight and page.evaluate(PAGE_QUIET):
                return
        page.wait_for_timeout(20)


def answered(page, timeout_ms: int = 10_000) -> None:
    """Wait until no request of the page's is open (a page not made by ``new_page`` has none
    counted)."""
    waited = 0
    while (
        not page.is_closed() and getattr(page, "requests_in_flight", None) and waited < timeout_ms
    ):
        page.wait_for_timeout(20)
        waited += 20


def resize(page, width: int, height: int) -> None:
    """Set the viewport and wait until every chart has been redrawn to fit its new width."""
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_function(CHARTS_FIT, polling=20)


def save_screenshot(page, name: str) -> None:
    """When ``GROWTHOPS_SCREENSHOTS`` names a folder (``make screenshots``), the whole page as
    ``name``.jpg there: JPEG, because encoding a long page as PNG takes Chromium half as long
    again. Screenshots are for people to look at, and they were a fifth of the browser tests'
    CPU; without them every page still goes through both widths, its charts redrawn to fit
    and its console errors checked."""
    if SCREENSHOTS is not None:
        page.screenshot(path=str(screenshot_dir() / f"{name}.jpg"), full_page=True, quality=85)


def shoot(page, name):
    """The page at desktop and phone width (its charts redrawn to fit each), saved as
    screenshots when asked."""
    save_screenshot(page, f"{name}-1280")
    resize(page, 390, 844)
    save_screenshot(page, f"{name}-390")
    resize(page, 1280, 900)


def sign_in(page, live_server, username, *, at="/"):
    """Open ``at`` signed in as ``username``: a session opened in the database for that user
    (as the sign-in form would, with the same backend) and its cookie given to the page's
    browser context, which saves each test the sign-in page, the POST and the dashboard it
    lands on. ``sign_in_through_the_form`` is the real thing. Returns the page's response."""
    from django.conf import settings
    from django.test import Client

    from roles.models import User

    client = Client()
    client.force_login(
        User.objects.get(username=username), backend="roles.backends.DemoAwareModelBackend"
    )
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    response = page.goto(f"{live_server.url}{at}")
    page.wait_for_selector("nav.app-navbar")
    return response


def sign_in_through_the_form(page, live_server, username):
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("nav.app-navbar")


def confirm(page) -> str:
    """Answer the page's confirmation modal (kill, reject, sunset, archive) with "Confirm";
    returns the question it asked."""
    modal = page.locator("#confirm-modal")
    modal.wait_for(state="visible")
    question = modal.locator("#confirm-modal-message").inner_text()
    modal.locator("#confirm-modal-ok").click()
    return question


DOCS_SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def shoot_for_docs(page, name, *, at=None):
    """With ``GROWTHOPS_DOCS_SCREENSHOTS=1``, save what a reader first sees of the page (or of
    the element ``at``, scrolled below the navbar) at 1280 and 390 px under docs/screenshots/,
    the pictures the README links; otherwise nothing (a test run leaves the docs alone)."""
    if not os.environ.get("GROWTHOPS_DOCS_SCREENSHOTS"):
        return
    DOCS_SCREENSHOTS.mkdir(exist_ok=True)
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(100)
        top = 0
        if at is not None:
            navbar = page.locator("nav.app-navbar").bounding_box()["height"]
            top = page.locator(at).evaluate("e => e.getBoundingClientRect().top + window.scrollY")
            top = max(top - navbar - 56, 0)
        page.evaluate(f"window.scrollTo(0, {top})")
        page.wait_for_timeout(100)
        page.screenshot(path=str(DOCS_SCREENSHOTS / f"{name}-{width}.png"))
    page.set_viewport_size({"width": 1280, "height": 900})
