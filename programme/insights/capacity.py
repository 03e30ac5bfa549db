"""Segment traffic-capacity planner: how much traffic each segment has left, and when each
queued experiment can start and be decided (docs/insights.md)."""

import datetime as dt
import math

import numpy as np
import pandas as pd

from analytics.stats import duration_days, sample_size_means, sample_size_proportions
from analytics.stats.capacity import plan_segment
from experiments.design import design_for, segment_daily_reach
from experiments.models import ExperimentStatus, Metric, Outcome, Segment

from ..portfolio.impact import ImpactModel, as_float, forecast_impact, win_probability
from .registry import Insight, register

S = ExperimentStatus
# Approved experiments are committed and go first; the designed backlog follows.
QUEUED = (S.APPROVED, S.IN_REVIEW, S.DRAFT)
# Plans reach five years ahead; what cannot be decided by then is listed as beyond it.
PLAN_HORIZON_DAYS = 5 * 365


def value_per_person(expected_value: float | None, total_sample: int | None) -> float | None:
    """What a test is expected to bring per person of traffic it takes: its forecast value ÷
    its total sample. The planner runs a segment's queue in this order; a stream ranks the
    segments to repeat a winner in by it (docs/streams.md)."""
    if expected_value is None or not total_sample:
        return None
    return round(expected_value / total_sample, 6)


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


def _designs(rows: pd.DataFrame, weights: dict[int, list[float]]) -> dict[int, tuple[int, int]]:
    """{experiment: (days, total sample)}: ``design_for`` over many rows at once, one vectorised
    call per metric kind; a batch holding an input out of range is redone row by row, where
    ``design_for`` leaves that row out. Rows missing an input are left out, as it does."""
    designs: dict[int, tuple[int, int]] = {}
    needed = ["baseline", "expected_lift", "daily_traffic", "alpha", "power"]
    for kind, batch in rows.groupby("metric_kind"):
        inputs = needed + (["baseline_sd"] if kind == Metric.Kind.MEAN else [])
        batch = batch.dropna(subset=inputs)
        batch = batch[batch["daily_traffic"] > 0]
        try:
            designs.update(_vectorised(kind, batch, weights))
        except ValueError:
            for row in batch.itertuples(index=False):
                design = _design_row(row, weights.get(row.id, []))
                if design is not None:
                    designs[row.id] = (design.duration_days, design.total_sample_size)
    return designs


def _vectorised(kind, batch: pd.DataFrame, weights) -> dict[int, tuple[int, int]]:
    if batch.empty:
        return {}
    arms = [weights.get(i) or [0.5, 0.5] for i in batch["id"]]
    alpha, power = batch["alpha"].to_numpy(float), batch["power"].to_numpy(float)
    baseline, mde = batch["baseline"].to_numpy(float), batch["expected_lift"].to_numpy(float)
    if kind == Metric.Kind.BINOMIAL:
        per_variant = sample_size_proportions(baseline, mde, alpha=alpha, power=power)
    else:
        sd = batch["baseline_sd"].to_numpy(float)
        per_variant = sample_size_means(sd, baseline * mde, alpha=alpha, power=power)
    # What the smallest arm needs, as one "arm" of weight 1: n / min(weights) people in all.
    smallest = np.array([min(w) for w in arms])
    days = duration_days(per_variant / smallest, batch["daily_traffic"].to_numpy(float), (1.0,))
    totals = per_variant * np.array([max(len(w), 2) for w in arms])
    return {int(i): (int(d), int(t)) for i, d, t in zip(batch["id"], days, totals, strict=True)}


def _waiting_for_traffic(experiments, changes):
    """Running tests and the queue. A design sent back to its operator waits for rework, not
    for traffic (a killed one is out by its status): the draft leaves the queue until it is
    submitted again."""
    active = experiments[experiments["status"].isin([S.RUNNING, *QUEUED])]
    sent_back = changes.loc[changes["step"] == "request_changes", "experiment_id"]
    return active[~((active["status"] == S.DRAFT) & active["id"].isin(set(sent_back)))]


def _variant_weights(variants) -> dict[int, list[float]]:
    weights: dict[int, list[float]] = {}
    pairs = zip(variants["experiment_id"].tolist(), variants["weight"].tolist(), strict=True)
    for experiment_id, weight in pairs:
        weights.setdefault(experiment_id, []).append(weight)
    return weights


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

    active = _waiting_for_traffic(experiments, history.status_changes)
    designs = _designs(active, _variant_weights(history.variant_weights))
    running, queued, unplanned = {}, {}, {}
    for row in active.itertuples(index=False):
        design = designs.get(row.id)
        segment_id = _none(row.segment_id)
        if design is None or segment_id is None:
            unplanned[segment_id] = unplanned.get(segment_id, 0) + 1
            continue
        duration, total_sample = design
        if row.status == S.RUNNING:
            started = _none(row.start_date) or today
            due = started + dt.timedelta(days=duration)
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
                "days": duration,
                "sample": total_sample,
                "expected_value": None if value is None else round(value, 2),
                "value_per_user": value_per_person(value, total_sample),
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


def _day(today: dt.date, offset) -> str:
    return (today + dt.timedelta(days=int(offset))).isoformat()


def _segment_plan(segment, running, queue, today, *, team, unplanned) -> dict:
    reach = segment_daily_reach(segment)
    queue = sorted(queue, key=_priority)
    plan = plan_segment(
        reach=reach,
        running_daily=[r["daily"] for r in running],
        running_days_left=[r["days_left"] for r in running],
        queue_daily=[q["daily"] for q in queue],
        queue_days=[q["days"] for q in queue],
        horizon_days=PLAN_HORIZON_DAYS,
    )
    for rank, item in enumerate(queue, start=1):
        i = rank - 1
        planned = plan.start_day[i] >= 0
        item["rank"] = rank
        item["planned_daily"] = round(float(plan.daily[i]), 1)
        item["planned_days"] = int(plan.days[i])
        item["start_on"] = _day(today, plan.start_day[i]) if planned else None
        item["decision_on"] = _day(today, plan.end_day[i]) if planned else None
    for item in running:
        item["ends_on"] = (today + dt.timedelta(days=item["days_left"])).isoformat()
    taken = min(reach, sum(r["daily"] for r in running))
    starting_now = [q for q in queue if q["start_on"] == today.isoformat()]
    typical = sorted(q["daily"] for q in queue)
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
        # How many tests of the queue's median designed traffic the whole reach carries side by
        # side (0: the designs ask for more people a day than the segment has).
        "at_once": math.floor(reach / typical[len(typical) // 2]) if typical else None,
        "last_decision_on": max(
            (q["decision_on"] for q in queue if q["decision_on"]), default=None
        ),
        "beyond_horizon": sum(1 for q in queue if q["decision_on"] is None),
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
    ready = sum(p["can_start_now"] for p in plans)
    text = (
        f"{queued:,} designed experiment{'s' if queued != 1 else ''} wait in "
        f"{sum(1 for p in plans if p['queue'])} segments; {ready} could start today on the "
        "traffic left over."
    )
    dated = [p for p in plans if p["last_decision_on"]]
    if dated:
        latest = max(dated, key=lambda p: p["last_decision_on"])
        text += (
            f" The furthest-out decision is in “{latest['name']}” ({len(latest['queue'])} "
            f"queued on about {latest['daily_reach']:,.0f} people a day): "
            f"{dt.date.fromisoformat(latest['last_decision_on']):%-d %b %Y}."
        )
    beyond = sum(p["beyond_horizon"] for p in plans)
    if beyond:
        text += (
            f" {beyond:,} cannot be decided within {PLAN_HORIZON_DAYS // 365} years on their "
            "segment's traffic."
        )
    return text + (
        " Within a segment the queue runs in order of expected value per person of traffic, "
        "approved experiments first."
    )


capacity = register(
    Insight(
        name="capacity",
        title="Segment traffic capacity",
        question="How much traffic does each segment have left, and when can each queued "
        "experiment start and be decided?",
        compute=compute_capacity,
        template="programme/insights/_capacity.html",
        terms=("p_win", "mde"),
    )
)
