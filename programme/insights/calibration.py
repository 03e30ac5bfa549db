"""Score calibration: did the ICE scores given at triage predict what the experiments did?
(docs/insights.md, "Score calibration")."""

import pandas as pd

from analytics.stats.programme import (
    band_of,
    calibrated_confidence,
    shrunk_rate,
    spearman,
    win_rates_by_band,
)
from experiments.ranking import Calibration, ConfidenceCorrection
from roles.models import Channel

from .concluded import concluded_experiments
from .history import ProgrammeHistory
from .registry import Insight, register
from .run import insight_report
from .values import rounded

# ICE score bands (the score is a mean of three 1–10 ratings).
ICE_EDGES = [1, 4, 5, 6, 7, 8, 10]
# Stated-confidence bands (1–3, 4–5, 6–7, 8–10) that get a corrected confidence.
CONFIDENCE_EDGES = [1, 4, 6, 8, 10]
# How many past experiments a band's own record must outweigh before it leaves the wider rate.
PRIOR_STRENGTH = 5
# The newest measured experiments drawn in the score-against-lift scatter.
POINTS_SHOWN = 500


def compute(history: ProgrammeHistory) -> dict:
    frame = concluded_experiments(history)
    people = history.people_names
    overall_rate = float(frame["won"].mean()) if len(frame) else None
    measured = frame.dropna(subset=["improvement"])
    data = {
        "concluded": len(frame),
        "won": int(frame["won"].sum()),
        "win_rate": rounded(overall_rate),
        "with_lift": len(measured),
        "spearman_ice_lift": rounded(spearman(measured["ice"], measured["improvement"])),
        "spearman_ice_won": rounded(spearman(frame["ice"], frame["won"].astype(float))),
        # RICE where the hypothesis had reach and effort.
        "with_rice": int(measured["rice"].notna().sum()),
        "spearman_rice_lift": rounded(
            spearman(
                measured["rice"].dropna(), measured.loc[measured["rice"].notna(), "improvement"]
            )
        ),
        "bands": _bands(frame),
        "by_scorer": _groups(frame, "scorer_id", lambda key: people.get(int(key), "Unknown")),
        "by_channel": _groups(frame, "channel", lambda key: Channel(key).label),
        "corrected_confidence": _corrected(frame, overall_rate),
        "overrides": _overrides(frame, history),
        # Each measured experiment's score and lift, newest last (the scatter on the page).
        "points": [
            {
                "id": int(row.id),
                "ice": round(float(row.ice), 2),
                "lift": round(float(row.improvement), 4),
                "won": bool(row.won),
            }
            for row in measured.tail(POINTS_SHOWN).itertuples()
        ],
    }
    data["reading"] = _reading(data)
    return data


def _bands(frame: pd.DataFrame) -> list[dict]:
    counts = win_rates_by_band(frame["ice"], frame["won"], ICE_EDGES)
    bands = band_of(frame["ice"], ICE_EDGES)
    rows = []
    for k in range(len(ICE_EDGES) - 1):
        lifts = frame.loc[bands == k, "shrunk"].dropna()
        rows.append(
            {
                "label": _band_label(ICE_EDGES, k),
                "experiments": int(counts["experiments"][k]),
                "wins": int(counts["wins"][k]),
                "win_rate": rounded(counts["win_rate"][k]),
                "mean_lift": rounded(lifts.mean() if len(lifts) else None),
            }
        )
    return rows


def _groups(frame: pd.DataFrame, column: str, label) -> list[dict]:
    rows = []
    for key, group in frame.groupby(column, dropna=True):
        measured = group.dropna(subset=["improvement"])
        stated = float(group["confidence"].mean()) / 10
        won = float(group["won"].mean())
        rows.append(
            {
                "key": str(key),
                "label": label(key),
                "experiments": len(group),
                "wins": int(group["won"].sum()),
                "win_rate": rounded(won),
                "stated_confidence": rounded(stated),
                "overconfidence": rounded(stated - won),
                "spearman_ice_lift": rounded(spearman(measured["ice"], measured["improvement"])),
            }
        )
    return sorted(rows, key=lambda row: (-row["experiments"], row["label"]))


def _corrected(frame: pd.DataFrame, overall_rate: float | None) -> dict:
    """The corrected confidence per stated-confidence band, and per channel within a band.

    A band's win rate is shrunk toward the programme's, a channel's within the band toward the
    band's (``shrunk_rate``, k = PRIOR_STRENGTH); the corrected confidence is 10 × that rate.
    """
    prior = overall_rate if overall_rate is not None else 0.3
    counts = win_rates_by_band(frame["confidence"], frame["won"], CONFIDENCE_EDGES)
    band_rates = shrunk_rate(counts["wins"], counts["experiments"], prior, PRIOR_STRENGTH)
    bands = []
    for k in range(len(CONFIDENCE_EDGES) - 1):
        low, high = _band_bounds(k)
        bands.append(
            {
                "low": low,
                "high": high,
                "label": f"{low}–{high}",
                "experiments": int(counts["experiments"][k]),
                "wins": int(counts["wins"][k]),
                "rate": round(float(band_rates[k]), 4),
                "corrected": round(float(calibrated_confidence(band_rates[k])), 1),
            }
        )
    by_channel = []
    for channel, group in frame.groupby("channel"):
        channel_counts = win_rates_by_band(group["confidence"], group["won"], CONFIDENCE_EDGES)
        rates = shrunk_rate(
            channel_counts["wins"], channel_counts["experiments"], band_rates, PRIOR_STRENGTH
        )
        for k, band in enumerate(bands):
            if channel_counts["experiments"][k] == 0:
                continue  # nothing of its own: the band's figure applies
            by_channel.append(
                {
                    "channel": channel,
                    "channel_label": Channel(channel).label,
                    "low": band["low"],
                    "high": band["high"],
                    "experiments": int(channel_counts["experiments"][k]),
                    "wins": int(channel_counts["wins"][k]),
                    "rate": round(float(rates[k]), 4),
                    "corrected": round(float(calibrated_confidence(rates[k])), 1),
                }
            )
    return {
        "prior_rate": round(prior, 4),
        "default": round(float(calibrated_confidence(prior)), 1),
        "bands": bands,
        "by_channel": by_channel,
    }


def _overrides(frame: pd.DataFrame, history: ProgrammeHistory) -> dict:
    """Decisions the CMO took against the operator's recommendation, and how they turned out;
    and the calls taken against the plan or the verdict, with a reason (:func:`_guarded`)."""
    decided = frame[(frame["recommendation"] != "") & (frame["decision"] != "")]
    against = decided[decided["recommendation"] != decided["decision"]]
    followed = decided[decided["recommendation"] == decided["decision"]]
    rows = [
        {
            "id": int(row.id),
            "name": row.name,
            "recommendation": row.recommendation,
            "decision": row.decision,
            "outcome": row.outcome,
            "lift": rounded(row.improvement),
            "shrunk": rounded(row.shrunk),
        }
        for row in against.itertuples()
    ]
    return {
        "decided": len(decided),
        "against": len(against),
        "against_won": int(against["won"].sum()),
        "against_mean_lift": rounded(against["shrunk"].dropna().mean() if len(against) else None),
        "followed_won": int(followed["won"].sum()),
        "followed": len(followed),
        "followed_mean_lift": rounded(
            followed["shrunk"].dropna().mean() if len(followed) else None
        ),
        "experiments": rows[-50:],
        **_guarded(frame, history),
    }


def _guarded(frame: pd.DataFrame, history: ProgrammeHistory) -> dict:
    """Tests completed before their plan and decisions against the rule's verdict, each with
    the reason given (docs/decisions.md, "Overrides"), and how the decided ones turned out."""
    trail = history.status_changes
    calls = trail[trail["override_reason"] != ""]
    early = calls[calls["step"] == "complete"]
    against = calls[calls["step"] == "conclude"]
    decided = frame.set_index("id")
    against_decided = decided.loc[decided.index.isin(against["experiment_id"])]
    names = dict(zip(history.experiments["id"], history.experiments["name"], strict=True))
    rows = []
    for call in calls.itertuples():
        outcome = decided.loc[call.experiment_id] if call.experiment_id in decided.index else None
        rows.append(
            {
                "id": int(call.experiment_id),
                "name": names.get(call.experiment_id, ""),
                "step": call.step,
                "reason": call.override_reason,
                "outcome": "" if outcome is None else outcome["outcome"],
                "shrunk": None if outcome is None else rounded(outcome["shrunk"]),
            }
        )
    return {
        "completed_early": len(early),
        "against_verdict": len(against),
        "against_verdict_won": int(against_decided["won"].sum()),
        "against_verdict_mean_lift": rounded(
            against_decided["shrunk"].dropna().mean() if len(against_decided) else None
        ),
        "calls": rows[-50:],
    }


def _reading(data: dict) -> str:
    if not data["concluded"]:
        return "No experiment has been concluded yet, so the scores cannot be checked against outcomes."
    rho = data["spearman_ice_lift"]
    if rho is None:
        trust = "There are too few measured lifts to say whether higher scores meant bigger lifts."
    elif rho >= 0.3:
        trust = f"Higher ICE scores did go with bigger lifts (rank correlation {rho:.2f})."
    elif rho > -0.1:
        trust = (
            f"ICE scores barely predicted the lifts (rank correlation {rho:.2f}): treat the "
            "ranking as a rough guide."
        )
    else:
        trust = f"Higher ICE scores went with smaller lifts (rank correlation {rho:.2f})."
    top = next((b for b in reversed(data["bands"]) if b["experiments"]), None)
    band = (
        f" Ideas scored {top['label']} won {top['win_rate']:.0%} of the time."
        if top and top["win_rate"] is not None
        else ""
    )
    over = max(data["by_scorer"], key=lambda row: row["overconfidence"] or 0, default=None)
    scorer = (
        f" {over['label']} is the most over-confident scorer: stated {over['stated_confidence']:.0%} "
        f"confidence, won {over['win_rate']:.0%}."
        if over and (over["overconfidence"] or 0) > 0.1
        else ""
    )
    overrides = data["overrides"]
    against = (
        f" The CMO went against the operator's recommendation {overrides['against']} times; "
        f"{overrides['against_won']} of those won."
        if overrides["against"]
        else ""
    )
    early, verdict = overrides.get("completed_early", 0), overrides.get("against_verdict", 0)
    guarded = (
        f" Completed before their plan: {early}; decided against the rule's verdict: {verdict};"
        " each with a reason."
        if early or verdict
        else ""
    )
    return (
        f"{data['concluded']} concluded experiments, {data['win_rate']:.0%} won. {trust}{band}"
        f"{scorer}{against}{guarded}"
    )


def _band_label(edges, k: int) -> str:
    low, high = edges[k], edges[k + 1]
    if k == 0:
        return f"under {high}"
    if k == len(edges) - 2:
        return f"{low} and over"
    return f"{low}–{high}"


def _band_bounds(k: int) -> tuple[int, int]:
    low = CONFIDENCE_EDGES[k]
    last = k == len(CONFIDENCE_EDGES) - 2
    return low, CONFIDENCE_EDGES[k + 1] if last else CONFIDENCE_EDGES[k + 1] - 1


CALIBRATION = register(
    Insight(
        name="calibration",
        title="Score calibration",
        question="Can the team's ICE scores be trusted to rank ideas?",
        compute=compute,
        template="programme/insights/_calibration.html",
        terms=("rank_correlation", "shrunk"),
    )
)


def backlog_calibration() -> Calibration | None:
    """The corrected-confidence table of the stored calibration report, for the backlog's
    calibrated order (``experiments/ranking.py``); computed now if it never was. None when the
    stored report has no table (stored by an older version: the next roll-up replaces it)."""
    table = insight_report(CALIBRATION.name).data.get("corrected_confidence")
    if table is None:
        return None
    corrections = [
        ConfidenceCorrection(low=row["low"], high=row["high"], corrected=row["corrected"])
        for row in table["bands"]
    ] + [
        ConfidenceCorrection(
            low=row["low"], high=row["high"], corrected=row["corrected"], channel=row["channel"]
        )
        for row in table["by_channel"]
    ]
    return Calibration(corrections=corrections, default=table["default"])
