"""Writes of the roles app: a person's own API token (one per user, DRF's ``Token``)."""

from django.db import transaction
from rest_framework.authtoken.models import Token


def api_token_regenerate(*, user) -> Token:
    """A new token for ``user``; the old one, if any, stops working at once."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)


def api_token_revoke(*, user) -> bool:
    """Delete ``user``'s token; returns whether there was one."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted > 0
