"""Segment traffic-capacity planner: how much traffic each segment has left, and when each
queued experiment can start and be decided (docs/insights.md)."""

import datetime as dt
import math

import pandas as pd

from experiments.design import DAYS_PER_MONTH, design_for
from experiments.models import ExperimentStatus, Metric, Outcome, Segment

from ..portfolio.impact import ImpactModel, as_float, forecast_impact, win_probability
from ..stats.capacity import plan_segment
from .registry import Insight, register

S = ExperimentStatus
# Approved experiments are committed and go first; the designed backlog follows.
QUEUED = (S.APPROVED, S.IN_REVIEW, S.DRAFT)
# What the page lists per segment (the API keeps every row).
SHOWN_PER_SEGMENT = 25


def _none(value):
    """pandas' missing values (NaN, NaT, None) as None, for JSON and for the design inputs."""
    return None if value is None or pd.isna(value) else value


def _team_win_probabilities(experiments: pd.DataFrame) -> dict:
    concluded = experiments[experiments["status"] == S.CONCLUDED]
    counts = concluded.groupby("team_id", dropna=False)["outcome"].agg(
        concluded="size", won=lambda o: int((o == Outcome.WON).sum())
    )
    p_win = {
        team: win_probability(won=int(row.won), concluded=int(row.concluded))
        for team, row in counts.iterrows()
    }
    return p_win


def _design_row(row, weights: list[float]):
    return design_for(
        metric_kind=row.metric_kind,
        baseline=_none(row.baseline),
        mde=_none(row.expected_lift),
        baseline_sd=_none(row.baseline_sd),
        alpha=float(row.alpha),
        power=float(row.power),
        daily_traffic=None if pd.isna(row.daily_traffic) else int(row.daily_traffic),
        weights=weights,
    )


def compute_capacity(history) -> dict:
    today: dt.date = history.today
    experiments = history.experiments.drop(columns=["segment_id"]).merge(
        history.experiment_designs.rename(columns={"segment_ref": "segment_id"}), on="id"
    )
    segments = history.segments
    teams = history.team_names
    team_of_segment = dict(zip(segments["id"], segments["owner_team_id"], strict=True))
    experiments["team_id"] = experiments["segment_id"].map(team_of_segment)
    p_win_by_team = _team_win_probabilities(experiments)

    active = experiments[experiments["status"].isin([S.RUNNING, *QUEUED])]
    weights = (
        history.variant_weights[history.variant_weights["experiment_id"].isin(active["id"])]
        .groupby("experiment_id")["weight"]
        .apply(list)
        .to_dict()
    )
    running, queued, unplanned = {}, {}, {}
    for row in active.itertuples(index=False):
        design = _design_row(row, weights.get(row.id, []))
        segment_id = _none(row.segment_id)
        if design is None or segment_id is None:
            unplanned[segment_id] = unplanned.get(segment_id, 0) + 1
            continue
        if row.status == S.RUNNING:
            started = _none(row.start_date) or today
            due = started + dt.timedelta(days=design.duration_days)
            running.setdefault(segment_id, []).append(
                {
                    "id": int(row.id),
                    "name": row.name,
                    "daily": int(row.daily_traffic),
                    "days_left": max(1, (due - today).days),
                }
            )
            continue
        model = ImpactModel(
            reach_per_year=_none(row.reach_per_year),
            baseline=_none(row.baseline),
            value_per_conversion=as_float(_none(row.value_per_conversion)),
            metric_kind=row.metric_kind,
            higher_is_better=row.metric_direction != Metric.Direction.LOWER,
        )
        p_win = p_win_by_team.get(_none(row.team_id), win_probability(won=0, concluded=0))
        value = forecast_impact(model, p_win=p_win, expected_lift=_none(row.expected_lift))
        queued.setdefault(segment_id, []).append(
            {
                "id": int(row.id),
                "name": row.name,
                "status": row.status,
                "status_label": S(row.status).label,
                "daily": int(row.daily_traffic),
                "days": design.duration_days,
                "sample": design.total_sample_size,
                "expected_value": None if value is None else round(value, 2),
                "value_per_user": None
                if value is None
                else round(value / design.total_sample_size, 6),
            }
        )

    plans = []
    for segment in segments.itertuples(index=False):
        if segment.status != Segment.Status.ACTIVE:
            continue
        plan = _segment_plan(
            segment,
            running.get(segment.id, []),
            queued.get(segment.id, []),
            today,
            team=teams.get(segment.owner_team_id, ""),
            unplanned=unplanned.get(segment.id, 0),
        )
        plans.append(plan)
    return {
        "today": today.isoformat(),
        "segments": plans,
        "reading": _reading(plans),
    }


def _priority(item: dict) -> tuple:
    value = item["value_per_user"]
    return (item["status"] != S.APPROVED, value is None, -(value or 0.0), item["id"])


def _segment_plan(segment, running, queue, today, *, team, unplanned) -> dict:
    reach = segment.monthly_reach / DAYS_PER_MONTH
    queue = sorted(queue, key=_priority)
    plan = plan_segment(
        reach=reach,
        running_daily=[r["daily"] for r in running],
        running_days_left=[r["days_left"] for r in running],
        queue_daily=[q["daily"] for q in queue],
        queue_days=[q["days"] for q in queue],
    )
    for rank, item in enumerate(queue, start=1):
        i = rank - 1
        item["rank"] = rank
        item["planned_daily"] = round(float(plan.daily[i]), 1)
        item["planned_days"] = int(plan.days[i])
        item["start_on"] = (today + dt.timedelta(days=int(plan.start_day[i]))).isoformat()
        item["decision_on"] = (today + dt.timedelta(days=int(plan.end_day[i]))).isoformat()
    for item in running:
        item["ends_on"] = (today + dt.timedelta(days=item["days_left"])).isoformat()
    taken = min(reach, sum(r["daily"] for r in running))
    starting_now = [q for q in queue if q["start_on"] == today.isoformat()]
    typical = sorted(q["planned_daily"] for q in queue)
    return {
        "id": int(segment.id),
        "name": segment.name,
        "team": team,
        "daily_reach": round(reach, 1),
        "running_daily": round(taken, 1),
        "free_daily": round(reach - taken, 1),
        "running": running,
        "queue": queue,
        "unplanned": unplanned,
        "can_start_now": len(starting_now),
        # How many tests of the queue's median size the whole reach carries side by side.
        "at_once": math.floor(reach / typical[len(typical) // 2]) if typical else None,
        "last_decision_on": max((q["decision_on"] for q in queue), default=None),
    }


def _reading(plans: list[dict]) -> str:
    queued = sum(len(p["queue"]) for p in plans)
    if not plans:
        return "No active segment: launch a segment to plan experiments in it."
    if not queued:
        return (
            f"Nothing is queued in the {len(plans)} active segments: every designed experiment "
            "is running or decided. Design the next ones from the backlog."
        )
    latest = max((p for p in plans if p["last_decision_on"]), key=lambda p: p["last_decision_on"])
    ready = sum(p["can_start_now"] for p in plans)
    waits = latest["last_decision_on"]
    return (
        f"{queued} designed experiment{'s' if queued != 1 else ''} wait in "
        f"{sum(1 for p in plans if p['queue'])} segments; {ready} could start today on the "
        f"traffic left over. The furthest-out decision is in “{latest['name']}” "
        f"({len(latest['queue'])} queued on about {latest['daily_reach']:,.0f} people a day): "
        f"{dt.date.fromisoformat(waits):%-d %b %Y}. Within a segment the queue runs in order of "
        "expected value per person of traffic, approved experiments first."
    )


def capacity_charts(data: dict) -> list:
    from ..charts.insights_ops import capacity_timelines

    return capacity_timelines(data)


capacity = register(
    Insight(
        name="capacity",
        title="Segment traffic capacity",
        question="How much traffic does each segment have left, and when can each queued "
        "experiment start and be decided?",
        compute=compute_capacity,
        charts=capacity_charts,
        template="analytics/insights/_capacity.html",
    )
)
