"""The client's address (growthops/client_ip.py): the socket's, or what our own proxies saw.

The anonymous rate limit and the sign-in lock-out both count it, so a forged
``X-Forwarded-For`` buys neither a fresh rate nor a lock-out of someone else.
"""

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from growthops.client_ip import client_ip

PROXY = "10.0.0.9"
PASSWORD = "pw-for-tests-only"


@pytest.mark.parametrize(
    ("proxies", "remote_addr", "forwarded", "expected"),
    [
        # No proxy of ours: the header is whatever the client wrote.
        (0, "198.51.100.7", None, "198.51.100.7"),
        (0, "198.51.100.7", "203.0.113.5", "198.51.100.7"),
        # One proxy: it appended the address it saw, the rightmost entry.
        (1, PROXY, "203.0.113.5", "203.0.113.5"),
        (1, PROXY, "1.2.3.4, 203.0.113.5", "203.0.113.5"),
        (1, PROXY, " 6.6.6.6 ,  2001:db8::5 ", "2001:db8::5"),
        # Two: the second from the right; what lies further left the client wrote.
        (2, PROXY, "1.2.3.4, 203.0.113.5, 10.0.0.8", "203.0.113.5"),
        # Fewer entries than proxies, no header, or no address: not through our proxies.
        (2, "198.51.100.7", "1.2.3.4", "198.51.100.7"),
        (1, "198.51.100.7", None, "198.51.100.7"),
        (1, "198.51.100.7", "1.2.3.4, not-an-address", "198.51.100.7"),
        (1, "198.51.100.7", "1.2.3.4,", "198.51.100.7"),
    ],
)
def test_it_reads_the_address_our_proxies_vouch_for(
    settings, proxies, remote_addr, forwarded, expected
):
    settings.NUM_PROXIES = proxies
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    request = RequestFactory().get("/", REMOTE_ADDR=remote_addr, **headers)
    assert client_ip(request) == expected


def test_the_default_is_no_proxy():
    from growthops import settings

    assert settings.NUM_PROXIES == 0
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0
    assert settings.AXES_CLIENT_IP_CALLABLE == "growthops.client_ip.client_ip"


@pytest.fixture
def behind_one_proxy(settings):
    settings.NUM_PROXIES = 1
    settings.AXES_FAILURE_LIMIT = 3
    settings.API_THROTTLE_RATES = {"user": None, "anon": "4/minute"}
    cache.clear()
    yield
    cache.clear()


def _sign_in(client, password, forwarded):
    return client.post(
        reverse("login"),
        {"username": "cmo", "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("behind_one_proxy")
def test_behind_one_proxy_the_lock_out_counts_the_address_it_saw(client, cmo):
    """Two people behind the same proxy: the one locked out leaves the other free to sign in,
    however the first rewrites the left of the header."""
    one, other = "203.0.113.5", "203.0.113.6"
    for n in range(3):
        _sign_in(client, "wrong", f"10.9.9.{n}, {one}")

    assert list(AccessAttempt.objects.values_list("ip_address", "failures_since_start")) == [
        (one, 3)
    ]
    assert _sign_in(client, PASSWORD, f"10.9.9.9, {one}").status_code == 429
    assert _sign_in(client, PASSWORD, other).status_code == 302


@pytest.mark.django_db
@pytest.mark.usefixtures("behind_one_proxy")
def test_behind_one_proxy_the_rate_counts_the_address_it_saw():
    one, other = "203.0.113.5", "203.0.113.6"

    def token(forwarded, username):
        # A new username each time: the lock-out (per username and address) stays out of it.
        return (
            APIClient()
            .post(
                "/api/v1/auth/token/",
                {"username": username, "password": "wrong"},
                REMOTE_ADDR=PROXY,
                HTTP_X_FORWARDED_FOR=forwarded,
            )
            .status_code
        )

    codes = [token(f"10.8.8.{n}, {one}", f"user{n}") for n in range(5)]
    assert codes == [400, 400, 400, 400, 429]
    assert token(other, "someone") == 400


def test_a_negative_proxy_count_stops_the_checks(settings):
    from growthops.checks import proxy_count_is_a_count

    settings.NUM_PROXIES = -1
    [error] = proxy_count_is_a_count()
    assert error.id == "growthops.E002" and "0 or more" in error.msg
    settings.NUM_PROXIES = 2
    assert proxy_count_is_a_count() == []
