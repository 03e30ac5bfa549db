"""An agency partner's scorecard against the in-house team (docs/partners.md, "Scorecard").

The figures are the insights' own: the concluded experiments' table (``concluded.py``: wins,
cycle time, shrunk lift, cost), their value as the partners insight values it
(``annual_value`` through the segments' economics, scaled winners only), the confidence
calibration and the overrides as the calibration insight reads them (``calibration.py``), and
the partner's fees to date (``partner_costs.py``). Computed when the page is asked for, from the
one history an insight run also reads.
"""

import numpy as np
import pandas as pd

from analytics.stats.programme import win_rates_by_band

from .calibration import CONFIDENCE_EDGES, _band_bounds, _overrides
from .concluded import annual_value, concluded_experiments
from .history import ProgrammeHistory
from .values import money, rounded


def partner_scorecard(history: ProgrammeHistory, partner_id: int) -> dict:
    """The partner's column and the in-house team's, side by side, and the partner's tests."""
    frame = concluded_experiments(history)
    value = annual_value(history, frame, "shrunk", money=True)
    frame["value"] = np.where(frame["scaled"], value.fillna(0), 0.0)
    mine = frame[frame["partner_id"] == partner_id]
    in_house = frame[frame["partner_kind"] == "in_house"]
    experiments = history.experiments
    fees = history.partner_fees.get(partner_id, {"fees": 0.0, "months": 0.0})
    return {
        "partner": _column(mine, history, fees=fees["fees"]),
        "in_house": _column(in_house, history, fees=0.0),
        "fees": fees,
        "in_flight": {
            "partner": int(
                experiments[
                    (experiments["partner_id"] == partner_id)
                    & ~experiments["status"].isin(["concluded", "killed"])
                ].shape[0]
            ),
            "in_house": int(
                experiments[
                    (experiments["executed_by"] == "in_house")
                    & ~experiments["status"].isin(["concluded", "killed"])
                ].shape[0]
            ),
        },
        "tests": [
            {
                "id": int(row.id),
                "name": row.name,
                "decision": row.decision,
                "outcome": row.outcome,
                "cycle_days": rounded(row.cycle_days, 1),
                "shrunk": rounded(row.shrunk),
                "cost": None if pd.isna(row.cost) else money(row.cost),
                "value": money(row.value),
                "return": round(row.value / row.cost, 2) if row.cost and row.cost > 0 else None,
                "confidence": int(row.confidence),
            }
            for row in mine.sort_values("concluded_at", ascending=False).head(50).itertuples()
        ],
    }


def _column(group: pd.DataFrame, history: ProgrammeHistory, *, fees: float) -> dict:
    """One side's figures: win rate, cycle time, shrunk impact, cost and return per test,
    calibration of its confidence scores, and the calls overridden."""
    concluded = len(group)
    wins = int(group["won"].sum())
    cycle = group["cycle_days"].dropna()
    shrunk = group["shrunk"].dropna()
    costed = group.dropna(subset=["cost"])
    test_cost = float(costed["cost"].sum())
    value = float(group["value"].sum())
    all_cost = test_cost + fees
    stated = float(group["confidence"].mean()) / 10 if concluded else None
    won_rate = wins / concluded if concluded else None
    overrides = _overrides(group, history)
    return {
        "concluded": concluded,
        "wins": wins,
        "win_rate": rounded(won_rate),
        "median_cycle_days": rounded(cycle.median(), 1) if len(cycle) else None,
        "mean_shrunk_lift": rounded(shrunk.mean()) if len(shrunk) else None,
        "value": money(value),
        "test_cost": money(test_cost),
        "fees": money(fees),
        "cost_per_test": money(all_cost / concluded) if concluded else None,
        "value_per_test": money(value / concluded) if concluded else None,
        "return": round(value / all_cost, 2) if all_cost > 0 else None,
        "stated_confidence": rounded(stated),
        "overconfidence": rounded(stated - won_rate) if concluded else None,
        "calibration": _calibration(group),
        "overrides": {
            "decided": overrides["decided"],
            "against": overrides["against"],
            "against_won": overrides["against_won"],
        },
    }


def _calibration(group: pd.DataFrame) -> list[dict]:
    """Per stated-confidence band (the calibration insight's bands): tests, wins, win rate."""
    counts = win_rates_by_band(group["confidence"], group["won"], CONFIDENCE_EDGES)
    rows = []
    for k in range(len(CONFIDENCE_EDGES) - 1):
        low, high = _band_bounds(k)
        rows.append(
            {
                "label": f"{low}–{high}",
                "experiments": int(counts["experiments"][k]),
                "wins": int(counts["wins"][k]),
                "win_rate": rounded(counts["win_rate"][k]),
            }
        )
    return rows
