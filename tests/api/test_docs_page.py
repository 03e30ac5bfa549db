"""The API reference (/api/docs/) is in the navigation and leads back to the app."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(analyst):
    client = Client()
    client.force_login(analyst)
    return client


def test_every_page_links_to_the_api_docs(client):
    assert 'href="/api/docs/"' in client.get("/").content.decode()


def test_the_docs_link_back_to_the_app_and_to_the_token(client):
    page = client.get("/api/docs/").content.decode()
    assert '<a class="docs-home" href="/" id="back-to-app">' in page
    assert 'href="/profile/"' in page
    assert "swagger-ui" in page
