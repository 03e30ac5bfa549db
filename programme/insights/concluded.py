"""The concluded experiments as one table, shared by the calibration, false-wins and partners
insights: each with its hypothesis's scores, its measured and shrunk lift, when it was
decided, who ran it and what it cost."""

import numpy as np
import pandas as pd

from experiments.models import Decision, ExperimentStatus, Metric, Outcome
from experiments.scores import ice, rice

from ..portfolio.shrinkage import ProgrammeShrinkage, programme_shrinkage
from .history import ProgrammeHistory


def concluded_experiments(history: ProgrammeHistory) -> pd.DataFrame:
    """The table below, built once per roll-up (three insights read it); each caller gets its
    own copy to add columns to."""
    if not hasattr(history, "_concluded_experiments"):
        history._concluded_experiments = _concluded_experiments(history)
    return history._concluded_experiments.copy()


def programme_shrinkage_of(history: ProgrammeHistory) -> ProgrammeShrinkage:
    """The shrinkage of every concluded experiment's lift, fitted once per roll-up."""
    if not hasattr(history, "_shrinkage"):
        history._shrinkage = programme_shrinkage(history.primary_results.to_dict("records"))
    return history._shrinkage


def _concluded_experiments(history: ProgrammeHistory) -> pd.DataFrame:
    """One row per concluded experiment, in the order the decisions were taken.

    Columns beyond the history's: ``ice``, ``rice``, ``impact``, ``confidence``, ``ease``,
    ``scorer_id`` (who last scored the hypothesis, else its author), ``won``, ``scaled``,
    ``improvement``, ``standard_error``, ``shrunk``, ``prob_no_gain``, ``p_value`` (the one the
    experiment's method reads), ``concluded_at``, ``cycle_days`` (first submit to conclusion),
    ``cost`` (build + media; NaN when neither was recorded), ``partner`` and ``partner_kind``.
    """
    experiments = history.experiments
    frame = experiments[experiments["status"] == ExperimentStatus.CONCLUDED].copy()
    hypotheses = history.hypotheses.set_index("id")
    scores = hypotheses.loc[frame["hypothesis_id"]]
    # An experiment that names no objective or segment serves its hypothesis's.
    frame["objective_id"] = frame["objective_id"].fillna(
        pd.Series(scores["objective_id"].to_numpy(), index=frame.index)
    )
    frame["segment_id"] = frame["segment_id"].fillna(
        pd.Series(scores["segment_id"].to_numpy(), index=frame.index)
    )
    frame["impact"] = scores["impact"].to_numpy()
    frame["confidence"] = scores["confidence"].to_numpy()
    frame["ease"] = scores["ease"].to_numpy()
    frame["ice"] = ice(frame["impact"], frame["confidence"], frame["ease"])
    reach, effort = scores["reach"].to_numpy(dtype=float), scores["effort"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["rice"] = rice(reach, frame["impact"], frame["confidence"], effort)
    scorer = scores["scored_by_id"].fillna(scores["author_id"])
    frame["scorer_id"] = scorer.astype("Int64").to_numpy()
    frame["won"] = frame["outcome"] == Outcome.WON
    frame["scaled"] = frame["decision"] == Decision.SCALE

    results = history.primary_results.set_index("experiment_id")
    shrinkage = programme_shrinkage_of(history)
    ids = frame["id"].to_numpy()
    lifts = [shrinkage.lifts.get(int(i)) for i in ids]
    frame["improvement"] = [lift.improvement if lift else np.nan for lift in lifts]
    frame["standard_error"] = [
        lift.standard_error if lift and lift.standard_error else np.nan for lift in lifts
    ]
    frame["shrunk"] = [lift.shrunk if lift else np.nan for lift in lifts]
    frame["prob_no_gain"] = [
        lift.prob_no_gain if lift and lift.prob_no_gain is not None else np.nan for lift in lifts
    ]
    frame["p_value"] = [_p_value(results, int(i)) for i in ids]

    # Times as UTC datetimes even when a table is empty (pandas cannot tell its type then).
    trail = history.status_changes
    trail_at = pd.to_datetime(trail["created_at"], utc=True)
    first = {
        step: trail_at[trail["step"] == step].groupby(trail["experiment_id"]).min()
        for step in ("submit", "conclude")
    }
    created = pd.to_datetime(frame["created_at"], utc=True)
    frame["concluded_at"] = _lookup(first["conclude"], frame["id"]).fillna(created)
    cycle = frame["concluded_at"] - _lookup(first["submit"], frame["id"])
    frame["cycle_days"] = cycle.dt.total_seconds() / 86400

    build = frame["build_cost"].astype(float)
    media = frame["media_cost"].astype(float)
    frame["cost"] = build.fillna(0) + media.fillna(0)
    frame.loc[build.isna() & media.isna(), "cost"] = np.nan

    segments = history.segments.set_index("id")
    team_ids = frame["segment_id"].map(segments["owner_team_id"])
    agency = frame["executed_by"] == "agency"
    frame["partner_kind"] = np.where(agency, "agency", "in_house")
    frame["partner_id"] = frame["partner_id"].where(agency)
    frame["partner"] = np.where(
        agency,
        frame["partner_name"].fillna("Unnamed agency"),
        team_ids.map(history.team_names).fillna("In-house (no team)"),
    )
    return frame.sort_values(["concluded_at", "id"]).reset_index(drop=True)


def _lookup(values: pd.Series, keys: pd.Series) -> pd.Series:
    """``values`` looked up by ``keys`` (NaN/NaT where missing), aligned with ``keys``.

    ``Series.map`` with an empty datetime series fails in pandas 3; ``reindex`` does not."""
    return pd.Series(values.reindex(keys.to_numpy()).array, index=keys.index)


def _p_value(results: pd.DataFrame, experiment_id: int) -> float:
    """The p-value the experiment's own method reads: always-valid for sequential, adjusted
    for several treatments, else the plain one."""
    if experiment_id not in results.index:
        return np.nan
    row = results.loc[experiment_id]
    for column in ("sequential_p_value", "p_value_adjusted", "p_value"):
        if column == "sequential_p_value" and row["method"] != "sequential":
            continue
        value = row[column]
        if value is not None and not pd.isna(value):
            return float(value)
    return np.nan


def annual_value(
    history: ProgrammeHistory, frame: pd.DataFrame, improvement: str, *, money: bool = False
) -> pd.Series:
    """The annual value of each row's ``improvement`` column (``programme/portfolio/impact.py``).

    ``money=False`` values it in the objective's unit (the experiment's value per conversion),
    as the ledger does; ``money=True`` through the segment's economics: a conversion is worth
    what one customer acquired in that segment brings (its newest period), falling back to the
    experiment's value per conversion when the segment has no economics.
    """
    models = history.impact_models.set_index("id").loc[frame["id"]]
    value_per_conversion = models["value_per_conversion"].astype(float).to_numpy()
    if money:
        per_customer = frame["segment_id"].map(
            history.segments.set_index("id")["value_per_customer"]
        )
        per_customer = per_customer.astype(float).to_numpy()
        value_per_conversion = np.where(np.isnan(per_customer), value_per_conversion, per_customer)
    reach = models["reach_per_year"].astype(float).to_numpy()
    baseline = models["baseline"].astype(float).to_numpy()
    lift = frame[improvement].to_numpy(dtype=float)
    binomial = (models["metric_kind"] == Metric.Kind.BINOMIAL).to_numpy()
    value = reach * baseline * lift * np.where(binomial, value_per_conversion, 1.0)
    return pd.Series(value, index=frame.index)
