"""Which addresses may receive webhooks (no database, no network)."""

import pytest

from webhooks.safety import UnsafeURL, address_problem, split


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("93.184.215.14", None),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", None),
        ("127.0.0.2", "a loopback address"),
        ("::1", "a loopback address"),
        ("0.0.0.0", "the unspecified address"),
        ("::", "the unspecified address"),
        ("10.0.0.1", "a private address"),
        ("172.16.5.4", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fc00::1", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("fe80::1%eth0", "a link-local address"),
        ("224.0.0.1", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("240.0.0.1", "a reserved address"),
        ("100.64.0.1", "not a public address"),
        ("::ffff:10.0.0.1", "a private address"),
    ],
)
def test_it_names_what_is_wrong_with_an_address(address, problem):
    assert address_problem(address) == problem


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://hooks.example.com/x", ("https", "hooks.example.com", 443)),
        ("http://hooks.example.com:8080/x?y=1", ("http", "hooks.example.com", 8080)),
        ("http://[2606:2800::1]/", ("http", "2606:2800::1", 80)),
    ],
)
def test_it_reads_scheme_host_and_port(url, expected):
    assert split(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "Only http:// and https:// URLs can receive webhooks."),
        ("gopher://hooks.example.com/", "Only http:// and https:// URLs can receive webhooks."),
        ("https:///path-only", "The URL names no host."),
        ("http://hooks.example.com:99999/", "Not a valid URL: Port out of range 0-65535."),
    ],
)
def test_it_refuses_what_is_not_an_http_url(url, message):
    with pytest.raises(UnsafeURL) as refusal:
        split(url)
    assert str(refusal.value) == message
