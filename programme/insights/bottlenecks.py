"""Cycle-time bottlenecks: how long ideas spend in each stage from logged to decided, per team
and operator, and which decisions wait past the deadline (docs/insights.md)."""

import pandas as pd
from django.conf import settings
from django.utils import timezone

from analytics.analysis.alerts import decision_deadline
from experiments.models import ExperimentStatus, Step

from .registry import Insight, register

# Each stage: (name, label). A stage runs from the moment it is entered to the moment the next
# is entered: logged (the idea is written down) → backlog (triaged) → designed (an experiment is
# drafted from it) → in review (first submitted) → running (first started) → decided (concluded
# or killed). The first two belong to the hypothesis, the rest to each experiment.
STAGES = (
    ("logged", "Waiting for triage"),
    ("backlog", "In the backlog"),
    ("designed", "Being designed"),
    ("in_review", "In review until started"),
    ("running", "Running until decided"),
)
TREND_MONTHS = 12
DAY = pd.Timedelta(days=1)


def _first(trail: pd.DataFrame, steps) -> pd.Series:
    """Per experiment, the first time one of ``steps`` happened."""
    rows = trail[trail["step"].isin(steps)]
    return rows.groupby("experiment_id")["created_at"].min()


def stage_spells(history) -> pd.DataFrame:
    """One row per completed stage spell: stage, days, when it ended, team, operator."""
    hypotheses = history.hypotheses.set_index("id")
    experiments = history.experiments.set_index("id")
    trail = history.status_changes
    team_of_segment = dict(
        zip(history.segments["id"], history.segments["owner_team_id"], strict=True)
    )

    entered = pd.DataFrame(index=experiments.index)
    entered["designed"] = experiments["created_at"]
    entered["in_review"] = _first(trail, [Step.SUBMIT])
    entered["running"] = _first(trail, [Step.START])
    entered["decided"] = _first(trail, [Step.CONCLUDE, Step.KILL])
    spells = []
    order = ["designed", "in_review", "running", "decided"]
    for stage, following in zip(order, order[1:], strict=False):
        frame = pd.DataFrame(
            {
                "stage": stage,
                "started": entered[stage],
                "ended": entered[following],
                "operator_id": experiments["owner_id"],
                "segment_id": experiments["segment_id"].fillna(
                    experiments["hypothesis_id"].map(hypotheses["segment_id"])
                ),
            }
        )
        spells.append(frame)

    # The hypothesis stages: triage, then the backlog until its first experiment is drafted.
    first_experiment = experiments.reset_index().sort_values("created_at")
    first_experiment = first_experiment.drop_duplicates("hypothesis_id").set_index("hypothesis_id")
    spells.append(
        pd.DataFrame(
            {
                "stage": "logged",
                "started": hypotheses["created_at"],
                "ended": hypotheses["triaged_at"],
                "operator_id": None,
                "segment_id": hypotheses["segment_id"],
            }
        )
    )
    spells.append(
        pd.DataFrame(
            {
                "stage": "backlog",
                "started": hypotheses["triaged_at"],
                "ended": first_experiment["created_at"].reindex(hypotheses.index),
                "operator_id": first_experiment["owner_id"].reindex(hypotheses.index),
                "segment_id": hypotheses["segment_id"],
            }
        )
    )
    spells = pd.concat(spells, ignore_index=True)
    spells = spells.dropna(subset=["started", "ended"])
    spells["started"] = pd.to_datetime(spells["started"], utc=True)
    spells["ended"] = pd.to_datetime(spells["ended"], utc=True)
    spells["days"] = (spells["ended"] - spells["started"]) / DAY
    # An experiment drafted for an idea before it was triaged skipped that wait: no spell.
    spells = spells[spells["days"] >= 0].copy()
    spells["team_id"] = spells["segment_id"].map(team_of_segment)
    return spells


def _medians(spells: pd.DataFrame, by: str | None = None) -> dict:
    if by is None:
        grouped = spells.groupby("stage")["days"]
        medians, counts = grouped.median(), grouped.size()
        return {
            stage: {"median_days": round(float(medians[stage]), 1), "count": int(counts[stage])}
            for stage in counts.index
        }
    rows = spells.dropna(subset=[by]).groupby([by, "stage"])["days"]
    table: dict = {}
    for (key, stage), days in rows:
        table.setdefault(key, {})[stage] = {
            "median_days": round(float(days.median()), 1),
            "count": int(days.size),
        }
    return table


def _row(name: str, stages: dict) -> dict:
    """A table row: each stage in order (median days and passes, 0 passes when none)."""
    cells = [
        {"stage": key, **stages.get(key, {"median_days": None, "count": 0})} for key, _ in STAGES
    ]
    return {"name": name, "cells": cells, "slowest": _slowest(stages)}


def _slowest(medians: dict) -> str | None:
    if not medians:
        return None
    return max(medians, key=lambda stage: medians[stage]["median_days"])


def overdue_decisions(history) -> list[dict]:
    """Completed experiments whose decision waits past the deadline (``decision_deadline``),
    the longest wait first, with the whole days waited since completion."""
    experiments = history.experiments
    waiting = experiments[experiments["status"] == ExperimentStatus.COMPLETED].set_index("id")
    completed_at = pd.to_datetime(
        _first(history.status_changes, [Step.COMPLETE]).reindex(waiting.index), utc=True
    ).dropna()
    late = completed_at[completed_at < decision_deadline(history.today)].sort_values()
    people = history.people_names
    return [
        {
            "id": int(experiment_id),
            "name": waiting.at[experiment_id, "name"],
            "owner": people.get(waiting.at[experiment_id, "owner_id"], ""),
            "recommendation": waiting.at[experiment_id, "recommendation"],
            "days_waiting": (history.today - timezone.localdate(at.to_pydatetime())).days,
        }
        for experiment_id, at in late.items()
    ]


def compute_bottlenecks(history) -> dict:
    spells = stage_spells(history)
    overall = _medians(spells)
    teams = history.team_names
    people = history.people_names
    by_team = _medians(spells, "team_id")
    by_operator = _medians(spells, "operator_id")
    month_start = pd.Timestamp(history.today.replace(day=1), tz="UTC")
    since = month_start - pd.DateOffset(months=TREND_MONTHS - 1)
    recent = spells[spells["ended"] >= since].copy()
    recent["month"] = recent["ended"].dt.strftime("%Y-%m")
    trend = (
        recent.groupby(["month", "stage"])["days"].median().round(1).unstack("stage").sort_index()
    )
    sla = settings.DECISION_SLA_DAYS
    overdue = overdue_decisions(history)
    data = {
        "stages": [{"key": key, "label": label} for key, label in STAGES],
        "overall": overall,
        "slowest": _slowest(overall),
        "teams": sorted(
            (_row(teams.get(key, "No team"), stages) for key, stages in by_team.items()),
            key=lambda row: row["name"],
        ),
        "operators": sorted(
            (_row(people.get(key, "?"), stages) for key, stages in by_operator.items()),
            key=lambda row: row["name"],
        ),
        "trend": {
            "months": list(trend.index),
            "stages": {
                stage: [None if pd.isna(v) else float(v) for v in trend[stage]]
                for stage in trend.columns
            },
        },
        "decision_sla_days": sla,
        "overdue_decisions": overdue,
    }
    data["reading"] = _reading(data)
    return data


def _reading(data: dict) -> str:
    labels = dict(STAGES)
    if not data["slowest"]:
        return "No stage has been completed yet: cycle times appear once ideas move on."
    slowest = data["overall"][data["slowest"]]
    text = (
        f"Ideas spend longest {labels[data['slowest']].lower()}: a median of "
        f"{slowest['median_days']:g} days over {slowest['count']} passes. "
    )
    overdue = data["overdue_decisions"]
    if overdue:
        text += (
            f"{len(overdue)} decision{'s' if len(overdue) != 1 else ''} "
            f"{'have' if len(overdue) != 1 else 'has'} waited longer than the "
            f"{data['decision_sla_days']}-day deadline, the oldest "
            f"“{overdue[0]['name']}” for {overdue[0]['days_waiting']} days."
        )
    else:
        text += f"No decision has waited longer than the {data['decision_sla_days']}-day deadline."
    return text


bottlenecks = register(
    Insight(
        name="bottlenecks",
        title="Cycle-time bottlenecks",
        question="Where do ideas wait on their way from logged to decided, and which decisions "
        "are overdue?",
        compute=compute_bottlenecks,
        template="programme/insights/_bottlenecks.html",
    )
)
