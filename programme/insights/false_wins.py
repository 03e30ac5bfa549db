"""False wins across the programme: LORD++ over the stream of decisions, and empirical-Bayes
shrinkage of the lifts (docs/insights.md, "False wins")."""

from analytics.stats.programme import lord_next_level, lord_plus_plus
from experiments.models import Objective

from ..models import InsightReport
from .concluded import annual_value, concluded_experiments, programme_shrinkage_of
from .history import ProgrammeHistory
from .registry import Insight, register
from .values import money, rounded

# The false discovery rate the programme holds itself to.
FDR_LEVEL = 0.05


def compute(history: ProgrammeHistory) -> dict:
    frame = concluded_experiments(history)
    tested = frame.dropna(subset=["p_value"]).reset_index(drop=True)
    lord = lord_plus_plus(tested["p_value"].to_numpy(), alpha=FDR_LEVEL)
    tested["level"] = lord.levels
    tested["discovery"] = lord.discoveries
    year = history.today.year
    this_year = tested[tested["concluded_at"].dt.year == year]
    wins = frame[frame["won"] & (frame["concluded_at"].dt.year == year)]
    unbacked = this_year[this_year["won"] & ~this_year["discovery"]]
    shrinkage = programme_shrinkage_of(history)

    scaled = frame[frame["scaled"]].dropna(subset=["improvement"])
    raw_value = annual_value(history, scaled, "improvement")
    shrunk_value = annual_value(history, scaled, "shrunk")
    names = dict(Objective.objects.values_list("id", "name"))
    units = dict(Objective.objects.values_list("id", "unit"))
    by_objective = []
    objective_ids = scaled["objective_id"]
    for objective_id in sorted(objective_ids.dropna().unique()):
        members = objective_ids == objective_id
        by_objective.append(
            {
                "objective": int(objective_id),
                "name": names.get(int(objective_id), "—"),
                "unit": units.get(int(objective_id), ""),
                "scaled": int(members.sum()),
                "raw": money(raw_value[members].sum()),
                "shrunk": money(shrunk_value[members].sum()),
            }
        )

    data = {
        "fdr_level": FDR_LEVEL,
        "year": year,
        "decisions": len(tested),
        "discoveries": int(lord.discoveries.sum()),
        "wins_this_year": len(wins),
        "discoveries_this_year": int(this_year["discovery"].sum()),
        "wins_not_backed_this_year": len(unbacked),
        "expected_false_wins_this_year": rounded(wins["prob_no_gain"].fillna(0).sum(), 2),
        "wins_without_interval_this_year": int(wins["prob_no_gain"].isna().sum()),
        "fdr_bound_this_year": rounded(FDR_LEVEL * this_year["discovery"].sum(), 2),
        "prior_mean": rounded(shrinkage.prior_mean),
        "prior_sd": rounded(shrinkage.prior_sd),
        "fitted_on": shrinkage.fitted_on,
        "next_level": rounded(lord_next_level(tested["p_value"].to_numpy(), alpha=FDR_LEVEL), 8),
        "stream": [
            {
                "t": i + 1,
                "id": int(row.id),
                "name": row.name,
                "concluded_on": row.concluded_at.date().isoformat(),
                "p_value": rounded(row.p_value, 6),
                "level": rounded(row.level, 6),
                "discovery": bool(row.discovery),
                "won": bool(row.won),
            }
            for i, row in enumerate(tested.itertuples())
        ],
        "lifts": [
            {
                "id": int(row.id),
                "name": row.name,
                "outcome": row.outcome,
                "lift": rounded(row.improvement),
                "shrunk": rounded(row.shrunk),
                "prob_no_gain": rounded(row.prob_no_gain),
            }
            for row in frame.dropna(subset=["improvement"])
            .sort_values("improvement", ascending=False)
            .head(30)
            .itertuples()
        ],
        "by_objective": by_objective,
    }
    data["reading"] = _reading(data)
    return data


def false_win_level_of(experiment) -> float | None:
    """The programme's false-win level for ``experiment``'s decision, from the stored report:
    the LORD++ level it was tested at once it is in the stream of concluded decisions, else the
    level of the next decision; None before the insight's first run (docs/decisions.md)."""
    data = InsightReport.objects.filter(name="false-wins").values_list("data", flat=True).first()
    if not data:
        return None
    for decision in data.get("stream", []):
        if decision["id"] == experiment.pk:
            return decision["level"]
    return data.get("next_level")


def _reading(data: dict) -> str:
    if not data["decisions"]:
        return "No concluded experiment has a p-value yet, so there is no stream to control."
    parts = [
        f"{data['wins_this_year']} experiments were called wins in {data['year']}; about "
        f"{data['expected_false_wins_this_year']:.1f} of them are likely false (no real gain "
        "once the lifts are shrunk toward the programme's typical lift)."
    ]
    if data["wins_not_backed_this_year"]:
        parts.append(
            f"{data['wins_not_backed_this_year']} of this year's wins would not pass the "
            f"programme-wide LORD++ level that keeps false discoveries under "
            f"{data['fdr_level']:.0%}."
        )
    else:
        parts.append(
            f"Every win this year passes the programme-wide LORD++ level "
            f"(false discoveries held under {data['fdr_level']:.0%})."
        )
    totals = data["by_objective"]
    if totals:
        raw = sum(row["raw"] for row in totals)
        shrunk = sum(row["shrunk"] for row in totals)
        if raw > 0:
            parts.append(
                f"Shrinking the lifts takes the realised impact to {shrunk / raw:.0%} of the "
                "measured total."
            )
    return " ".join(parts)


FALSE_WINS = register(
    Insight(
        name="false-wins",
        title="False wins",
        question="How many of the year's wins are likely false, and what are they really worth?",
        compute=compute,
        template="programme/insights/_false_wins.html",
        terms=("lord", "false_discovery", "shrunk", "typical_lift", "interval"),
    )
)
