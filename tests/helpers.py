"""Small helpers the tests of every app share (fixtures stay in conftest.py)."""

from django.test import Client


def signed_in(user) -> Client:
    """A browser-like client (Django's test ``Client``) signed in as ``user``, for the pages."""
    client = Client()
    client.force_login(user)
    return client


# The header htmx sends with each of its requests (Django's test client spelling).
HTMX = {"HTTP_HX_REQUEST": "true"}
