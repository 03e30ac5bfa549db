"""A small warehouse in GA4-export shape, loaded into each engine, and its hand computation."""

import datetime as dt
import random

from warehouse.sql import MetricQuery

START = dt.date(2026, 11, 2)
END = dt.date(2026, 11, 4)
KEY = "checkout-test"


def tables(seed=7, users=60):
    """Exposures (some users twice, one in both variants, one of another experiment) and
    events (purchases with a value, inside and outside the window, before exposure too)."""
    rng = random.Random(seed)
    exposures, events = [], []
    for n in range(users):
        user = f"u{n:03d}"
        variant = "control" if n % 2 else "treatment"
        first = dt.datetime.combine(START, dt.time(8)) + dt.timedelta(hours=rng.randrange(60))
        exposures.append((KEY, variant, user, first, "mobile" if n % 3 else "desktop"))
        if n % 5 == 0:  # a second exposure later: first exposure counts
            exposures.append((KEY, variant, user, first + dt.timedelta(hours=5), "mobile"))
        for _ in range(rng.randrange(4)):
            when = first + dt.timedelta(hours=rng.randrange(-200, 120))
            events.append((user, rng.choice(["purchase", "page_view"]), when, rng.randrange(1, 50)))
    exposures.append((KEY, "control", "u000", dt.datetime(2026, 11, 3, 9), "mobile"))  # both
    exposures.append(("other", "control", "u001", dt.datetime(2026, 11, 3, 9), "mobile"))
    exposures.append((KEY, "control", "late", dt.datetime(2026, 11, 9, 9), "mobile"))  # after end
    return exposures, events


def query(aggregation, **overrides) -> MetricQuery:
    values = {
        "exposure_table": "exposures",
        "experiment_column": "experiment_key",
        "variant_column": "variant_key",
        "exposure_user_column": "user_pseudo_id",
        "exposure_time_column": "exposed_at",
        "fact_table": "events",
        "user_column": "user_pseudo_id",
        "time_column": "event_timestamp",
        "aggregation": aggregation,
        "value_expression": "value" if aggregation != "conversion" else "1",
        "denominator_expression": "1" if aggregation == "ratio" else "",
        "filters": [{"column": "event_name", "op": "=", "value": "purchase"}],
        "conversion_window_hours": 48,
        "covariate_days": 7,
        "experiment_keys": (KEY,),
        "start": START,
        "end": END,
    }
    values.update(overrides)
    return MetricQuery(**values)


def by_hand(exposures, events, q: MetricQuery) -> dict:
    """(variant, day) → [users, Σy, Σy², Σx, Σx², Σxy], the definition's meaning in Python."""
    first, variants = {}, {}
    end = dt.datetime.combine(q.end + dt.timedelta(days=1), dt.time())
    begin = dt.datetime.combine(q.start, dt.time())
    for key, variant, user, at, _ in exposures:
        if key in q.experiment_keys and begin <= at < end:
            first[user] = min(first.get(user, at), at)
            variants.setdefault(user, set()).add(variant)
    out = {}
    for user, at in first.items():
        if len(variants[user]) > 1:
            continue
        window = [
            v
            for u, name, when, v in events
            if u == user
            and name == "purchase"
            and at <= when < at + dt.timedelta(hours=q.conversion_window_hours)
        ]
        before = [
            v
            for u, name, when, v in events
            if u == user
            and name == "purchase"
            and at - dt.timedelta(days=q.covariate_days) <= when < at
        ]
        y, x = _value(q.aggregation, window), _value(q.aggregation, before)
        cell = out.setdefault((next(iter(variants[user])), at.date()), [0, 0, 0, 0, 0, 0])
        for i, part in enumerate((1, y, y * y, x, x * x, x * y)):
            cell[i] += part
    return out


def _value(aggregation, values):
    if aggregation == "conversion":
        return 1 if values else 0
    if aggregation == "sum":
        return float(sum(values))
    if aggregation == "mean":
        return sum(values) / len(values) if values else 0.0
    return float(sum(values)) / len(values) if values else 0.0  # ratio: value ÷ events (1 each)
