"""Where a webhook may point: http(s) hosts on public addresses only.

A URL is checked when it is registered and again before every delivery (DNS can change
between the two), and the delivery connects to the very address that was checked, so a
second look-up cannot swap in another. ``WEBHOOKS_ALLOW_PRIVATE_HOSTS`` lifts the address
rule (development, tests, receivers on the same private network).
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}


# The most telling first: 127.0.0.1 and 240.0.0.1 are also "private", 0.0.0.0 too.
KINDS = {
    "unspecified": "the unspecified address",
    "loopback": "a loopback address",
    "link_local": "a link-local address",
    "multicast": "a multicast address",
    "reserved": "a reserved address",
    "private": "a private address",
}


class UnsafeURL(Exception):
    """The URL may not receive webhooks; the message says why."""


class HostDoesNotResolve(UnsafeURL):
    """The host has no address (now): at delivery time, worth another try later."""


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (tests replace this to play DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def address_problem(address: str) -> str | None:
    """Why an address may not receive webhooks ("a loopback address"), or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for kind, label in KINDS.items():
        if getattr(ip, f"is_{kind}"):
            return label
    if not ip.is_global:
        return "not a public address"
    return None


def split(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL; raises UnsafeURL otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"Not a valid URL: {exc}.") from exc
    if parts.scheme not in SCHEMES:
        raise UnsafeURL("Only http:// and https:// URLs can receive webhooks.")
    if not parts.hostname:
        raise UnsafeURL("The URL names no host.")
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def checked_address(url: str) -> str:
    """The address to connect to for ``url``, after checking it may receive webhooks."""
    _, host, port = split(url)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise HostDoesNotResolve(f"The host {host} does not resolve ({exc}).") from exc
    if not addresses:
        raise HostDoesNotResolve(f"The host {host} does not resolve.")
    if not settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS:
        # Every address must be public: a host that also resolves privately could be steered there.
        for address in addresses:
            problem = address_problem(address)
            if problem:
                where = address if host == address else f"{host} resolves to {address}, which"
                raise UnsafeURL(f"{where} is {problem}; webhooks go only to public hosts.")
    return addresses[0]


def url_problem(url: str) -> str | None:
    """Why ``url`` may not be registered, or None."""
    try:
        checked_address(url)
    except UnsafeURL as exc:
        return str(exc)
    return None
