"""Writes of the roles app: a person's own API token (one per user, DRF's ``Token``), their
named service tokens (scoped, expiring, stored hashed), and the audit trail of the
programme's set-up (``AuditEntry``)."""

import datetime as dt
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from growthops.errors import ValidationFailed

from .capabilities import require
from .models import AuditEntry, Scope, ServiceToken
from .tokens import digest_of, new_secret


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


# Longest a service token may live; a program that runs longer gets a new one.
SERVICE_TOKEN_MAX_DAYS = 366


def service_token_create(
    *, actor, name: str, scopes: list[str], days: int
) -> tuple[ServiceToken, str]:
    """A named token of ``actor``'s, with ``scopes``, expiring in ``days``: the token and its
    secret, which is returned here only (the row keeps its SHA-256)."""
    require(actor, "tokens.manage")
    errors = {}
    if not name.strip():
        errors["name"] = "Give the token a name (what uses it)."
    unknown = sorted(set(scopes) - set(Scope.values))
    if not scopes or unknown:
        errors["scopes"] = (
            f"Unknown scope(s): {', '.join(unknown)}." if unknown else "Choose at least one scope."
        )
    if not 1 <= days <= SERVICE_TOKEN_MAX_DAYS:
        errors["days"] = f"A token lives from 1 to {SERVICE_TOKEN_MAX_DAYS} days."
    if errors:
        raise ValidationFailed(errors)
    prefix, secret = new_secret()
    token = ServiceToken.objects.create(
        user=actor,
        name=name.strip(),
        prefix=prefix,
        digest=digest_of(secret),
        scopes=[s for s in Scope.values if s in scopes],
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    return token, secret


def service_token_revoke(*, actor, token_id: int) -> ServiceToken:
    """Revoke one of ``actor``'s own tokens (another's is not found); repeating it is a no-op."""
    require(actor, "tokens.manage")
    token = ServiceToken.objects.get(pk=token_id, user=actor)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def audit_record(*, actor, subject: str, subject_id: int, action: str, changes: dict) -> AuditEntry:
    """Record one change, inside the writer's transaction; ``changes`` maps a field to
    ``[before, after]`` (JSON values)."""
    return AuditEntry.objects.create(
        actor=actor, subject=subject, subject_id=subject_id, action=action, changes=changes
    )


def audited_save(
    instance,
    *,
    actor,
    subject: str,
    before: dict,
    state: Callable[[object], dict],
    problems: dict,
    taken: tuple[str, str],
    then: Callable[[], None] | None = None,
):
    """Save a set-up row the CMO edits (a partner, a team) and audit it, or refuse it whole.

    ``problems`` found by the caller and those of ``instance.full_clean()`` are refused
    together (a field's messages joined). Then, in one transaction: the save (a unique value
    taken by a concurrent writer is ``taken``, its field and message), ``then`` (related
    rows), and an ``AuditEntry`` of each field whose ``state`` differs from ``before``, made
    on a creation even when nothing differs."""
    creating = instance.pk is None
    problems = dict(problems)
    try:
        instance.full_clean()
    except ValidationError as exc:
        problems.update({f: "; ".join(m) for f, m in exc.message_dict.items()})
    if problems:
        raise ValidationFailed(problems)
    with transaction.atomic():
        try:
            instance.save()
        except IntegrityError as exc:  # a name taken between the check and the write
            raise ValidationFailed(dict([taken])) from exc
        if then is not None:
            then()
        after = state(instance)
        changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
        if changes or creating:
            audit_record(
                actor=actor,
                subject=subject,
                subject_id=instance.pk,
                action="created" if creating else "updated",
                changes=changes,
            )
    return instance
