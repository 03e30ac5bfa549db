"""How far a test has come, what its decision rule says at the latest look, and which calls go
against the plan or the verdict (docs/decisions.md).

The rule and its verdict are the pure engine's (``analytics.stats.verdict``). The latest look's
numbers are stored results, which belong to the analytics app above this one: it hands over
its reader through :func:`register_look_reader` when it is ready, so nothing here imports it.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from analytics.stats.decision_rule import DecisionRule
from analytics.stats.significance import BAYESIAN, FREQUENTIST, SEQUENTIAL
from analytics.stats.verdict import (
    DECISIVE,
    KEEP_RUNNING,
    Look,
    MetricLook,
    Verdict,
    decision_agrees,
    evaluate,
)

from .design import experiment_design
from .models import LIVE, NOT_STARTED, Decision, Experiment, ExperimentStatus

DAYS_PER_WEEK = 7


@dataclass(frozen=True)
class LatestLook:
    """The newest stored look of an experiment: users on the primary metric (all arms) and
    each measured metric's comparisons, by metric id."""

    users: int
    metrics: dict[int, MetricLook]
    # The sample-ratio mismatch's p-value at this look while nobody has acknowledged it: the
    # reading is withheld (the rule's verdict, the list's lift).
    unresolved_srm_p: float | None = None


# Reads the latest looks of a page of experiments at once: those without results are left out.
LookReader = Callable[[list[Experiment]], dict[int, LatestLook]]
_look_reader: LookReader | None = None
# "Not read yet", as opposed to read and found missing (None).
UNREAD = object()


def register_look_reader(reader: LookReader) -> None:
    """Where the latest looks are read from (the analytics app registers it)."""
    global _look_reader
    _look_reader = reader


# The programme's false-win level for an experiment's decision (docs/decisions.md): the
# programme app, above this one, hands it over; None when it is not known.
FalseWinLevel = Callable[[Experiment], float | None]
_false_win_level: FalseWinLevel | None = None


def register_false_win_level(reader: FalseWinLevel) -> None:
    """Where the programme's false-win level is read from (the programme app registers it)."""
    global _false_win_level
    _false_win_level = reader


def false_win_level(experiment: Experiment) -> float | None:
    return _false_win_level(experiment) if _false_win_level is not None else None


def latest_looks(experiments) -> dict[int, LatestLook]:
    """The latest look of each experiment that has results, by id."""
    return _look_reader(list(experiments)) if _look_reader is not None else {}


def latest_look(experiment: Experiment) -> LatestLook | None:
    return latest_looks([experiment]).get(experiment.pk)


@dataclass(frozen=True)
class Progress:
    users: int
    planned_users: int | None
    share: float | None  # users ÷ planned users
    days_running: int | None  # None before the start
    planned_days: int | None  # the design's duration, at least the minimum run time
    min_days: int

    def as_dict(self) -> dict:
        return {
            "users": self.users,
            "planned_users": self.planned_users,
            "share": None if self.share is None else round(self.share, 4),
            "days_running": self.days_running,
            "planned_days": self.planned_days,
        }


@dataclass(frozen=True)
class Reading:
    """An experiment's progress and verdict at its latest look (read once, shown together)."""

    progress: Progress
    verdict: Verdict
    rule: DecisionRule
    # The latest look's sample-ratio mismatch nobody has acknowledged (its p), which withholds
    # the verdict and asks whoever completes the test to confirm.
    unresolved_srm_p: float | None = None


def decision_rule_of(experiment: Experiment) -> DecisionRule:
    return DecisionRule.from_dict(experiment.decision_rule)


def days_running(experiment: Experiment, *, today=None) -> int | None:
    """Days from the start to the end (or today), both counted; None before the start."""
    if experiment.start_date is None:
        return None
    end = experiment.end_date or today or timezone.localdate()
    return max((end - experiment.start_date).days + 1, 0)


def experiment_reading(experiment: Experiment, look=UNREAD) -> Reading:
    """Progress and verdict at the latest look (``look`` when already read, None for none)."""
    look = latest_look(experiment) if look is UNREAD else look
    design = experiment_design(experiment)
    min_days = DAYS_PER_WEEK * experiment.min_run_weeks
    planned_users = design.total_sample_size if design else None
    users = look.users if look else 0
    progress = Progress(
        users=users,
        planned_users=planned_users,
        share=users / planned_users if planned_users else None,
        days_running=days_running(experiment),
        planned_days=max(design.duration_days, min_days) if design else (min_days or None),
        min_days=min_days,
    )
    rule = decision_rule_of(experiment)
    metrics = look.metrics if look else {}
    guardrail_ids = [m.pk for m in experiment.guardrail_metrics.all()]
    verdict = evaluate(
        rule,
        Look(
            method=experiment.method,
            alpha=experiment.alpha,
            mde=experiment.mde,
            users=users,
            planned_users=planned_users,
            days_running=progress.days_running or 0,
            min_days=min_days,
            primary=metrics.get(experiment.deciding_metric_id),
            guardrails=tuple(metrics[pk] for pk in guardrail_ids if pk in metrics),
            # Read only when the rule applies it.
            false_win_level=false_win_level(experiment) if rule.apply_false_win_level else None,
            unresolved_srm_p=look.unresolved_srm_p if look else None,
        ),
    )
    return Reading(
        progress=progress,
        verdict=verdict,
        rule=rule,
        unresolved_srm_p=look.unresolved_srm_p if look else None,
    )


# --- calls against the plan or the verdict (the lifecycle's guards) ---------------------


@dataclass(frozen=True)
class AgainstPlan:
    """A step that goes against the plan or the verdict: what it goes against (each a short
    phrase) and the sentence that says so. Taking it needs a reason."""

    missing: tuple[str, ...]
    message: str


def complete_against_plan(
    experiment: Experiment, given=None, *, reading: Reading | None = None
) -> AgainstPlan | None:
    """Completing before the minimum run time, or before the planned sample without a
    decisive verdict (a sequential test at its always-valid boundary, a Bayesian one at its
    threshold), goes against the plan. A fixed-horizon test needs its planned sample."""
    reading = experiment_reading(experiment) if reading is None else reading
    progress = reading.progress
    missing = []
    if (progress.days_running or 0) < progress.min_days:
        missing.append(
            f"the minimum run time (day {progress.days_running or 0} of {progress.min_days})"
        )
    short = progress.planned_users is None or progress.users < progress.planned_users
    decisive = experiment.method != FREQUENTIST and reading.verdict.action in DECISIVE
    if short and not decisive:
        planned = "unknown" if progress.planned_users is None else f"{progress.planned_users:,}"
        sample = f"the planned sample ({progress.users:,} of {planned} users)"
        if experiment.method == SEQUENTIAL:
            sample += " or the always-valid boundary"
        elif experiment.method != FREQUENTIST:
            sample += " or the rule's threshold"
        missing.append(sample)
    if not missing:
        return None
    return AgainstPlan(
        missing=tuple(missing),
        message=f"Completing “{experiment}” now goes against its plan: it has not reached "
        f"{_joined(missing)}.",
    )


def conclude_against_verdict(experiment: Experiment, given) -> AgainstPlan | None:
    """Concluding with a decision the verdict does not support (``decision_agrees``)."""
    decision = given["decision"]
    verdict = experiment_reading(experiment).verdict
    if decision not in Decision.values or decision_agrees(verdict.action, decision):
        return None
    return AgainstPlan(
        missing=(f"the verdict ({verdict.label})",),
        message=f"Deciding “{Decision(decision).label}” for “{experiment}” goes against the "
        f"verdict, “{verdict.label}”: {' '.join(verdict.reasons)}",
    )


def agreeing_decisions(verdict: Verdict) -> list[str]:
    """The decisions that follow the verdict, as their labels (for the page's hint)."""
    return [label for value, label in Decision.choices if decision_agrees(verdict.action, value)]


def _joined(phrases: list[str]) -> str:
    if len(phrases) == 1:
        return phrases[0]
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


# --- what the pages show ------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionPanel:
    """The rule in words, and once the test has started its reading; while it may be
    completed, whether that goes against the plan; once completed, the decisions that follow
    the verdict."""

    rule_lines: list[str]
    reading: Reading | None
    against_plan: AgainstPlan | None
    agreeing: list[str]
    stopped_undecided: bool = False  # no longer running, and the rule never got to decide


def decision_panel(experiment: Experiment, look=UNREAD) -> DecisionPanel:
    """What the pages show of the rule (``look``: the latest look when already read)."""
    rule = decision_rule_of(experiment)
    reading = None if experiment.status in NOT_STARTED else experiment_reading(experiment, look)
    against = None
    if experiment.status in (ExperimentStatus.RUNNING, ExperimentStatus.PAUSED):
        against = complete_against_plan(experiment, reading=reading)
    agreeing = agreeing_decisions(reading.verdict) if reading is not None else []
    stopped = (
        reading is not None
        and experiment.status not in LIVE
        and reading.verdict.action == KEEP_RUNNING
    )
    return DecisionPanel(rule_lines(experiment, rule), reading, against, agreeing, stopped)


def rule_lines(experiment: Experiment, rule: DecisionRule) -> list[str]:
    """The decision rule in sentences, in the terms of the test's method."""
    primary = experiment.primary_metric.name if experiment.primary_metric else "the primary metric"
    if experiment.method == BAYESIAN:
        win = (
            f"{primary} has at least a {rule.ship_chance * 100:.0f} % chance to beat control with an "
            f"expected loss of at most {_percent(rule.max_expected_loss)}"
        )
    elif experiment.method == SEQUENTIAL:
        win = f"{primary} wins with an always-valid p below α {experiment.alpha:g}, at any look"
    else:
        win = f"{primary} wins with p below α {experiment.alpha:g} at the planned sample"
    if rule.apply_false_win_level and experiment.method != BAYESIAN:
        win += " and within the programme's false-win level (LORD++)"
    guardrails = list(experiment.guardrail_metrics.all())
    tolerated = ", ".join(f"{m.name} {_percent(rule.tolerance_for(m.key))}" for m in guardrails)
    lines = [
        f"Ship when {win}"
        + (f", and no guardrail is worse than its tolerance ({tolerated})." if guardrails else ".")
    ]
    if guardrails:
        lines.append("Iterate when it wins but a guardrail is worse than its tolerance.")
    if rule.abandon_when_mde_ruled_out and experiment.mde:
        lines.append(
            f"Abandon when the interval rules out the MDE (+{_percent(experiment.mde)}) at the "
            "planned sample, or when every variant is decisively worse."
        )
    else:
        lines.append("Abandon when every variant is decisively worse.")
    weeks = experiment.min_run_weeks
    lines.append(
        f"Otherwise inconclusive. It runs at least {weeks} full week{'s' if weeks != 1 else ''}."
    )
    return lines


def _percent(value: float) -> str:
    return f"{value * 100:.1f} %"
