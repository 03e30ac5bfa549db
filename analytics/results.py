"""What an experiment's results panel shows: the latest look grouped primary / secondary /
guardrail, each comparison's interval bar and reading, the SRM state, the charts' history.

Reads only (a bounded number of queries whatever the history's length); the numbers are the
stored ``Result`` snapshots, the words come from ``analytics.stats.reading``.
"""

from dataclasses import dataclass, field

from django.db.models import F

from experiments.models import LIVE, AnalysisMethod, Experiment, Metric
from roles.capabilities import can

from .charts.base import Chart
from .charts.results import cumulative_value_chart, lift_per_look_chart
from .ingest.observations import data_refusal
from .models import Alert, AnalysisState, Result, SrmAcknowledgement
from .selectors import latest_results
from .srm import most_mismatched
from .stats.reading import rate_floor, result_reading
from .upload_guide import upload_guide

GROUPS = (
    ("primary", "Primary metric"),
    ("secondary", "Secondary metrics"),
    ("guardrail", "Guardrails"),
)
# Alerts that ask for an action only while the test runs ("it can be completed", "overdue");
# once it is completed or decided they are history, and the panel stops repeating them.
WHILE_LIVE = {Alert.Kind.SAMPLE_REACHED, Alert.Kind.OVERDUE}
# The SRM banner (from the latest look) replaces the SRM alert of the first mismatch.
SHOWN_ELSEWHERE = {Alert.Kind.SRM}

# Geometry of the interval bar drawn around zero (an SVG of this size; no inline styles).
BAR_WIDTH, BAR_MARGIN = 160, 6


@dataclass(frozen=True)
class IntervalBar:
    """Where the interval, the estimate and zero sit in the bar (SVG user units)."""

    low: float
    width: float
    estimate: float
    zero: float = BAR_WIDTH / 2


@dataclass
class PanelComparison:
    """One treatment against the control, as the results panel draws it."""

    result: Result
    tone: str  # good / bad / neutral: the bar's colour
    reading: str
    bar: IntervalBar | None


@dataclass
class MetricResults:
    metric: Metric
    control: Result | None
    comparisons: list[PanelComparison] = field(default_factory=list)
    floored: bool = False  # an interval of this rate was cut at −100 %
    metric_version: int | None = None  # the warehouse definition's version, if any


@dataclass
class Group:
    key: str
    label: str
    metrics: list[MetricResults]


def metric_roles(experiment: Experiment) -> dict[int, str]:
    """Each measured metric's role: primary, secondary or guardrail (2 queries)."""
    roles = {}
    for through, role in (
        (Experiment.guardrail_metrics.through, "guardrail"),
        (Experiment.secondary_metrics.through, "secondary"),
    ):
        for metric_id in through.objects.filter(experiment_id=experiment.pk).values_list(
            "metric_id", flat=True
        ):
            roles[metric_id] = role
    if experiment.primary_metric_id is not None:
        roles[experiment.primary_metric_id] = "primary"
    return roles


def tone(result: Result, metric: Metric) -> str:
    """Green when significant and good for the metric's direction, red when significant and
    bad, grey while inconclusive."""
    if result.lift is None or not result.significant or result.lift == 0:
        return "neutral"
    return "good" if (result.lift > 0) == metric.higher_is_better else "bad"


def interval_bars(results: list[Result]) -> dict[int, IntervalBar]:
    """One scale per metric, so its variants' bars compare; zero in the middle."""
    bounds = [
        abs(v)
        for r in results
        for v in (r.lift, r.lift_ci_low, r.lift_ci_high)
        if v is not None and not r.is_control
    ]
    reach = max([*bounds, 0.005]) * 1.15
    half = BAR_WIDTH / 2 - BAR_MARGIN

    def x(value: float) -> float:
        return round(BAR_WIDTH / 2 + value / reach * half, 2)

    bars = {}
    for r in results:
        if r.is_control or r.lift is None:
            continue
        low = r.lift if r.lift_ci_low is None else r.lift_ci_low
        high = r.lift if r.lift_ci_high is None else r.lift_ci_high
        bars[r.pk] = IntervalBar(
            low=x(low), width=max(round(x(high) - x(low), 2), 1.0), estimate=x(r.lift)
        )
    return bars


def _floor_rates(rows: list[Result], metric: Metric) -> bool:
    """Cut a conversion rate's interval at −100 % on the shown (never saved) results; whether
    one was cut."""
    floored = False
    for r in rows:
        low = rate_floor(r.lift_ci_low, rate=metric.kind == Metric.Kind.BINOMIAL)
        if low != r.lift_ci_low:
            r.lift_ci_low, floored = low, True
    return floored


def _floor_history(history: list[dict], metric: Metric) -> list[dict]:
    """The looks of a conversion rate with each interval cut at −100 % (as the panel shows)."""
    rate = metric.kind == Metric.Kind.BINOMIAL
    return [{**row, "lift_ci_low": rate_floor(row["lift_ci_low"], rate=rate)} for row in history]


def grouped_results(experiment: Experiment, results: list[Result]) -> list[Group]:
    """The latest snapshot of each metric, grouped as primary / secondary / guardrail."""
    roles = metric_roles(experiment)
    by_metric: dict[int, list[Result]] = {}
    for r in results:
        by_metric.setdefault(r.metric_id, []).append(r)
    groups = []
    for key, label in GROUPS:
        metrics = []
        for rows in by_metric.values():
            metric = rows[0].metric
            if roles.get(metric.pk, "secondary") != key:
                continue
            floored = _floor_rates(rows, metric)
            bars = interval_bars(rows)
            entry = MetricResults(
                metric=metric, control=next((r for r in rows if r.is_control), None)
            )
            entry.floored = floored
            entry.metric_version = max(
                (r.metric_version for r in rows if r.metric_version), default=None
            )
            for r in rows:
                if r.is_control:
                    continue
                entry.comparisons.append(
                    PanelComparison(
                        result=r,
                        tone=tone(r, metric),
                        bar=bars.get(r.pk),
                        reading=result_reading(
                            variant=r.variant.name or r.variant.key,
                            metric=metric.name,
                            lift=r.lift,
                            lift_ci_low=r.lift_ci_low,
                            lift_ci_high=r.lift_ci_high,
                            significant=r.significant,
                            higher_is_better=metric.higher_is_better,
                            method=r.method,
                            chance_to_beat_control=r.chance_to_beat_control,
                            control_mean=entry.control.mean if entry.control else None,
                            treatment_mean=r.mean,
                        ),
                    )
                )
            metrics.append(entry)
        if metrics:
            groups.append(Group(key=key, label=label, metrics=metrics))
    return groups


def result_history(experiment: Experiment, metric_id: int) -> list[dict]:
    """Every stored look of one metric, oldest first (one query; the charts draw these)."""
    return list(
        Result.objects.filter(experiment_id=experiment.pk, metric_id=metric_id)
        .order_by("look", "-is_control", "variant__key")
        .values(
            "look",
            "computed_at",
            "is_control",
            "mean",
            "lift",
            "lift_ci_low",
            "lift_ci_high",
            variant_key=F("variant__key"),
        )
    )


def results_charts(experiment: Experiment, primary: Metric | None) -> list[Chart]:
    """The primary metric's charts over its looks; none before two looks exist."""
    if primary is None:
        return []
    history = result_history(experiment, primary.pk)
    if len({row["look"] for row in history}) < 2:
        return []
    return [
        cumulative_value_chart(
            history,
            metric_name=primary.name,
            metric_kind=primary.kind,
            unit=primary.unit,
            dom_id=f"chart-cumulative-{experiment.pk}",
        ),
        lift_per_look_chart(
            _floor_history(history, primary),
            metric_name=primary.name,
            higher_is_better=primary.higher_is_better,
            dom_id=f"chart-lift-{experiment.pk}",
            method=experiment.method,
        ),
    ]


def experiment_results_panel(experiment: Experiment, *, user) -> dict:
    """What the results panel of an experiment's page shows to ``user``."""
    results = latest_results(experiment)
    mismatch = most_mismatched(results)
    acknowledgement = (
        SrmAcknowledgement.objects.filter(experiment_id=experiment.pk)
        .select_related("acknowledged_by")
        .first()
    )
    hidden_kinds = set(SHOWN_ELSEWHERE)
    if experiment.status not in LIVE:
        hidden_kinds |= WHILE_LIVE
    primary = next(
        (r.metric for r in results if r.metric_id == experiment.deciding_metric_id), None
    )
    can_upload = data_refusal(user, experiment) is None
    return {
        "experiment": experiment,
        "results": results,
        "groups": grouped_results(experiment, results),
        "method": experiment.method,
        "methods": AnalysisMethod,
        "charts": results_charts(experiment, primary),
        "chart_metric": primary,
        "newest": results[0] if results else None,
        "srm": mismatch,
        "srm_acknowledgement": acknowledgement,
        "srm_blocks_reading": mismatch is not None and acknowledgement is None,
        "can_acknowledge_srm": can(user, "results.acknowledge_srm", experiment),
        "alerts": [
            a
            for a in experiment.alerts.filter(resolved_at__isnull=True).select_related("metric")
            if a.kind not in hidden_kinds
        ],
        "state": AnalysisState.objects.filter(experiment=experiment).first(),
        # The upload rule itself (who, and in which status: a shipped winner takes holdout days).
        "can_upload": can_upload,
        # The downloads are for signed-in readers (a shared read-out has none).
        "can_export": can(user, "results.read"),
        "upload_guide": upload_guide(experiment) if can_upload else None,
    }
