"""The demo warehouse's tables, in GA4-export shape: ``exposures`` (one row per user's exposure
to a variant) and ``events`` (``user_pseudo_id``, ``event_name``, ``event_timestamp``,
``value``), appended a week at a time as the demo's data "arrives".

What is appended is planned as daily per-variant aggregates (demo/data.py: users and, per
metric, conversions or the sum and sum of squares); the rows are built from those plans by
set-based SQL (``unnest(range(n))``: one parameter row per cell, never a Python loop per
user), so that the refresh's query over them returns exactly the planned numbers:

- a cell's ``n`` users are split by device (mobile, desktop, tablet), each part a run of
  consecutive ids; each exposed once, at a minute of the day drawn from their id;
- a conversion metric's ``c`` conversions are the first users of each device's run, the
  count apportioned by the device's users and how much of the change it sees (mobile most);
  each converts once, within 48 hours of exposure;
- a sum metric's ``Σy`` and ``Σy²`` are hit exactly by ``k = ⌈(Σy)²/Σy²⌉`` buyers (at least
  two), each with one event worth μ ± s (μ = Σy/k; pairs +s, −s; an odd last one μ), where
  ``s² = (Σy²/k − μ²)·k/(2⌊k/2⌋)``; the device parts share ``Σy`` and ``Σy²`` by their users;
- revenue per user, the metric read with CUPED, is drawn per user instead (a log-normal
  spend, purchases within 72 hours after exposure and, for CUPED's covariate, in the 14 days
  before), from a hash of the user's id: the same file every time.
"""

import math
from dataclasses import dataclass, field

import duckdb

from experiments.models import Metric

# Each device's share of a cell's people and how much of the change it sees (mobile most).
DEVICES = (("mobile", 0.55, 1.4), ("desktop", 0.38, 0.6), ("tablet", 0.07, 0.5))
# The GA4 event behind each of the demo's metrics.
EVENT_NAMES = {
    "signup_conversion": "sign_up",
    "trial_to_paid": "trial_converted",
    "demo_request_rate": "generate_lead",
    "revenue_per_visitor": "purchase",
    "days_to_activation": "activation",
    "unsubscribe_rate": "unsubscribe",
    "revenue_per_user": "in_app_purchase",
}
CUPED_LIFT = 0.06  # each treatment's lift in revenue per user

SCHEMA = """
CREATE TABLE IF NOT EXISTS exposures (
    experiment_key VARCHAR, variant_key VARCHAR, user_pseudo_id VARCHAR,
    exposed_at TIMESTAMP, device_category VARCHAR
);
CREATE TABLE IF NOT EXISTS events (
    user_pseudo_id VARCHAR, event_name VARCHAR, event_timestamp TIMESTAMP, value DOUBLE
);
"""
# A user's exposure: a minute of their cohort day drawn from their id.
EXPOSED_AT = "day + to_minutes(((first_id + j) * 7919) % 1440)"
EXPOSURES = f"""
INSERT INTO exposures
SELECT experiment_key, variant_key, CAST(first_id + j AS VARCHAR), {EXPOSED_AT}, device
FROM (SELECT *, unnest(range(n)) AS j FROM cells)
"""
# One event per converting user or buyer, within 48 hours after exposure.
EVENTS = f"""
INSERT INTO events
SELECT CAST(first_id + j AS VARCHAR), event_name,
       {EXPOSED_AT} + to_minutes(1 + ((first_id + j) * 104729 + salt) % 2879),
       CASE WHEN mu IS NULL THEN NULL
            WHEN j >= paired THEN mu
            WHEN j % 2 = 0 THEN mu + s ELSE mu - s END
FROM (SELECT *, unnest(range(k)) AS j FROM facts)
"""
# Revenue per user, drawn per user from hashes of the id: a spend, 0-2 purchases in the 72
# hours after exposure (the treatments' worth CUPED_LIFT more), one in 14 days before for 15 %.
CUPED_EVENTS = f"""
INSERT INTO events
WITH users AS (
    SELECT first_id + j AS id, {EXPOSED_AT} AS exposed, spend_factor,
           (hash((first_id + j) * 4 + 0) % 1000000 + 1) / 1000000.0 AS u1,
           (hash((first_id + j) * 4 + 1) % 1000000) / 1000000.0 AS u2,
           (hash((first_id + j) * 4 + 2) % 1000000) / 1000000.0 AS u3,
           (hash((first_id + j) * 4 + 3) % 1000000) / 1000000.0 AS u4
    FROM (SELECT *, unnest(range(n)) AS j FROM cells WHERE cuped)
), spends AS (
    SELECT *, exp(3.2 + 0.6 * sqrt(-2 * ln(u1)) * cos(2 * pi() * u2)) AS spend,
           CASE WHEN u3 < 0.80 THEN 0 WHEN u3 < 0.96 THEN 1 ELSE 2 END AS purchases
    FROM users
)
SELECT CAST(id AS VARCHAR), '{EVENT_NAMES["revenue_per_user"]}',
       exposed + to_minutes((hash(id * 8 + p) % 4320)::BIGINT), round(spend * spend_factor, 2)
FROM (SELECT *, unnest(range(purchases)) AS p FROM spends)
UNION ALL
SELECT CAST(id AS VARCHAR), '{EVENT_NAMES["revenue_per_user"]}',
       exposed - to_minutes((1 + hash(id * 8 + 7) % (14 * 1440 - 1))::BIGINT), round(spend, 2)
FROM spends WHERE u4 < 0.15
"""
CELL_COLUMNS = (
    "experiment_key",
    "variant_key",
    "day",
    "device",
    "first_id",
    "n",
    "spend_factor",
    "cuped",
)
FACT_COLUMNS = ("day", "first_id", "event_name", "salt", "k", "mu", "s", "paired")


@dataclass
class Batch:
    """One delivery's parameter rows: a cell per experiment × day × variant × device, a fact
    per cell × metric."""

    cells: list[tuple] = field(default_factory=list)
    facts: list[tuple] = field(default_factory=list)


def create_tables(path) -> None:
    db = duckdb.connect(str(path))
    try:
        db.execute(SCHEMA)
    finally:
        db.close()


def append(path, batch: Batch) -> None:
    """Write a batch's exposures and events (one transaction; the file is closed after, so
    the refresh's read-only connection may open it)."""
    if not batch.cells:
        return
    db = duckdb.connect(str(path))
    try:
        db.begin()
        _table(db, "cells", CELL_COLUMNS, batch.cells)
        _table(db, "facts", FACT_COLUMNS, batch.facts)
        db.execute(EXPOSURES)
        db.execute(EVENTS)
        db.execute(CUPED_EVENTS)
        db.commit()
    finally:
        db.close()


def _table(db, name: str, columns: tuple, rows: list[tuple]) -> None:
    """A temporary table from Python rows, passed as one list per column."""
    lists = [list(values) for values in zip(*rows, strict=True)] if rows else [[]] * len(columns)
    selected = ", ".join(f"unnest(${i + 1}) AS {c}" for i, c in enumerate(columns))
    db.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {selected}", lists)


def split_devices(users: int) -> list[tuple[str, int, float]]:
    """(device, users, how much of the change it sees) of a cell; a part under two people
    joins mobile (a sum needs two people to have a spread)."""
    parts = {name: round(users * share) for name, share, _ in DEVICES[1:]}
    parts = {name: count if count >= 2 else 0 for name, count in parts.items()}
    parts = {DEVICES[0][0]: users - sum(parts.values()), **parts}
    return [(name, parts[name], sees) for name, _, sees in DEVICES if parts[name]]


def apportion(total: int, weights: list[float], caps: list[int]) -> list[int]:
    """``total`` split in proportion to ``weights``, none above its cap (largest remainder)."""
    weights = [max(w, 0.0) if cap else 0.0 for w, cap in zip(weights, caps, strict=True)]
    whole = sum(weights) or 1.0
    exact = [total * w / whole for w in weights]
    parts = [min(cap, math.floor(x)) for x, cap in zip(exact, caps, strict=True)]
    order = sorted(range(len(parts)), key=lambda i: parts[i] - exact[i])
    while sum(parts) < total:  # largest remainders first, then round the parts with room
        for i in order:
            if parts[i] < caps[i] and sum(parts) < total:
                parts[i] += 1
    return parts


def sum_events(users: int, total: float, squares: float) -> tuple[int, float, float, int]:
    """(k, μ, s, paired): ``k`` buyers of μ ± s whose values sum to ``total`` and their
    squares to ``squares`` (module docstring)."""
    if users == 0 or squares <= 0:
        return 0, 0.0, 0.0, 0
    k = min(users, max(2, math.ceil(total * total / squares - 1e-9)))
    mu = total / k
    paired = 2 * (k // 2)
    spread = max(squares / k - mu * mu, 0.0) * k / paired
    return k, mu, math.sqrt(spread), paired


def fact_rows(planned: list[dict], parts, first_ids, day, salts, kinds) -> list[tuple]:
    """The facts of one cell (its planned rows, one per metric) over its device parts."""
    facts = []
    for row in planned:
        event = EVENT_NAMES[row["metric"]]
        users = [count for _, count, _ in parts]
        if kinds[row["metric"]] == Metric.Kind.BINOMIAL:
            weights = [count * (1 + row["lift"] * sees) for _, count, sees in parts]
            counts = apportion(row["conversions"], weights, users)
            for first_id, count in zip(first_ids, counts, strict=True):
                facts.append((day, first_id, event, salts[row["metric"]], count, None, 0.0, 0))
            continue
        for first_id, count in zip(first_ids, users, strict=True):
            share = count / row["users"]
            total, squares = row["sum"] * share, row["sum_squares"] * share
            k, mu, s, paired = sum_events(count, total, squares)
            facts.append((day, first_id, event, salts[row["metric"]], k, mu, s, paired))
    return facts
