"""Sending one delivery: the signed POST, the pinned connection, and recording the answer."""

import datetime as dt
import hashlib
import hmac
import http.client
import json
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db.models import F
from django.utils import timezone

from .models import WebhookDelivery
from .safety import HostDoesNotResolve, UnsafeURL, checked_address

TIMEOUT_SECONDS = 10
MAX_ATTEMPTS = 6
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 3600
# A claimed delivery is not claimed again for this long: one try's timeout and then some.
LEASE = dt.timedelta(seconds=TIMEOUT_SECONDS + 50)
# How much earlier than planned a retry may arrive (worker clocks differ a little).
CLOCK_SLACK = dt.timedelta(seconds=5)
EXCERPT_CHARS = 500
USER_AGENT = "GrowthOps-Webhooks/1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256 of ``"{timestamp}.{body}"`` keyed with the secret."""
    signed = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def retry_countdown(attempts: int) -> int:
    """Seconds before the next try after ``attempts`` tries: 30, 60, 120, 240, 480 … ≤ 1 h."""
    return min(RETRY_BASE_SECONDS * 2 ** (attempts - 1), RETRY_MAX_SECONDS)


def body_of(delivery: WebhookDelivery) -> bytes:
    document = {"event": delivery.event, "id": delivery.pk, **delivery.payload}
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


@dataclass(frozen=True)
class AttemptOutcome:
    """What one try came to: ``retry_in`` seconds when another try is due, else None."""

    status: str
    retry_in: int | None = None


def claim(delivery_id: int) -> WebhookDelivery | None:
    """Take the delivery for one try, or None when it is done, gone, or another try holds it.

    A conditional update, so two copies of the task (a redelivery, a sweep) never both send.
    """
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id,
        status=WebhookDelivery.Status.PENDING,
        next_attempt_at__lte=now + CLOCK_SLACK,
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE, last_attempt_at=now)
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)


def attempt(delivery_id: int) -> AttemptOutcome | None:
    """One try at sending the delivery; records the answer. None when there was nothing to do."""
    delivery = claim(delivery_id)
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    if not endpoint.active:
        return _finish(delivery, WebhookDelivery.Status.FAILED, error="The endpoint is inactive.")
    timestamp = int(time.time())
    body = body_of(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-GrowthOps-Event": delivery.event,
        "X-GrowthOps-Delivery": str(delivery.pk),
        "X-GrowthOps-Timestamp": str(timestamp),
        "X-GrowthOps-Signature": signature(endpoint.secret, timestamp, body),
    }
    try:
        code, excerpt = post(endpoint.url, body, headers)
    except HostDoesNotResolve as exc:  # DNS trouble may pass: try again later
        return _failed_try(delivery, error=str(exc))
    except UnsafeURL as exc:  # an address that is not allowed now will not be allowed later
        return _finish(delivery, WebhookDelivery.Status.FAILED, error=str(exc))
    except (OSError, http.client.HTTPException) as exc:
        return _failed_try(delivery, error=f"{type(exc).__name__}: {exc}"[:EXCERPT_CHARS])
    if 200 <= code < 300:
        return _finish(delivery, WebhookDelivery.Status.DELIVERED, code=code)
    return _failed_try(delivery, code=code, error=f"HTTP {code}: {excerpt}".strip())


def _failed_try(delivery: WebhookDelivery, *, code=None, error: str) -> AttemptOutcome:
    if delivery.attempts >= MAX_ATTEMPTS:
        return _finish(delivery, WebhookDelivery.Status.FAILED, code=code, error=error)
    wait = retry_countdown(delivery.attempts)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        response_code=code,
        last_error=error,
        next_attempt_at=timezone.now() + dt.timedelta(seconds=wait),
    )
    return AttemptOutcome(WebhookDelivery.Status.PENDING, retry_in=wait)


def _finish(
    delivery: WebhookDelivery, status: str, *, code=None, error: str = ""
) -> AttemptOutcome:
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status,
        response_code=code,
        last_error=error,
        next_attempt_at=now,
        delivered_at=now if status == WebhookDelivery.Status.DELIVERED else None,
    )
    return AttemptOutcome(status)


def post(url: str, body: bytes, headers: dict) -> tuple[int, str]:
    """POST to the checked address of ``url``; (status code, start of the answer).

    http.client never follows redirects: a 3xx is an answer like any other (not delivered).
    """
    address = checked_address(url)
    parts = urlsplit(url)
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(parts.hostname, parts.port, address=address)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(EXCERPT_CHARS * 4).decode("utf-8", errors="replace")
        return response.status, excerpt[:EXCERPT_CHARS]
    finally:
        connection.close()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked; the Host header still names the host."""

    def __init__(self, host, port, *, address):
        super().__init__(host, port, timeout=TIMEOUT_SECONDS)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above, with TLS verified against the host's name (SNI and certificate)."""

    def __init__(self, host, port, *, address):
        super().__init__(host, port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context())
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)
