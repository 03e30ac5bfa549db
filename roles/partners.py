"""Agency partners and their people: the CMO's writes, each on the audit trail.

A partner is a record (contract dates, monthly fee and its currency, how media is billed, a
contact); experiments name it (``Experiment.partner``) and its people sign in with the
``partner`` role, tied to it (``User.partner``), to run its experiments only
(docs/partners.md). Every write checks ``partners.manage``, validates all its input first,
writes in one transaction and leaves an ``AuditEntry`` (field → before, after).
"""

import datetime as dt
from decimal import Decimal

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from growthops.errors import ValidationFailed

from .capabilities import require
from .models import AuditEntry, Partner, Role, User
from .services import audit_record, audited_save

PARTNER_FIELDS = (
    "name",
    "contract_start",
    "contract_end",
    "monthly_fee",
    "fee_currency",
    "media_billing",
    "media_markup",
    "contact_name",
    "contact_email",
)
USER_FIELDS = ("username", "first_name", "last_name", "email", "password")


def json_value(value):
    """A field's value as the audit trail keeps it (JSON)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def partner_state(partner: Partner) -> dict:
    return {field: json_value(getattr(partner, field)) for field in PARTNER_FIELDS}


def partner_create(*, actor, **fields) -> Partner:
    """A new agency partner."""
    require(actor, "partners.manage")
    return _partner_save(actor=actor, partner=Partner(), fields=fields)


def partner_update(*, partner_id: int, actor, **fields) -> Partner:
    """Change the fields given; the rest stay."""
    require(actor, "partners.manage")
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=partner_id)
        return _partner_save(actor=actor, partner=partner, fields=fields)


def _partner_save(*, actor, partner: Partner, fields: dict) -> Partner:
    unknown = sorted(set(fields) - set(PARTNER_FIELDS))
    if unknown:
        raise ValidationFailed({field: "Not a partner field." for field in unknown})
    before = {} if partner.pk is None else partner_state(partner)
    for field, value in fields.items():
        if isinstance(value, str) and field != "fee_currency":
            value = value.strip()
        setattr(partner, field, value)
    if isinstance(partner.fee_currency, str):
        partner.fee_currency = partner.fee_currency.strip().upper()
    if partner.media_billing != Partner.MediaBilling.MARKED_UP and "media_markup" not in fields:
        partner.media_markup = None  # a markup goes with marked-up media only
    problems = {}
    if not (isinstance(partner.fee_currency, str) and len(partner.fee_currency) == 3
            and partner.fee_currency.isalpha()):  # fmt: skip
        problems["fee_currency"] = "A three-letter currency code (ISO 4217), e.g. EUR."
    return audited_save(
        partner,
        actor=actor,
        subject=AuditEntry.Subject.PARTNER,
        before=before,
        state=partner_state,
        problems=problems,
        taken=("name", "A partner with this name already exists."),
    )


def partner_user_create(
    *,
    actor,
    partner: Partner,
    username: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> User:
    """A sign-in for one of ``partner``'s people: the ``partner`` role, tied to it."""
    require(actor, "partners.manage")
    user = User(
        username=username.strip(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip(),
        role=Role.PARTNER,
        partner=partner,
    )
    problems = {}
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        problems.update({f: "; ".join(m) for f, m in exc.message_dict.items()})
    try:
        validate_password(password, user)
    except ValidationError as exc:
        problems["password"] = " ".join(exc.messages)
    if problems:
        raise ValidationFailed(problems)
    user.set_password(password)
    with transaction.atomic():
        try:
            user.save()
        except IntegrityError as exc:
            raise ValidationFailed({"username": "This username is taken."}) from exc
        audit_record(
            actor=actor,
            subject=AuditEntry.Subject.USER,
            subject_id=user.pk,
            action="created",
            changes={
                "username": [None, user.username],
                "role": [None, user.role],
                "partner": [None, partner.name],
            },
        )
    return user
