"""Which address a request comes from, for the anonymous rate limit and the sign-in lock-out.

``X-Forwarded-For`` is written by whoever sends the request, so it is read only as far as our
own proxies vouch for it. With ``NUM_PROXIES`` = 0 (the default) the address is the socket's
(``REMOTE_ADDR``) and the header is ignored. Behind N proxies, each appends the address it
received the request from, so the client is the N-th entry from the right; anything further
left was written by the client. A header with fewer entries than that, or an entry that is
not an address, did not come through our proxies: the socket's address is the one to trust.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    """The client's address: the socket's, or the one our ``NUM_PROXIES`` proxies saw."""
    remote_addr = request.META.get("REMOTE_ADDR")
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies == 0 or not forwarded:
        return remote_addr
    entries = [entry.strip() for entry in forwarded.split(",")]
    if len(entries) < proxies:
        return remote_addr
    candidate = entries[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote_addr
