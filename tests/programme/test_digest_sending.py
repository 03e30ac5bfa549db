"""Sending digests: once per period even when retried, nothing when off or empty, Slack's
limits, the dry run, the preference API and page, and the e-mail as a browser shows it."""

import json

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError
from django.utils import timezone
from rest_framework.test import APIClient

from programme.digests import delivery
from programme.digests.build import Digest
from programme.digests.period import period_for
from programme.digests.preferences import OUTBOUND
from programme.digests.render import digest_slack
from programme.models import DigestDelivery, DigestPreference
from programme.tasks import send_digests
from tests.api.problems import problem_errors
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def send_hour_passed(settings):
    settings.DIGEST_SEND_HOUR = 0
    settings.DIGEST_SLACK_WEBHOOK_URL = ""
    settings.SITE_URL = "https://growthops.example.com"


@pytest.fixture
def slack_posts(monkeypatch):
    posts = []

    def post(url, body, headers):
        posts.append((url, json.loads(body)))
        return 200, "ok"

    monkeypatch.setitem(OUTBOUND, "post", post)
    monkeypatch.setitem(OUTBOUND, "url_problem", lambda url: None)
    return posts


@pytest.fixture
def waiting(cmo, operator):
    """A decision waiting for the CMO; its owner's own digest is off, to hear only the CMO's."""
    DigestPreference.objects.create(user=operator, frequency="off")
    return put_in_status(ExperimentFactory(owner=operator, name="Decide me"), "completed")


def test_a_retried_task_sends_the_digest_once(cmo, waiting):
    send_digests.delay()
    send_digests.delay()

    assert [m.to for m in mail.outbox] == [[cmo.email]]
    assert "Decide me: waiting 0 d for your decision" in mail.outbox[0].body
    row = DigestDelivery.objects.get(user=cmo)
    assert (row.channel, row.status) == ("email", "sent")
    assert row.period_start == period_for("weekly", timezone.now()).start


def test_a_worker_that_died_after_claiming_is_not_followed_by_a_second_send(
    cmo, waiting, monkeypatch
):
    def crash(digest, to):
        raise SystemExit("worker lost")

    monkeypatch.setattr(delivery, "send_email", crash)
    with pytest.raises(SystemExit):
        send_digests.delay()
    monkeypatch.undo()

    counts = send_digests.delay().get()

    assert mail.outbox == []
    assert counts["already"] == 1
    assert DigestDelivery.objects.get(user=cmo).status == "sending"


def test_the_period_row_is_unique(cmo):
    start = timezone.localdate()
    DigestDelivery.objects.create(user=cmo, period_start=start, channel="email")
    with pytest.raises(IntegrityError):
        DigestDelivery.objects.create(user=cmo, period_start=start, channel="email")


def test_nothing_is_sent_when_the_digest_is_off(cmo, waiting):
    DigestPreference.objects.create(user=cmo, frequency="off")

    send_digests.delay()

    assert mail.outbox == []
    assert not DigestDelivery.objects.filter(user=cmo).exists()


def test_nothing_is_sent_when_there_is_nothing_to_say(marketer):
    send_digests.delay()

    assert mail.outbox == []
    assert DigestDelivery.objects.get(user=marketer).status == "empty"


def test_nothing_is_sent_before_the_hour(settings, cmo, waiting):
    settings.DIGEST_SEND_HOUR = 24
    assert send_digests.delay().get()["sent"] == 0
    assert mail.outbox == []


def test_it_sends_html_and_text_and_to_slack(cmo, waiting, slack_posts):
    DigestPreference.objects.create(user=cmo, slack_webhook_url="https://hooks.slack.com/x")

    send_digests.delay()

    html, mimetype = mail.outbox[0].alternatives[0]
    assert mimetype == "text/html"
    url = f"https://growthops.example.com/experiments/{waiting.pk}/"
    assert f'href="{url}"' in html and "Decide me: waiting 0 d for your decision" in html
    [(posted_to, message)] = slack_posts
    assert posted_to == "https://hooks.slack.com/x"
    assert message["blocks"][1]["text"]["text"] == (
        f"*Decisions waiting for you*\n• <{url}|Decide me: waiting 0 d for your decision>"
    )
    assert set(DigestDelivery.objects.filter(user=cmo).values_list("channel", "status")) == {
        ("email", "sent"),
        ("slack", "sent"),
    }


def test_a_slack_refusal_is_recorded_and_not_retried(cmo, waiting, monkeypatch):
    DigestPreference.objects.create(user=cmo, slack_webhook_url="https://hooks.slack.com/x")
    monkeypatch.setitem(OUTBOUND, "url_problem", lambda url: "a private address")

    send_digests.delay()
    send_digests.delay()

    row = DigestDelivery.objects.get(channel="slack")
    assert (row.status, row.error) == ("failed", "a private address")
    assert len(mail.outbox) == 1


def huge_digest(cmo):
    items = [{"text": "x" * 300 + f" {n}", "path": f"/experiments/{n}/"} for n in range(400)]
    sections = [{"key": f"s{n}", "title": f"Section {n}", "items": items} for n in range(60)]
    digest = Digest(user=cmo, period=period_for("weekly", timezone.now()), sections=sections)
    return digest


def test_the_slack_message_keeps_within_slacks_limits(cmo):
    message = digest_slack(huge_digest(cmo))

    blocks = message["blocks"]
    assert len(blocks) == 50
    assert len(blocks[0]["text"]["text"]) <= 150
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert len(texts) == 48
    assert all(len(text) <= 3000 for text in texts)
    shown = texts[0].count("\n• ")
    assert texts[0].endswith(f"… and {400 - shown} more")
    assert blocks[-1]["elements"][0]["text"].startswith("… and 12 more sections")


def test_the_dry_run_prints_the_digest_and_sends_nothing(cmo, waiting, capsys):
    call_command("send_digests", "--dry-run", "--user", "cmo")

    out = capsys.readouterr().out
    assert out.startswith(f"== cmo <{cmo.email}>\nYour weekly GrowthOps digest")
    assert "DECISIONS WAITING FOR YOU\n- Decide me: waiting 0 d for your decision\n" in out
    assert mail.outbox == []
    assert not DigestDelivery.objects.exists()


def test_the_dry_run_says_when_there_is_nothing_to_say(marketer, capsys):
    call_command("send_digests", "--dry-run", "--user", "marketer")
    assert capsys.readouterr().out == "== marketer: nothing to say, nothing would be sent\n"


def test_the_api_reads_and_changes_the_preference(cmo):
    api = APIClient()
    api.force_authenticate(cmo)

    assert api.get("/api/v1/auth/me/digest/").json() == {
        "frequency": "weekly",
        "slack_webhook_url": "",
    }
    response = api.patch("/api/v1/auth/me/digest/", {"frequency": "daily"}, format="json")

    assert response.status_code == 200
    assert DigestPreference.objects.get(user=cmo).frequency == "daily"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"frequency": "hourly"}, "frequency", '"hourly" is not a valid choice.'),
        (
            {"slack_webhook_url": "http://hooks.slack.com/x"},
            "slack_webhook_url",
            "A Slack webhook URL starts with https://.",
        ),
        (
            {"slack_webhook_url": "https://127.0.0.1/x"},
            "slack_webhook_url",
            "127.0.0.1 is a loopback address; webhooks go only to public hosts.",
        ),
    ],
)
def test_the_api_refuses_a_bad_preference_and_writes_nothing(cmo, body, field, message):
    api = APIClient()
    api.force_authenticate(cmo)

    response = api.patch("/api/v1/auth/me/digest/", body, format="json")

    assert response.status_code == 400
    assert problem_errors(response)[field] == [message]
    assert not DigestPreference.objects.exists()


def test_the_profile_page_loads_the_digest_panel_which_saves(client, cmo):
    client.force_login(cmo)
    assert 'hx-get="/digest/"' in client.get("/profile/").content.decode()

    response = client.post("/digest/", {"frequency": "off", "slack_webhook_url": ""})

    assert response.status_code == 200
    assert DigestPreference.objects.get(user=cmo).frequency == "off"
