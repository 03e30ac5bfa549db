"""The shared look: Bootstrap served locally, the navbar, search, and error pages of the product."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import ExperimentFactory, HypothesisFactory

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def test_every_page_loads_the_vendored_bootstrap_and_our_css(client, marketer):
    client.force_login(marketer)
    html = client.get(reverse("programme:home")).content.decode()
    assert "/static/vendor/bootstrap/bootstrap.min.css" in html
    assert "/static/vendor/bootstrap/bootstrap.bundle.min.js" in html
    assert "/static/css/app.css" in html
    assert 'class="navbar navbar-expand-lg' in html and "navbar-toggler" in html
    assert (Path(settings.BASE_DIR) / "static/vendor/bootstrap/LICENSE").exists()


# E-mails are not served under the policy, and mail clients drop stylesheets: their styles are
# inline, and they carry no script at all.
EMAILS = ("programme/digest/",)
ALL_TEMPLATES = sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("path", [p for p in ALL_TEMPLATES if not p.startswith(EMAILS)])
def test_templates_carry_no_inline_script_or_style(path):
    """The Content-Security-Policy allows scripts and styles from our own files only (a JSON
    data block is not a script: nothing runs it but our own code)."""
    text = (TEMPLATES / path).read_text()
    assert not re.search(r"<script(?![^>]*\b(src=|type=\"application/json\"))[^>]*>", text)
    assert "<style" not in text
    assert not re.search(r"\sstyle=", text)
    assert not re.search(r"\son[a-z]+=", text)


@pytest.mark.parametrize("path", [p for p in ALL_TEMPLATES if p.startswith(EMAILS)])
def test_emails_carry_no_script(path):
    text = (TEMPLATES / path).read_text()
    assert "<script" not in text
    assert not re.search(r"\son[a-z]+=", text)


def test_the_navbar_shows_the_unread_alerts_badge(client, marketer):
    from analytics.models import Alert, Notification

    experiment = ExperimentFactory()
    alert = Alert.objects.create(experiment=experiment, kind=Alert.Kind.OVERDUE, message="Late")
    Notification.objects.create(alert=alert, recipient=marketer)
    client.force_login(marketer)
    html = client.get(reverse("programme:home")).content.decode()
    assert 'aria-label="1 unread"' in html


def test_search_finds_hypotheses_and_experiments_by_title(client, marketer):
    HypothesisFactory(title="Social proof on pricing")
    HypothesisFactory(title="Shorter sign-up form")
    ExperimentFactory(name="Pricing logos wall")
    client.force_login(marketer)

    response = client.get(reverse("experiments:search"), {"q": "pricing"})

    assert response.status_code == 200
    assert response.context["counts"] == {"hypotheses": 1, "experiments": 1}
    assert [h.title for h in response.context["page_obj"]] == ["Social proof on pricing"]
    response = client.get(reverse("experiments:search"), {"q": "pricing", "type": "experiments"})
    assert [e.name for e in response.context["page_obj"]] == ["Pricing logos wall"]


def test_search_pages_through_many_results(client, marketer):
    HypothesisFactory.create_batch(30, title=factory_title())
    client.force_login(marketer)
    response = client.get(reverse("experiments:search"), {"q": "idea", "page": 2})
    assert response.context["page_obj"].number == 2
    assert len(response.context["page_obj"]) == 5


def factory_title():
    import factory

    return factory.Sequence(lambda n: f"Idea number {n}")


def test_search_needs_a_sign_in(client):
    response = client.get(reverse("experiments:search"), {"q": "x"})
    assert response.status_code == 302


def test_an_unknown_page_is_a_404_in_the_products_look(client, marketer):
    client.force_login(marketer)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Nothing here" in html and "navbar" in html


def test_the_500_page_renders_without_a_request():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Something went wrong" in html and "bootstrap.min.css" in html


def test_no_template_comment_leaks_into_the_page(client, marketer):
    # Django's {# #} comments end at the line's end; a multi-line one is printed as text.
    client.force_login(marketer)
    for url in ("programme:home", "experiments:hypothesis-list", "experiments:list"):
        assert "{#" not in client.get(reverse(url)).content.decode()
