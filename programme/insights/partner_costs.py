"""What an agency partner has cost in fees: its monthly fee over the contract's months up to a
day (docs/partners.md, "Costs"). Test costs (build + media) are recorded per experiment; the
partners insight and the scorecard add these fees to them."""

import datetime as dt
from decimal import Decimal

from django.conf import settings

DAYS_PER_MONTH = 365.25 / 12


def contract_months(start: dt.date | None, end: dt.date | None, *, today: dt.date) -> float:
    """Months of contract from ``start`` to ``end`` (or ``today``, whichever is earlier); 0
    before it starts or when it names no start."""
    if start is None:
        return 0.0
    last = min(end, today) if end else today
    return max((last - start).days + 1, 0) / DAYS_PER_MONTH


def fee_to_date(partner, *, today: dt.date) -> dict:
    """One partner's fees so far: ``months``, ``fees`` (in the reporting currency), and
    ``fee_currency_ignored`` when the fee is in another currency (then ``fees`` is 0: a fee is
    never converted with a guessed rate)."""
    months = contract_months(partner.contract_start, partner.contract_end, today=today)
    same = partner.fee_currency == settings.REPORTING_CURRENCY
    fees = Decimal(partner.monthly_fee) * Decimal(str(months)) if same else Decimal(0)
    return {
        "months": round(months, 2),
        "fees": round(float(fees), 2),
        "fee_currency_ignored": None if same else partner.fee_currency,
    }


def partner_fees(partners, *, today: dt.date) -> dict[int, dict]:
    """:func:`fee_to_date` for each partner, by id, with its name."""
    return {p.pk: {"name": p.name, **fee_to_date(p, today=today)} for p in partners}
