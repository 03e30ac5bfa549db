"""Sending the digests that are due: each by e-mail and, with a webhook URL, to Slack.

Exactly one per person, period and channel: a ``DigestDelivery`` row is written (unique on
user, period, channel) and committed before anything is sent, so a task retried after a worker
died finds it and sends nothing again. The price is that a digest whose worker died between
the row and the send is not sent at all that period (its row stays ``sending``): a missed
digest is better than the same one twice.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.utils import timezone

from roles.models import Role

from ..models import DigestDelivery, DigestFrequency, DigestPreference
from .build import Digest, digest_build
from .period import period_for
from .preferences import OUTBOUND, slack_url_for, slack_url_problem
from .render import digest_html, digest_text, slack_body

log = logging.getLogger(__name__)


class SlackRefused(Exception):
    """The webhook URL may not be posted to, or Slack did not take the message."""


def _recipients():
    """Active people with a role and a digest not turned off, with their preference."""
    users = (
        get_user_model()
        .objects.filter(is_active=True, role__in=Role.values)
        .exclude(digest_preference__frequency=DigestFrequency.OFF)
        .select_related("digest_preference")
        .order_by("pk")
    )
    for user in users:
        preference = getattr(user, "digest_preference", None) or DigestPreference(user=user)
        yield user, preference


def _claim(user, period_start, channel: str, status: str) -> DigestDelivery | None:
    """Write the period's row for the channel, or None if one exists (sent, or on its way)."""
    try:
        with transaction.atomic():
            return DigestDelivery.objects.create(
                user=user, period_start=period_start, channel=channel, status=status
            )
    except IntegrityError:
        return None


def _channels(user, preference) -> dict[str, str]:
    channels = {}
    if user.email:
        channels[DigestDelivery.Channel.EMAIL] = user.email
    if slack_url_for(preference):
        channels[DigestDelivery.Channel.SLACK] = slack_url_for(preference)
    return channels


def digests_send_due(*, now=None) -> dict:
    """Send every digest due now (after ``DIGEST_SEND_HOUR`` local time); counts by outcome."""
    now = now or timezone.now()
    counts = {"sent": 0, "empty": 0, "failed": 0, "already": 0}
    if timezone.localtime(now).hour < settings.DIGEST_SEND_HOUR:
        return counts
    for user, preference in _recipients():
        period = period_for(preference.frequency, now)
        channels = _channels(user, preference)
        done = set(
            DigestDelivery.objects.filter(
                user=user, period_start=period.start, channel__in=list(channels)
            ).values_list("channel", flat=True)
        )
        todo = {channel: to for channel, to in channels.items() if channel not in done}
        counts["already"] += len(channels) - len(todo)
        if not todo:
            continue
        digest = digest_build(user=user, period=period)
        for channel, to in todo.items():
            counts[_deliver(digest, channel, to)] += 1
    return counts


def _deliver(digest: Digest, channel: str, to: str) -> str:
    """Claim the period's row for the channel, then send; the outcome's name."""
    status = DigestDelivery.Status.EMPTY if digest.is_empty else DigestDelivery.Status.SENDING
    delivery = _claim(digest.user, digest.period.start, channel, status)
    if delivery is None:
        return "already"
    if digest.is_empty:
        return "empty"
    try:
        if channel == DigestDelivery.Channel.EMAIL:
            send_email(digest, to)
        else:
            send_slack(digest, to)
    except Exception as exc:  # any failure is the row's story; the other people still get theirs
        log.warning("digest %s for user %s failed: %s", channel, digest.user.pk, exc)
        delivery.status, delivery.error = DigestDelivery.Status.FAILED, str(exc)[:500]
        delivery.save(update_fields=["status", "error"])
        return "failed"
    delivery.status, delivery.sent_at = DigestDelivery.Status.SENT, timezone.now()
    delivery.save(update_fields=["status", "sent_at"])
    return "sent"


def send_email(digest: Digest, to: str) -> None:
    message = EmailMultiAlternatives(subject=digest.subject, body=digest_text(digest), to=[to])
    message.attach_alternative(digest_html(digest), "text/html")
    message.send()


def send_slack(digest: Digest, url: str) -> None:
    problem = slack_url_problem(url)
    if problem:
        raise SlackRefused(problem)
    headers = {"Content-Type": "application/json", "User-Agent": "GrowthOps-Digest"}
    code, excerpt = OUTBOUND["post"](url, slack_body(digest), headers)
    if not 200 <= code < 300:
        raise SlackRefused(f"Slack answered HTTP {code}: {excerpt}")
