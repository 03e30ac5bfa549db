"""Read-outs shared by link: who may share and revoke, what the link opens, and nothing else."""

import datetime as dt

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from analytics.ingest.observations import observations_ingest
from programme.models import ReadoutShare, ReadoutView
from programme.shares import readout_share_create, share_token
from tests.analytics.helpers import binomial_rows, running_experiment
from tests.api.problems import problem_errors
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def experiment(operator, analyst):
    experiment = running_experiment(operator, name="Trust badges at checkout")
    observations_ingest(experiment_id=experiment.pk, actor=analyst, rows=binomial_rows())
    return experiment


def link_path(share):
    return reverse("programme:readout", args=[share_token(share)])


def test_the_owner_creates_a_link_through_the_api_and_it_opens_without_an_account(
    experiment, operator
):
    response = client_for(operator).post(
        f"/api/v1/experiments/{experiment.pk}/shares/", {"days": 7}, format="json"
    )
    assert response.status_code == 201, response.content
    share = ReadoutShare.objects.get()
    assert response.json()["state"] == "active" and response.json()["views"] == 0
    assert share.created_by == operator
    assert share.expires_at - share.created_at == dt.timedelta(days=7)

    page = Client().get(response.json()["url"].removeprefix("http://testserver"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Trust badges at checkout" in html and 'id="results-panel"' in html
    assert page["X-Robots-Tag"] == "noindex, nofollow" and page["Referrer-Policy"] == "no-referrer"
    assert ReadoutView.objects.filter(share=share).count() == 1


def test_the_read_out_reaches_nothing_else(experiment, operator):
    share = readout_share_create(experiment_id=experiment.pk, actor=operator)
    anonymous = Client()
    html = anonymous.get(link_path(share)).content.decode()
    # No navigation, no forms, no links into the app.
    assert "<nav" not in html and "<form" not in html
    assert 'href="/' not in html.replace('href="/static/', "")
    # The link is no session: the app and the API still ask for a sign-in.
    assert anonymous.get(reverse("experiments:detail", args=[experiment.pk])).status_code == 302
    assert anonymous.get(f"/api/v1/experiments/{experiment.pk}/").status_code == 401
    other = running_experiment(operator, key="other-test", name="Another test")
    assert anonymous.get(reverse("experiments:detail", args=[other.pk])).status_code == 302


def test_a_revoked_link_stops_opening_at_once(experiment, cmo, operator):
    share = readout_share_create(experiment_id=experiment.pk, actor=operator)
    assert Client().get(link_path(share)).status_code == 200

    response = client_for(cmo).delete(f"/api/v1/shares/{share.pk}/")
    assert response.status_code == 204
    share.refresh_from_db()
    assert share.revoked_by == cmo and share.revoked_at is not None

    closed = Client().get(link_path(share))
    assert closed.status_code == 404
    assert "This link has been revoked." in closed.content.decode()
    assert ReadoutView.objects.filter(share=share).count() == 1  # the refused opening is not one


def test_an_expired_link_says_so(experiment, operator):
    share = readout_share_create(experiment_id=experiment.pk, actor=operator, days=1)
    now = timezone.now()
    ReadoutShare.objects.filter(pk=share.pk).update(
        created_at=now - dt.timedelta(days=1, seconds=1), expires_at=now - dt.timedelta(seconds=1)
    )
    closed = Client().get(link_path(share))
    assert closed.status_code == 404 and "This link has expired." in closed.content.decode()


def test_a_tampered_or_made_up_token_opens_nothing(experiment, operator):
    share = readout_share_create(experiment_id=experiment.pk, actor=operator)
    token = share_token(share)
    payload, signature = token.split(":", 1)
    other_payload = signing.dumps(share.pk + 1, salt="programme.readout-share").split(":", 1)[0]
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    forged_tokens = (
        f"{payload}:{flipped}",  # the signature altered
        f"{other_payload}:{signature}",  # another share's id under this share's signature
        signing.dumps(share.pk, salt="another-purpose"),  # signed for something else
        "1",
        f"{share.pk}:abc",
    )
    for forged in forged_tokens:
        response = Client().get(reverse("programme:readout", args=[forged]))
        assert response.status_code == 404, forged
    assert not ReadoutView.objects.exists()


@pytest.mark.parametrize(
    ("who", "code"),
    [("cmo", 201), ("operator", 201), ("operator2", 403), ("marketer", 403), ("analyst", 403)],
)
def test_only_the_cmo_and_the_owner_share(experiment, cast, who, code):
    response = client_for(cast[who]).post(f"/api/v1/experiments/{experiment.pk}/shares/")
    assert response.status_code == code, response.content
    assert ReadoutShare.objects.count() == (1 if code == 201 else 0)


def test_only_the_cmo_and_the_owner_revoke(experiment, cast, operator):
    share = readout_share_create(experiment_id=experiment.pk, actor=operator)
    for who in ("operator2", "marketer", "analyst"):
        assert client_for(cast[who]).delete(f"/api/v1/shares/{share.pk}/").status_code == 403
    share.refresh_from_db()
    assert share.revoked_at is None


def test_a_link_lasts_one_to_365_days(experiment, operator):
    api = client_for(operator)
    for days in (0, 366, "soon"):
        response = api.post(
            f"/api/v1/experiments/{experiment.pk}/shares/", {"days": days}, format="json"
        )
        assert response.status_code == 400 and "days" in problem_errors(response), days
    assert not ReadoutShare.objects.exists()
    default = api.post(f"/api/v1/experiments/{experiment.pk}/shares/", format="json").json()
    share = ReadoutShare.objects.get(pk=default["id"])
    assert share.expires_at - share.created_at == dt.timedelta(days=30)


def test_the_experiment_page_lists_links_with_their_views_and_revokes_them(experiment, operator):
    share = readout_share_create(experiment_id=experiment.pk, actor=operator)
    Client().get(link_path(share))
    Client().get(link_path(share))
    client = Client()
    client.force_login(operator)
    detail = client.get(reverse("experiments:detail", args=[experiment.pk])).content.decode()
    assert 'id="shares-panel"' in detail

    panel = client.get(
        reverse("programme:experiment-shares", args=[experiment.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f'data-share="{share.pk}" data-state="active"' in panel and "Opened 2 times" in panel

    created = client.post(
        reverse("programme:experiment-shares", args=[experiment.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert ReadoutShare.objects.count() == 2 and 'id="share-link"' in created

    client.post(reverse("programme:share-revoke", args=[share.pk]))
    share.refresh_from_db()
    assert share.revoked_by == operator


def test_others_see_no_share_panel_and_cannot_force_one(experiment, marketer, operator2):
    for user in (marketer, operator2):
        client = Client()
        client.force_login(user)
        detail = client.get(reverse("experiments:detail", args=[experiment.pk])).content.decode()
        assert 'id="shares-panel"' not in detail
        forced = client.post(reverse("programme:experiment-shares", args=[experiment.pk]))
        assert forced.status_code == 403
    assert not ReadoutShare.objects.exists()
