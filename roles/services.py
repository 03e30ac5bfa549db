"""Writes of the roles app: a person's own API token (one per user, DRF's ``Token``), and
the audit trail of the programme's set-up (``AuditEntry``)."""

from django.db import transaction
from rest_framework.authtoken.models import Token

from .models import AuditEntry


def api_token_regenerate(*, actor) -> Token:
    """A new token for ``actor``, who asks for their own; the old one, if any, stops working
    at once."""
    with transaction.atomic():
        Token.objects.filter(user=actor).delete()
        return Token.objects.create(user=actor)


def api_token_revoke(*, actor) -> bool:
    """Delete ``actor``'s own token; returns whether there was one."""
    deleted, _ = Token.objects.filter(user=actor).delete()
    return deleted > 0


def audit_record(*, actor, subject: str, subject_id: int, action: str, changes: dict) -> AuditEntry:
    """Record one change, inside the writer's transaction; ``changes`` maps a field to
    ``[before, after]`` (JSON values)."""
    return AuditEntry.objects.create(
        actor=actor, subject=subject, subject_id=subject_id, action=action, changes=changes
    )
