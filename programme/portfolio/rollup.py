"""The nightly programme roll-up (docs/portfolio.md).

``portfolio_rollup_run`` computes the programme's numbers for every slice (the whole
programme, each objective, segment, channel, team and operator) and stores them as
``PortfolioRollup`` rows for one day; pages and the API read those rows, never recompute.
It reads the database in a fixed handful of queries — experiments, the audit trail, the
latest results of scaled experiments and the slices' labels — whatever the programme's size.
"""

import datetime as dt
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from experiments.models import (
    IN_FLIGHT,
    Experiment,
    ExperimentStatus,
    Metric,
    Objective,
    Outcome,
    Segment,
    StatusChange,
    is_shipped,
    segment_path,
)
from roles.models import Channel, Role, Team, User

from ..models import PortfolioRollup
from .impact import ImpactModel, as_float, forecast_impact, realised_impact, win_probability
from .rechecks import rechecked_lifts
from .shrinkage import lifts_that_count, programme_shrinkage

Dimension = PortfolioRollup.Dimension
S = ExperimentStatus

VELOCITY_DAYS = 30

# Each stage: (name, the step that opens it, the step that closes it).
STAGES = (
    ("review", "submit", "approve"),
    ("wait", "approve", "start"),
    ("run", "start", "complete"),
    ("decide", "complete", "conclude"),
)
STAGE_STEPS = ("submit", "approve", "start", "complete", "conclude")


@dataclass
class _Experiment:
    """One experiment's facts, gathered once and added into each of its six slices."""

    id: int
    status: str
    outcome: str
    decision: str
    objective_id: int | None
    segment_id: int | None
    channel: str
    owner_id: int
    team_id: int | None = None
    model: ImpactModel | None = None
    expected_lift: float | None = None
    stage_days: dict[str, float] = field(default_factory=dict)
    started_recently: bool = False
    concluded_recently: bool = False
    forecast: float | None = None
    realised: tuple[float, float, float] | None = None
    realised_shrunk: float | None = None  # the shrunk lift's value (docs/insights.md)
    forecast_expected: float | None = None  # the forecast with the MDE shrunk as winners' lifts
    forecast_if_all_win: float | None = None  # the MDE's value, as if the test surely won
    rechecked: bool = False  # realised from a post-ship re-check, not the decision's estimate
    has_result: bool = False

    @property
    def scaled(self) -> bool:
        return is_shipped(self.status, self.decision)


def portfolio_rollup_run(
    progress: Callable[[int, int], None] | None = None, today: dt.date | None = None
) -> dict:
    """Compute every slice's numbers and store them for ``today``, replacing that day's rows.

    Counts reflect the experiments as they are now; ``today`` (default: the local date)
    closes the 30-day velocity window, bounds the audit trail read, and dates the rows.
    Returns a JSON-able summary for the task's result.
    """
    started = time.perf_counter()
    today = today or timezone.localdate()
    window_start = _start_of(today - dt.timedelta(days=VELOCITY_DAYS - 1))
    window_end = _start_of(today + dt.timedelta(days=1))

    segments = {s.pk: s for s in Segment.objects.all()}
    experiments = _experiments(segments)
    _add_audit_trail(experiments, window_start, window_end)
    p_win_by_team = _win_probabilities(experiments.values())
    for e in experiments.values():
        if e.status in IN_FLIGHT:
            e.forecast = forecast_impact(
                e.model, p_win=p_win_by_team[e.team_id], expected_lift=e.expected_lift
            )
    counted = lifts_that_count()
    _add_realised(experiments, counted)
    retention = _add_realised_shrunk(experiments, counted)
    _add_forecast_range(experiments.values(), retention)

    slices = _slices(experiments.values(), segments)
    total = len(slices)
    rows = []
    for done, ((dimension, key), (label, members)) in enumerate(slices.items(), start=1):
        data = _slice_numbers(members)
        data["winner_retention"] = round(retention, 4)
        if dimension == Dimension.TEAM:
            data["p_win"] = round(p_win_by_team[int(key)], 4)
        rows.append(
            PortfolioRollup(computed_on=today, dimension=dimension, key=key, label=label, data=data)
        )
        if progress is not None:
            progress(done, total)
    _store(today, rows)
    return {
        "computed_on": today.isoformat(),
        "experiments": len(experiments),
        "rows": len(rows),
        "seconds": round(time.perf_counter() - started, 3),
    }


def _experiments(segments: dict[int, Segment], ids=None) -> dict[int, _Experiment]:
    """Every experiment's facts (or those of ``ids``) in one query; objective, segment and
    metric fall back to the hypothesis's when the experiment leaves them empty."""
    rows = (Experiment.objects if ids is None else Experiment.objects.filter(pk__in=ids)).annotate(
        objective_ref=Coalesce("objective_id", "hypothesis__objective_id"),
        segment_ref=Coalesce("segment_id", "hypothesis__segment_id"),
        metric_kind=Experiment.deciding_metric_column("kind"),
        metric_direction=Experiment.deciding_metric_column("direction"),
        expected_lift=Coalesce("mde", "hypothesis__expected_mde"),
    ).values(
        "id", "status", "outcome", "decision", "objective_ref", "segment_ref",
        "hypothesis__channel", "owner_id", "metric_kind", "metric_direction", "expected_lift",
        "reach_per_year", "baseline", "value_per_conversion",
    )  # fmt: skip
    experiments = {}
    for row in rows.order_by():
        segment = segments.get(row["segment_ref"])
        experiments[row["id"]] = _Experiment(
            id=row["id"],
            status=row["status"],
            outcome=row["outcome"],
            decision=row["decision"],
            objective_id=row["objective_ref"],
            segment_id=row["segment_ref"],
            channel=row["hypothesis__channel"],
            owner_id=row["owner_id"],
            team_id=segment.owner_team_id if segment else None,
            model=ImpactModel(
                reach_per_year=row["reach_per_year"],
                baseline=row["baseline"],
                value_per_conversion=as_float(row["value_per_conversion"]),
                metric_kind=row["metric_kind"],
                higher_is_better=row["metric_direction"] != Metric.Direction.LOWER,
            ),
            expected_lift=row["expected_lift"],
        )
    return experiments


def _add_audit_trail(experiments: dict[int, _Experiment], window_start, window_end) -> None:
    """Stage durations and recent starts/conclusions from one pass over the audit trail.

    Each stage runs from the first time its opening step happened to the first time its
    closing step happened (so review includes any rounds of requested changes).
    """
    firsts: dict[int, dict[str, dt.datetime]] = defaultdict(dict)
    trail = (
        StatusChange.objects.filter(step__in=STAGE_STEPS, created_at__lt=window_end)
        .order_by("created_at", "id")
        .values_list("experiment_id", "step", "created_at")
    )
    for experiment_id, step, at in trail.iterator(chunk_size=5000):
        firsts[experiment_id].setdefault(step, at)
    for experiment_id, steps in firsts.items():
        e = experiments.get(experiment_id)
        if e is None:
            continue
        for stage, opened_by, closed_by in STAGES:
            opened, closed = steps.get(opened_by), steps.get(closed_by)
            if opened is not None and closed is not None and closed >= opened:
                e.stage_days[stage] = (closed - opened).total_seconds() / 86400
        e.started_recently = _since(steps.get("start"), window_start)
        e.concluded_recently = _since(steps.get("conclude"), window_start)


def experiment_impacts(ids, *, p_win_by_team: dict) -> dict[int, _Experiment]:
    """Forecast (in flight) and realised (scaled) impact of the experiments ``ids``, by the same
    rules as the roll-up; ``p_win_by_team`` is the P(win) the roll-up stored for each team.

    For pages that list a few experiments beside their objective's stored sums (a fixed number
    of queries, whatever ``ids`` holds)."""
    ids = list(ids)
    if not ids:
        return {}
    segments = {s.pk: s for s in Segment.objects.only("pk", "parent_id", "owner_team_id")}
    experiments = _experiments(segments, ids)
    for e in experiments.values():
        if e.status in IN_FLIGHT:
            p_win = p_win_by_team.get(e.team_id, win_probability(won=0, concluded=0))
            e.forecast = forecast_impact(e.model, p_win=p_win, expected_lift=e.expected_lift)
    _add_realised(experiments, lifts_that_count(ids))
    return experiments


def win_rate(*, won: int, concluded: int) -> float | None:
    """Won ÷ concluded, 4 decimals; None when nothing was concluded (killed ones do not count)."""
    return round(won / concluded, 4) if concluded else None


def _win_probabilities(experiments: Iterable[_Experiment]) -> dict[int | None, float]:
    won, concluded = defaultdict(int), defaultdict(int)
    for e in experiments:
        if e.status == S.CONCLUDED:
            concluded[e.team_id] += 1
            won[e.team_id] += e.outcome == Outcome.WON
    teams = set(Team.objects.values_list("pk", flat=True)) | set(concluded) | {None}
    return {t: win_probability(won=won[t], concluded=concluded[t]) for t in teams}


def _add_realised(experiments: dict[int, _Experiment], counted: list[dict]) -> None:
    """Each scaled experiment's lift that counts (``counted``: :func:`lifts_that_count`), or its
    latest post-ship re-check once there is one (``rechecks.py``)."""
    best = {
        row["experiment_id"]: (row["lift"], row["lift_ci_low"], row["lift_ci_high"])
        for row in counted
        if row["experiment_id"] in experiments and experiments[row["experiment_id"]].scaled
    }
    # A shipped winner re-checked since its decision counts with what it measures now.
    for experiment_id, measured in rechecked_lifts().items():
        if experiment_id in best:
            best[experiment_id] = measured
            experiments[experiment_id].rechecked = True
    for experiment_id, (lift, low, high) in best.items():
        e = experiments[experiment_id]
        e.has_result = True
        e.realised = realised_impact(e.model, lift=lift, lift_ci_low=low, lift_ci_high=high)


def _add_realised_shrunk(experiments: dict[int, _Experiment], counted: list[dict]) -> float:
    """The annual value of each scaled experiment's lift after empirical-Bayes shrinkage
    toward the prior of every concluded one (``counted``). Returns the winners' retention
    (:func:`winner_retention`)."""
    shrinkage = programme_shrinkage(counted)
    for experiment_id, lift in shrinkage.lifts.items():
        e = experiments.get(experiment_id)
        if e is not None and e.scaled and e.realised is not None:
            # ``shrunk`` is already an improvement (sign flipped for lower-is-better metrics).
            e.realised_shrunk = e.model.annual_value(lift.shrunk)
    # A re-check measured the shipped change afresh, on data no decision was selected on: the
    # winner's curse that shrinkage corrects does not apply, so both totals count it as measured.
    for e in experiments.values():
        if e.rechecked and e.realised is not None:
            e.realised_shrunk = e.realised[0]
    return winner_retention(experiments, shrinkage)


def winner_retention(experiments: dict[int, _Experiment], shrinkage) -> float:
    """How much of a winner's measured lift survives shrinkage, over the programme's won
    experiments with an interval: Σ shrunk ÷ Σ measured, within 0 to 1; 1 until one is known."""
    measured = shrunk = 0.0
    for experiment_id, lift in shrinkage.lifts.items():
        e = experiments.get(experiment_id)
        won = e is not None and e.status == S.CONCLUDED and e.outcome == Outcome.WON
        if won and lift.standard_error is not None and lift.improvement > 0:
            measured += lift.improvement
            shrunk += max(lift.shrunk, 0.0)
    return 1.0 if measured == 0 else min(1.0, shrunk / measured)


def _add_forecast_range(experiments: Iterable[_Experiment], retention: float) -> None:
    """Each in-flight forecast's two readings (docs/portfolio.md, "Forecast explained"):
    expected = P(win) × the MDE's value × the winners' retention, and the value of the MDE
    itself, as if every test in flight won at the lift it was designed to detect."""
    for e in experiments:
        if e.status in IN_FLIGHT and e.forecast is not None and e.expected_lift is not None:
            e.forecast_if_all_win = e.model.annual_value(e.expected_lift)
            e.forecast_expected = e.forecast * retention


def _slices(experiments: Iterable[_Experiment], segments: dict[int, Segment]):
    """{(dimension, key): (label, [experiments])}: every slice, including empty ones."""
    slices: dict[tuple[str, str], tuple[str, list[_Experiment]]] = {
        (Dimension.PROGRAMME, "all"): (Dimension.PROGRAMME.label, [])
    }

    def add(dimension, pairs):
        for key, label in pairs:
            slices[(dimension, str(key))] = (label, [])

    add(Dimension.OBJECTIVE, Objective.objects.values_list("pk", "name"))
    add(
        Dimension.SEGMENT,
        (
            (pk, segment_path(s, lambda node: segments.get(node.parent_id)))
            for pk, s in segments.items()
        ),
    )
    add(Dimension.CHANNEL, Channel.choices)
    add(Dimension.TEAM, Team.objects.values_list("pk", "name"))
    operators = User.objects.filter(
        Q(role=Role.OPERATOR) | Q(pk__in=Experiment.objects.values("owner_id"))
    ).only("username", "first_name", "last_name")
    add(Dimension.OPERATOR, ((u.pk, str(u)) for u in operators))

    for e in experiments:
        for dimension, key in (
            (Dimension.PROGRAMME, "all"),
            (Dimension.OBJECTIVE, e.objective_id),
            (Dimension.SEGMENT, e.segment_id),
            (Dimension.CHANNEL, e.channel),
            (Dimension.TEAM, e.team_id),
            (Dimension.OPERATOR, e.owner_id),
        ):
            if key is not None and (dimension, str(key)) in slices:
                slices[(dimension, str(key))][1].append(e)
    return slices


def _slice_numbers(members: list[_Experiment]) -> dict:
    by_status = dict.fromkeys(S.values, 0)
    for e in members:
        by_status[e.status] += 1
    concluded = by_status[S.CONCLUDED]
    won = sum(1 for e in members if e.status == S.CONCLUDED and e.outcome == Outcome.WON)
    in_flight = [e for e in members if e.status in IN_FLIGHT]
    scaled = [e for e in members if e.scaled]
    realised = [e.realised for e in scaled if e.realised is not None]
    return {
        "experiments": len(members),
        "by_status": by_status,
        "in_flight": len(in_flight),
        "concluded": concluded,
        "won": won,
        "win_rate": win_rate(won=won, concluded=concluded),
        "velocity_30d": sum(1 for e in members if e.started_recently),
        "concluded_30d": sum(1 for e in members if e.concluded_recently),
        "cycle_days": {
            stage: _median([e.stage_days[stage] for e in members if stage in e.stage_days])
            for stage, _, _ in STAGES
        },
        "forecast_impact": _money(sum(e.forecast for e in in_flight if e.forecast is not None)),
        "forecast_without_impact_model": sum(1 for e in in_flight if e.forecast is None),
        "forecast_expected": _money(
            sum(e.forecast_expected for e in in_flight if e.forecast_expected is not None)
        ),
        "forecast_if_all_win": _money(
            sum(e.forecast_if_all_win for e in in_flight if e.forecast_if_all_win is not None)
        ),
        "realised_impact": _money(sum(r[0] for r in realised)),
        "realised_impact_low": _money(sum(r[1] for r in realised)),
        "realised_impact_high": _money(sum(r[2] for r in realised)),
        "realised_impact_shrunk": _money(
            sum(e.realised_shrunk for e in scaled if e.realised_shrunk is not None)
        ),
        "scaled": len(scaled),
        "scaled_without_results": sum(1 for e in scaled if not e.has_result),
        "scaled_without_impact_model": sum(
            1 for e in scaled if e.has_result and e.realised is None
        ),
    }


@transaction.atomic
def _store(today: dt.date, rows: list[PortfolioRollup]) -> None:
    """Upsert the day's rows on (computed_on, dimension, key) and drop slices that vanished."""
    PortfolioRollup.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["computed_on", "dimension", "key"],
        update_fields=["label", "data", "computed_at"],
    )
    keep = {(r.dimension, r.key) for r in rows}
    stale = [
        pk
        for pk, dimension, key in PortfolioRollup.objects.filter(computed_on=today).values_list(
            "pk", "dimension", "key"
        )
        if (dimension, key) not in keep
    ]
    if stale:
        PortfolioRollup.objects.filter(pk__in=stale).delete()


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _since(moment: dt.datetime | None, start: dt.datetime) -> bool:
    return moment is not None and moment >= start


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def _money(value: float) -> float:
    return round(value, 2)
