"""The digest e-mail's HTML as a browser shows it, at desktop and phone widths."""

import pytest
from django.utils import timezone

from programme.digests.build import digest_build
from programme.digests.period import period_for
from programme.digests.render import digest_html
from tests.browser import save_screenshot
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory

pytestmark = pytest.mark.django_db


def test_the_digest_email_reads_well_at_desktop_and_phone_widths(browser, cmo, operator):
    put_in_status(ExperimentFactory(owner=operator, name="Decide me"), "completed")
    html = digest_html(digest_build(user=cmo, period=period_for("weekly", timezone.now())))
    for width in (1280, 390):
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.set_content(html)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, (width, scroll)
        save_screenshot(page, f"digest_email_{width}")
        page.close()
