"""Partners and cost: what each agency partner and in-house team delivers for what it costs
(docs/insights.md, "Partners and cost")."""

import numpy as np

from .concluded import annual_value, concluded_experiments
from .history import ProgrammeHistory
from .registry import Insight, register
from .values import money, rounded


def compute(history: ProgrammeHistory) -> dict:
    frame = concluded_experiments(history)
    # Only a scaled experiment realises value; its lift shrunk for the winner's curse, valued
    # through the segment's customer economics.
    value = annual_value(history, frame, "shrunk", money=True)
    frame["value"] = np.where(frame["scaled"], value.fillna(0), 0.0)
    partners = []
    for (partner, kind), group in frame.groupby(["partner", "partner_kind"]):
        costed = group.dropna(subset=["cost"])
        cost = float(costed["cost"].sum())
        costed_value = float(costed["value"].sum())
        partner_id = group["partner_id"].dropna()
        fees = history.partner_fees.get(int(partner_id.iloc[0])) if len(partner_id) else None
        fee = fees["fees"] if fees else 0.0
        all_cost = float(group["cost"].fillna(0).sum()) + fee
        wins = int(group["won"].sum())
        cycle = group["cycle_days"].dropna()
        partners.append(
            {
                "partner": partner,
                "kind": kind,
                "concluded": len(group),
                "wins": wins,
                "win_rate": round(wins / len(group), 4),
                "median_cycle_days": round(float(cycle.median()), 1) if len(cycle) else None,
                "shrunk_lift": rounded(group["shrunk"].dropna().mean())
                if group["shrunk"].notna().any()
                else None,
                "value": money(group["value"].sum()),
                "with_cost": len(costed),
                "cost": money(cost),
                # Return over the experiments whose cost is known, so unknown costs add nothing.
                "return": round(costed_value / cost, 2) if cost > 0 else None,
                "cost_per_win": money(cost / int(costed["won"].sum()))
                if int(costed["won"].sum())
                else None,
                # The partner's fees to date on top of its tests' costs (docs/partners.md).
                "fees": money(fee),
                "cost_with_fees": money(all_cost),
                "return_with_fees": round(float(group["value"].sum()) / all_cost, 2)
                if all_cost > 0
                else None,
            }
        )
    partners.sort(key=lambda row: (row["return"] is None, -(row["return"] or 0), row["partner"]))
    costed = frame.dropna(subset=["cost"])
    experiments = [
        {
            "id": int(row.id),
            "name": row.name,
            "partner": row.partner,
            "outcome": row.outcome,
            "decision": row.decision,
            "cost": money(row.cost),
            "value": money(row.value),
            "return": round(row.value / row.cost, 2) if row.cost > 0 else None,
        }
        for row in costed.sort_values("concluded_at", ascending=False).head(50).itertuples()
    ]
    total_cost = float(costed["cost"].sum())
    data = {
        "concluded": len(frame),
        "with_cost": len(costed),
        "cost": money(total_cost),
        "value": money(costed["value"].sum()),
        "return": round(float(costed["value"].sum()) / total_cost, 2) if total_cost > 0 else None,
        "partners": partners,
        "experiments": experiments,
    }
    data["reading"] = _reading(data)
    return data


def _reading(data: dict) -> str:
    if not data["concluded"]:
        return "No experiment has been concluded yet: nothing to compare partners on."
    if not data["with_cost"]:
        return (
            f"{data['concluded']} concluded experiments, none with a recorded cost: record build "
            "and media cost on the experiment page to see the return per partner."
        )
    ranked = [row for row in data["partners"] if row["return"] is not None]
    parts = [
        f"Across {data['with_cost']} concluded experiments with a recorded cost, every unit "
        f"spent brought back {data['return']:.1f} in value in the first year."
    ]
    if len(ranked) >= 2:
        best, worst = ranked[0], ranked[-1]
        parts.append(
            f"{best['partner']} returns the most ({best['return']:.1f} per unit, "
            f"{best['win_rate']:.0%} of its tests won); {worst['partner']} the least "
            f"({worst['return']:.1f})."
        )
    return " ".join(parts)


PARTNERS = register(
    Insight(
        name="partners",
        title="Partners and cost",
        question="Which agency partner or in-house team delivers the most for what it costs?",
        compute=compute,
        template="programme/insights/_partners.html",
        terms=("shrunk",),
    )
)
