"""The experiment list's result columns: the primary metric's lift with its interval,
significance by the test's own method, progress to the planned sample, days running and the
next step; and the orders the list can be sorted in.

A row reads the same latest look and verdict as the experiment page (``decisions``), for one
page at a time. Sorting by lift or significance needs them for every filtered row: the stored
results belong to the analytics app above this one, which hands over the annotation through
:func:`register_result_columns` when it is ready.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from analytics.stats import sample_size_means, sample_size_proportions
from analytics.stats.significance import BAYESIAN, SEQUENTIAL, is_significant
from analytics.stats.verdict import MetricLook

from .decisions import experiment_reading, latest_looks
from .models import NOT_STARTED, ExperimentStatus, Metric
from .next_steps import next_step

# Adds primary_lift (the leading arm's lift at the newest look), primary_evidence (its
# p-value by the test's method: smaller is stronger) and primary_users (all arms' users).
ResultColumns = Callable[[object], object]
_result_columns: ResultColumns | None = None


def register_result_columns(annotate: ResultColumns) -> None:
    global _result_columns
    _result_columns = annotate


def with_result_columns(queryset):
    if _result_columns is not None:
        return _result_columns(queryset)
    empty = Value(None, output_field=FloatField())
    return queryset.annotate(primary_lift=empty, primary_evidence=empty, primary_users=empty)


# The stage each status waits on, in the order a test moves (sorting by "next step").
STAGE_ORDER = [
    ExperimentStatus.DRAFT,
    ExperimentStatus.IN_REVIEW,
    ExperimentStatus.APPROVED,
    ExperimentStatus.RUNNING,
    ExperimentStatus.PAUSED,
    ExperimentStatus.COMPLETED,
    ExperimentStatus.CONCLUDED,
    ExperimentStatus.KILLED,
]


def _stage():
    return Case(
        *[When(status=s, then=Value(i)) for i, s in enumerate(STAGE_ORDER)],
        output_field=IntegerField(),
    )


# key → (column label, expression); "-key" sorts the other way. Rows without a value go last.
SORTS = {
    "name": ("Experiment", F("name")),
    # Better first: a fall on a lower-is-better metric (a cost, a churn) counts as a gain.
    "lift": (
        "Lift",
        Case(
            When(primary_metric__direction=Metric.Direction.LOWER, then=-F("primary_lift")),
            default=F("primary_lift"),
            output_field=FloatField(),
        ),
    ),
    "significance": ("Significance", F("primary_evidence")),
    "progress": ("Progress", None),  # planned sample is computed, not stored: sorted here
    "days": ("Days running", None),
    "next": ("Next step", None),
    "updated": ("Updated", F("updated_at")),
}
LIST_HEADERS = [(key, label) for key, (label, _) in SORTS.items()]
NUMERIC_COLUMNS = ("lift", "progress", "days")
# The first direction of each: biggest lift, strongest evidence, most progress, longest run.
DESCENDING_FIRST = {"updated", "lift", "progress", "days"}
DEFAULT_SORT = "-updated"


def sort_options() -> list[tuple[str, str]]:
    """Each column in its first direction, then reversed; the default first (it is what the
    form shows before anything is chosen)."""
    choices = [(DEFAULT_SORT, SORTS[DEFAULT_SORT.lstrip("-")][0])]
    for key, (label, _) in SORTS.items():
        first, second = ("-", "") if key in DESCENDING_FIRST else ("", "-")
        choices += [(first + key, label), (second + key, f"{label} (reversed)")]
    return list(dict(choices).items())


def sort_columns(sort: str) -> dict[str, dict]:
    """Each sortable column's header: the sort its link asks for, and its state now
    (``aria-sort``)."""
    current = sort.lstrip("-")
    columns = {}
    for key in SORTS:
        first = ("-" if key in DESCENDING_FIRST else "") + key
        if key == current:
            link = key if sort.startswith("-") else "-" + key
            state = "descending" if sort.startswith("-") else "ascending"
        else:
            link, state = first, "none"
        columns[key] = {"sort": link, "state": state}
    return columns


def sorted_experiments(queryset, sort: str):
    """The filtered experiments in the order ``sort`` names (a queryset, or for progress a
    list of ids in order)."""
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key == "progress":
        return progress_order(queryset, descending=descending)
    if key == "days":
        queryset = queryset.annotate(days_run=_days_run())
        expression = F("days_run")
    elif key == "next":
        queryset = queryset.annotate(stage=_stage())
        expression = F("stage")
    else:
        expression = SORTS[key][1]
    if key in ("lift", "significance"):
        queryset = with_result_columns(queryset)
    ordered = expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
    return queryset.order_by(ordered, "-pk" if descending else "pk")


def _days_run():
    """Days from the start to the end (or today); NULL before the start."""
    today = Value(timezone.localdate())
    return ExpressionWrapper(
        Coalesce(F("end_date"), today) - F("start_date"), output_field=DurationField()
    )


def progress_order(queryset, *, descending: bool) -> list[int]:
    """Ids by users ÷ planned sample (the design's, as the experiment page computes it), for
    every filtered row at once; rows without a plan or results go last."""
    rows = list(
        with_result_columns(queryset.order_by())
        .annotate(arms=Count("variants"))
        .values_list(
            "pk",
            "primary_metric__kind",
            "baseline",
            "mde",
            "baseline_sd",
            "alpha",
            "power",
            "daily_traffic",
            "arms",
            "primary_users",
        )
    )
    if not rows:
        return []
    ids = np.array([r[0] for r in rows])
    share = planned_shares(rows)
    order = np.lexsort(
        (ids if not descending else -ids, -share if descending else share, np.isnan(share))
    )
    return ids[order].tolist()


def planned_shares(rows) -> np.ndarray:
    """users ÷ (users per variant × max(arms, 2)), NaN where no design or no results."""
    share = np.full(len(rows), np.nan)
    for kind in (Metric.Kind.BINOMIAL, Metric.Kind.MEAN):
        picked = [i for i, r in enumerate(rows) if r[1] == kind and _plannable(r)]
        if not picked:
            continue
        cols = np.array([rows[i][2:] for i in picked], dtype=float).T
        baseline, mde, sd, alpha, power, _traffic, arms, users = cols
        if kind == Metric.Kind.BINOMIAL:
            per_variant = sample_size_proportions(baseline, mde, alpha=alpha, power=power)
        else:
            per_variant = sample_size_means(sd, baseline * mde, alpha=alpha, power=power)
        # users is NaN without results: such a row has no progress yet and sorts last.
        share[picked] = users / (per_variant * np.maximum(arms, 2))
    return share


def _plannable(row) -> bool:
    """The inputs ``design_for`` needs, in its range (a row it would refuse has no plan)."""
    kind, baseline, mde, sd, alpha, power, traffic = row[1:8]
    if None in (baseline, mde, alpha, power, traffic) or traffic <= 0 or not mde:
        return False
    if not (0 < alpha < 1 and 0 < power < 1):
        return False
    if kind == Metric.Kind.BINOMIAL:
        return 0 < baseline < 1 and 0 < baseline * (1 + mde) < 1
    return sd is not None and sd > 0 and baseline * mde != 0


def page_of(request, ordered, queryset, per_page: int):
    """One page of a sorted queryset, or of a list of ids (progress) read back in order from
    ``queryset``."""
    page = Paginator(ordered, per_page).get_page(request.GET.get("page"))
    if isinstance(ordered, list):
        found = queryset.in_bulk(list(page.object_list))
        page.object_list = [found[pk] for pk in page.object_list if pk in found]
    return page


# --- what a row shows -----------------------------------------------------------------


@dataclass(frozen=True)
class ListRow:
    experiment: object
    arm: str | None  # the leading variant's name
    lift: float | None
    lift_low: float | None
    lift_high: float | None
    significant: bool | None  # None without a comparison
    evidence: str  # "p 0.012", "always-valid p 0.03", "92 % to beat control"
    tone: str  # good / bad / neutral
    bar: tuple[float, float, float] | None  # interval low, width, estimate in a 0–80 box
    users: int
    planned_users: int | None
    progress: float | None
    days: int | None
    next_step: str
    # The latest look's sample-ratio mismatch nobody has acknowledged: the lift is withheld.
    unresolved_srm_p: float | None = None


BAR_WIDTH = 80


def list_rows(experiments, *, user) -> list[ListRow]:
    """The result columns of one page of experiments (the latest looks in two queries; the
    page's queryset prefetches variants and guardrail metrics); the next step is said to
    ``user``."""
    experiments = list(experiments)
    looks = latest_looks(experiments)
    rows = []
    for experiment in experiments:
        look = looks.get(experiment.pk)
        started = experiment.status not in NOT_STARTED
        reading = experiment_reading(experiment, look) if started else None
        primary = look.metrics.get(experiment.deciding_metric_id) if look else None
        mismatch = look.unresolved_srm_p if look else None
        if mismatch is not None:  # the reading is withheld, as on the experiment's page
            primary = None
        rows.append(_row(experiment, primary, reading, user, mismatch))
    return rows


def primary_arms(experiments) -> dict:
    """Each experiment's leading arm on its primary metric at the newest look, by id (one
    query for the page): what a learning shows as its lift."""
    looks = latest_looks(experiments)
    arms = {}
    for experiment in experiments:
        look = looks.get(experiment.pk)
        primary = look.metrics.get(experiment.deciding_metric_id) if look else None
        arm = leading_arm(primary) if primary else None
        if arm is not None:
            arms[experiment.pk] = arm
    return arms


def leading_arm(primary: MetricLook):
    """The treatment doing best for the metric's direction (as the sort's annotation picks)."""
    arms = [a for a in primary.arms if a.lift is not None]
    if not arms:
        return None
    sign = 1 if primary.higher_is_better else -1
    return max(arms, key=lambda a: sign * a.lift)


def _row(experiment, primary, reading, user, unresolved_srm_p=None) -> ListRow:
    arm = leading_arm(primary) if primary else None
    significant = None
    evidence = ""
    tone = "neutral"
    if arm is not None:
        significant = arm_significant(experiment, arm)
        evidence = evidence_text(experiment.method, arm)
        if significant and arm.lift:
            tone = "good" if (arm.lift > 0) == primary.higher_is_better else "bad"
    progress = reading.progress if reading else None
    return ListRow(
        experiment=experiment,
        arm=arm.variant if arm else None,
        lift=arm.lift if arm else None,
        lift_low=arm.lift_ci_low if arm else None,
        lift_high=arm.lift_ci_high if arm else None,
        significant=significant,
        evidence=evidence,
        tone=tone,
        bar=interval_bar(arm) if arm else None,
        users=progress.users if progress else 0,
        planned_users=progress.planned_users if progress else None,
        progress=progress.share if progress else None,
        days=progress.days_running if progress else None,
        next_step=next_step(experiment, reading, user=user, unresolved_srm_p=unresolved_srm_p),
        unresolved_srm_p=unresolved_srm_p,
    )


def arm_significant(experiment, arm) -> bool:
    return is_significant(
        method=experiment.method,
        alpha=experiment.alpha,
        p_value_adjusted=arm.p_value,
        sequential_p_value=arm.p_value,
        chance_to_beat_control=arm.chance_to_beat,
    )


def evidence_text(method: str, arm) -> str:
    if method == BAYESIAN:
        if arm.chance_to_beat is None:
            return "no chance to beat yet"
        return f"{arm.chance_to_beat * 100:.0f} % chance to beat control"
    if arm.p_value is None:
        return "no p-value yet"
    name = "always-valid p" if method == SEQUENTIAL else "p"
    return f"{name} {arm.p_value:.3f}" if arm.p_value >= 0.001 else f"{name} < 0.001"


def interval_bar(arm) -> tuple[float, float, float] | None:
    """The interval and estimate on a scale symmetric around zero, in a box 80 wide."""
    if arm.lift_ci_low is None or arm.lift_ci_high is None:
        return None
    reach = max(abs(arm.lift_ci_low), abs(arm.lift_ci_high), abs(arm.lift), 1e-9)
    half = BAR_WIDTH / 2 - 2

    def x(value):
        return round(BAR_WIDTH / 2 + value / reach * half, 1)

    low, high = x(arm.lift_ci_low), x(arm.lift_ci_high)
    return low, max(round(high - low, 1), 1.0), x(arm.lift)
