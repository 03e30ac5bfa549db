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


# NAT64's well-known prefix (RFC 6052): the last 32 bits are the IPv4 address reached.
NAT64 = ipaddress.ip_network("64:ff9b::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries a packet to: IPv4-mapped, 6to4 or NAT64.

    The old IPv4-compatible form (``::a.b.c.d``) reaches nothing: it lies in ``::/8``,
    reserved, and is refused as such."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:  # 2002:AABB:CCDD::/48 is the 6to4 site of A.B.C.D
        return ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
    return None


def address_problem(address: str) -> str | None:
    """Why an address may not receive webhooks ("a loopback address"), or None.

    An IPv6 address that embeds an IPv4 one is judged by the IPv4 address it leads to:
    ``2002:7f00:1::1`` (6to4) and ``64:ff9b::7f00:1`` (NAT64) reach 127.0.0.1.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    if isinstance(ip, ipaddress.IPv6Address):
        ip = embedded_ipv4(ip) or ip
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
