"""Post-ship re-checks: did the winners we shipped hold up? (docs/insights.md)"""

import datetime as dt

import pandas as pd

from analytics.stats.rechecks import FADE_SHARE, FADED, HELD, NO_DATA
from experiments.models import Step, is_shipped

from ..portfolio.rechecks import RECHECK_AFTER_DAYS
from .registry import Insight, register
from .values import rounded


def compute_rechecks(history) -> dict:
    today: dt.date = history.today
    experiments = history.experiments.set_index("id")
    shipped = experiments[is_shipped(experiments["status"], experiments["decision"])]
    trail = history.status_changes
    concluded = trail[trail["step"] == Step.CONCLUDE].groupby("experiment_id")["created_at"].min()
    rechecks = history.ship_rechecks
    rows = []
    for r in rechecks.itertuples(index=False):
        retained = (
            None
            if pd.isna(r.lift) or not r.estimated_lift
            else round(float(r.lift / r.estimated_lift), 4)
        )
        rows.append(
            {
                "experiment": int(r.experiment_id),
                "name": experiments.at[r.experiment_id, "name"]
                if r.experiment_id in experiments.index
                else "",
                "after_days": int(r.after_days),
                "shipped_on": r.shipped_on.isoformat(),
                "checked_on": r.checked_on.isoformat(),
                "estimated_lift": rounded(r.estimated_lift, 6),
                "lift": rounded(r.lift, 6),
                "lift_ci_low": rounded(r.lift_ci_low, 6),
                "lift_ci_high": rounded(r.lift_ci_high, 6),
                "retained": retained,
                "users": int(r.users),
                "verdict": r.verdict,
            }
        )
    # The latest re-check of each winner is its standing verdict.
    latest = {row["experiment"]: row for row in rows}
    verdicts = [row["verdict"] for row in latest.values()]
    done = {(row["experiment"], row["after_days"]) for row in rows}
    upcoming = []
    for experiment_id in shipped.index:
        if experiment_id not in concluded.index:
            continue
        shipped_day = pd.Timestamp(concluded[experiment_id]).date()
        for after in RECHECK_AFTER_DAYS:
            if (experiment_id, after) in done:
                continue
            due = shipped_day + dt.timedelta(days=after)
            upcoming.append(
                {
                    "experiment": int(experiment_id),
                    "name": shipped.at[experiment_id, "name"],
                    "after_days": after,
                    "due_on": due.isoformat(),
                    "overdue": due <= today,
                }
            )
            break  # the next one only
    upcoming.sort(key=lambda u: u["due_on"])
    measured = [row["retained"] for row in latest.values() if row["retained"] is not None]
    data = {
        "fade_share": FADE_SHARE,
        "shipped": len(shipped),
        "rechecked": len(latest),
        "held": verdicts.count(HELD),
        "faded": verdicts.count(FADED),
        "no_data": verdicts.count(NO_DATA),
        "median_retained": round(float(pd.Series(measured).median()), 4) if measured else None,
        # Measured ones first, the newest check first; those without data after them.
        "latest": sorted(
            sorted(latest.values(), key=lambda row: row["checked_on"], reverse=True),
            key=lambda row: row["verdict"] == NO_DATA,
        ),
        "rechecks": rows,
        "upcoming": upcoming,
    }
    data["reading"] = _reading(data)
    return data


def _reading(data: dict) -> str:
    if not data["rechecked"]:
        if not data["shipped"]:
            return "No winner has been shipped yet: re-checks start 30 days after a scale decision."
        first = data["upcoming"][0]["due_on"] if data["upcoming"] else None
        return (
            f"{data['shipped']} winner{'s have' if data['shipped'] != 1 else ' has'} shipped; "
            f"none is 30 days old yet"
            + (f" (first re-check on {dt.date.fromisoformat(first):%-d %b %Y})." if first else ".")
        )
    text = (
        f"Of {data['rechecked']} shipped winner{'s' if data['rechecked'] != 1 else ''} re-checked, "
        f"{data['held']} held up and {data['faded']} faded (kept less than "
        f"{data['fade_share']:.0%} of the lift they were shipped on)"
    )
    text += "."
    if data["no_data"]:
        text += (
            f" {data['no_data']} had no data since the ship: without a holdout a winner cannot "
            "be re-checked."
        )
    if data["median_retained"] is not None:
        text += (
            f" The typical winner keeps {data['median_retained']:.0%} of its estimated lift; "
            "the objective ledger counts the re-checked lifts."
        )
    return text


rechecks = register(
    Insight(
        name="rechecks",
        title="Post-ship re-checks",
        question="Did the winners we shipped hold up 30 and 90 days later?",
        compute=compute_rechecks,
        template="programme/insights/_rechecks.html",
        terms=("interval", "shrunk"),
    )
)
