"""How a figure in an objective's unit reads: the one formatting rule for pages, the API and CSV
headers (docs/portfolio.md, "Units").

A currency objective reads in the reporting currency (``settings.REPORTING_CURRENCY``) to the
whole unit, "€12,000,000"; a count to the whole unit, "4,000"; a percent to one decimal,
"12.5 %" (a percent objective stores 12.5 for 12.5 %).
"""

from decimal import Decimal

from django.conf import settings

from .models import Objective

Unit = Objective.Unit
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
MISSING = "—"


def unit_code(unit: str) -> str:
    """The unit as a column header or an API field names it: "EUR", "count" or "%"."""
    if unit == Unit.CURRENCY:
        return settings.REPORTING_CURRENCY
    return "%" if unit == Unit.PERCENT else "count"


def csv_column(name: str, unit: str) -> str:
    """A CSV header naming its unit: ``value (EUR)``."""
    return f"{name} ({unit_code(unit)})"


def format_in_unit(value, unit: str, *, signed: bool = False, digits: int = 0) -> str:
    """``value`` as the unit reads it; "—" for None. ``signed`` writes a + before a rise;
    ``digits`` decimals for a count or money (a percent keeps one)."""
    if value is None:
        return MISSING
    number = float(value) if isinstance(value, Decimal | int | float) else float(str(value))
    sign = "−" if number < 0 else "+" if signed and number > 0 else ""
    size = abs(number)
    if unit == Unit.PERCENT:
        return f"{sign}{size:,.1f} %"
    if unit == Unit.CURRENCY:
        return sign + _money(size, digits)
    return f"{sign}{size:,.{digits}f}"


def _money(size: float, digits: int) -> str:
    code = settings.REPORTING_CURRENCY
    symbol = CURRENCY_SYMBOLS.get(code)
    return f"{symbol}{size:,.{digits}f}" if symbol else f"{size:,.{digits}f} {code}"


def format_money(value, *, digits: int = 0) -> str:
    """An amount of money in the reporting currency, "€12,000" ("—" for None): costs, values,
    CAC; ``digits`` for small amounts such as a value per person."""
    return format_in_unit(value, Unit.CURRENCY, digits=digits)
