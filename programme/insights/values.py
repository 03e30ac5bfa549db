"""How an insight's numbers are stored: plain floats for JSON, None where a table has no value."""

import pandas as pd


def rounded(value, digits: int = 4) -> float | None:
    """``value`` as a float of ``digits`` decimals; None for a missing value (None, NaN)."""
    if value is None or pd.isna(value):
        return None
    return round(float(value), digits)


def money(value) -> float:
    """An amount in the reporting currency, to the cent."""
    return round(float(value), 2)
