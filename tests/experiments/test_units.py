"""One formatting rule for a figure in an objective's unit."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from experiments.units import csv_column, format_in_unit, unit_code


@pytest.mark.parametrize(
    ("value", "unit", "signed", "shown"),
    [
        (1_020_000, "currency", False, "€1,020,000"),
        (Decimal("1020000.75"), "currency", False, "€1,020,001"),
        (-18_000.4, "currency", True, "−€18,000"),
        (18_000, "currency", True, "+€18,000"),
        (4_000, "count", False, "4,000"),
        (-51.2, "count", True, "−51"),
        (12.345, "percent", False, "12.3 %"),
        (0, "count", True, "0"),
        (None, "currency", False, "—"),
    ],
)
def test_it_formats_in_the_unit(value, unit, signed, shown):
    assert format_in_unit(value, unit, signed=signed) == shown


def test_another_reporting_currency_is_named_by_its_code(settings):
    settings.REPORTING_CURRENCY = "CHF"
    assert format_in_unit(1500, "currency") == "1,500 CHF"
    assert unit_code("currency") == "CHF"
    assert csv_column("value", "currency") == "value (CHF)"
    settings.REPORTING_CURRENCY = "USD"
    assert format_in_unit(1500, "currency") == "$1,500"


def test_the_template_filters_use_the_same_rule():
    class Objective:
        unit = "count"

    html = Template(
        "{% load units %}{{ a|in_unit:o }} {{ b|in_unit_signed:o }} {{ o|unit_of }} {{ c|in_unit:'percent' }}"
    ).render(Context({"a": 1234.4, "b": 7, "o": Objective(), "c": 5}))
    assert html == "1,234 +7 count 5.0 %"
