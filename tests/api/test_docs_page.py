"""The API reference (/api/docs/) is in the navigation and leads back to the app."""

import pytest

from tests.helpers import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst_client(analyst):
    """The pages as the analyst (Django's ``client`` fixture stays the anonymous one)."""
    return signed_in(analyst)


def test_every_page_links_to_the_api_docs(analyst_client):
    assert 'href="/api/docs/"' in analyst_client.get("/").content.decode()


def test_the_docs_link_back_to_the_app_and_to_the_token(analyst_client):
    page = analyst_client.get("/api/docs/").content.decode()
    assert '<a class="docs-home" href="/" id="back-to-app">' in page
    assert 'href="/profile/"' in page
    assert "swagger-ui" in page
