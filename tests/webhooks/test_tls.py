"""HTTPS deliveries go to the checked address and still verify the certificate's host name."""

import shutil
import ssl
import subprocess

import pytest

from webhooks.models import WebhookDelivery
from webhooks.tasks import webhooks_deliver

from .helpers import endpoint
from .receiver import Receiver

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("allow_private", "no_backoff"),
    pytest.mark.skipif(not shutil.which("openssl"), reason="needs the openssl command"),
]


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for hooks.example.com: (certificate file, key file)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", key, "-out", cert, "-subj", "/CN=hooks.example.com",
            "-addext", "subjectAltName=DNS:hooks.example.com",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_receiver(certificate, monkeypatch):
    cert, key = certificate
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    # The sender trusts this certificate as it would a public CA's; hosts resolve to the receiver.
    default_context = ssl.create_default_context
    monkeypatch.setattr(
        "webhooks.delivery.ssl.create_default_context",
        lambda: default_context(cafile=str(cert)),
    )
    monkeypatch.setattr("webhooks.safety.resolve", lambda host, port: ["127.0.0.1"])
    with Receiver(tls=server_side) as running:
        yield running


def deliver_to(url, cmo) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint(url, cmo), event="ping", source="ping:1", payload={"data": {}}
    )
    webhooks_deliver.delay(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def test_it_delivers_over_https_to_the_checked_address(tls_receiver, cmo):
    port = tls_receiver.server.server_address[1]

    delivery = deliver_to(f"https://hooks.example.com:{port}/in", cmo)

    assert (delivery.status, delivery.response_code) == ("delivered", 200)
    [request] = tls_receiver.requests
    assert request.headers["Host"] == f"hooks.example.com:{port}"


def test_a_certificate_for_another_host_is_refused(tls_receiver, cmo):
    port = tls_receiver.server.server_address[1]

    delivery = deliver_to(f"https://other.example.com:{port}/in", cmo)

    assert (delivery.status, delivery.attempts) == ("failed", 6)
    assert "SSLCertVerificationError" in delivery.last_error
    assert "other.example.com" in delivery.last_error
    assert tls_receiver.requests == []
