"""What the demo's analyst measured: a year of each objective's KPI, day by day, and a programme
holdout on the SMB segment with a year of its groups' data — uploaded through the same services
as the API and the pages (docs/portfolio.md, "Measured, estimated and holdout figures")."""

import datetime as dt
import math
import random

import numpy as np
from django.utils import timezone

from programme.holdouts import holdout_create, holdout_data_ingest
from programme.measurements import measurements_ingest
from programme.portfolio.holdouts import shipped_into
from programme.portfolio.selectors import kpi_level, objective_ledger

from .organisation import Organisation

DAYS = 365
# The market moves the KPI too: beyond the ledger's estimate, a year brings this much of the
# baseline (the "unexplained movement" the objective page shows).
MARKET_DRIFT = 0.012
HOLDOUT_SEGMENT = "SMB"
HOLDOUT_SHARE = 0.05
HOLDOUT_RATE = 0.05  # the held-out users' daily conversion rate
# The shipped changes deliver this share of what the ledger counts for them: the holdout's
# correction, in the demo.
DELIVERED = 0.6


def seed_measured(org: Organisation, rng: random.Random) -> dict:
    """A year of daily KPI values per objective, and the SMB holdout with its data; after the
    roll-up, so the series ends near the ledger's estimate plus the market's drift."""
    analyst = org.users["analyst"]
    today = timezone.localdate()
    days = [today - dt.timedelta(days=DAYS - i) for i in range(DAYS)]  # up to yesterday
    written = 0
    for objective in org.objectives:
        rows = _kpi_series(objective, days, rng)
        written += measurements_ingest(objective_id=objective.pk, actor=analyst, rows=rows)
    holdout, rows = _holdout(org, days, rng)
    return {"measured_days": written, "holdout": holdout.pk, "holdout_rows": rows}


def _kpi_series(objective, days: list[dt.date], rng: random.Random) -> list[dict]:
    baseline = float(objective.baseline)
    now = kpi_level(objective, objective_ledger(objective)["realised_impact"] or 0.0)
    now += MARKET_DRIFT * baseline * (1 if now >= baseline else -1)
    rows = []
    for i, day in enumerate(days):
        share = (i + 1) / len(days)
        weekly = 0.002 * math.sin(2 * math.pi * day.weekday() / 7)
        noise = rng.gauss(0, 0.0015)
        value = (baseline + (now - baseline) * share) * (1 + weekly + noise)
        rows.append({"date": day.isoformat(), "value": round(value, 2)})
    return rows


def _holdout(org: Organisation, days: list[dt.date], rng: random.Random):
    segment = org.segments[HOLDOUT_SEGMENT]
    objective = org.objectives[0]
    holdout = holdout_create(
        actor=org.cmo,
        name=f"{segment.name} long-term holdout",
        segment=segment,
        share=HOLDOUT_SHARE,
        started_on=days[0],
        objective=objective,
        notes="Every page and e-mail change shipped to SMB since the start is hidden from these "
        "users; their conversions are exported nightly by the data team.",
    )
    shipped = shipped_into(holdout)
    draws = np.random.default_rng(rng.randrange(2**32))
    daily_users = segment.monthly_reach / 30
    held = round(daily_users * HOLDOUT_SHARE)
    exposed = round(daily_users) - held
    rows = []
    for day in days:
        live = math.prod(1 + s["improvement"] for s in shipped if s["shipped_on"] <= day) - 1
        rate = HOLDOUT_RATE * (1 + DELIVERED * live)
        for group, users, p in (("holdout", held, HOLDOUT_RATE), ("exposed", exposed, rate)):
            conversions = int(draws.binomial(users, p))
            rows.append({"date": day.isoformat(), "group": group, "users": users,
                         "conversions": conversions})  # fmt: skip
    written = holdout_data_ingest(holdout_id=holdout.pk, actor=org.users["analyst"], rows=rows)
    return holdout, written
