"""The CMO's approval queue: each design in review with what the decision needs (design,
the segment traffic it takes, forecast impact on its objective, the decision rule, the
operator's note); then each completed test waiting for the final decision, with its rule's
verdict, its progress and any reason the operator gave for completing it early.

Reads a page of experiments in a fixed number of queries; the decisions themselves go through
the lifecycle services (``experiments.lifecycle.STEP_SERVICES``).
"""

from dataclasses import dataclass

from django.db.models import Prefetch

from experiments.decisions import DecisionPanel, decision_panel, latest_looks
from experiments.design import (
    Design,
    experiment_design,
    experiment_design_flags,
    segment_traffic_share,
)
from experiments.models import Experiment, ExperimentStatus, StatusChange
from experiments.selectors import experiment_list_for_user
from experiments.teams import capacity_load
from roles.capabilities import STEP_ABILITIES, can

from .models import PortfolioRollup
from .portfolio.impact import PRIOR_WIN_RATE, ImpactModel, forecast_impact
from .portfolio.selectors import rollups_on

# The steps a reviewer takes from the queue, in the order the buttons show; the final
# decision on a completed test is taken there too.
REVIEW_STEPS = ("approve", "request_changes", "kill")
DECISION_STEPS = ("conclude",)


@dataclass
class ReviewItem:
    experiment: Experiment
    design: Design | None
    flags: dict[str, str]
    segment_share: float | None  # share of the segment's daily reach the test takes
    forecast: float | None
    p_win: float
    note: str  # what the operator wrote when submitting
    submitted_at: object  # when it was last submitted (None if it never went through submit)
    steps: list[str]
    decision: DecisionPanel  # the rule in words (no verdict before the start)
    over_capacity: tuple[int, int] | None = None  # the owner's (owned, capacity) when beyond it


def review_queryset(*, user):
    """Designs in review, oldest first, with what the queue shows of each."""
    return (
        experiment_list_for_user(user=user)
        .filter(status=ExperimentStatus.IN_REVIEW)
        .select_related(
            "hypothesis__metric",
            "hypothesis__segment",
            "objective",
            "segment__parent__parent__parent",
            "owner",
            "primary_metric",
            "template",
        )
        .prefetch_related(
            "variants",
            "guardrail_metrics",
            Prefetch(
                "status_changes",
                queryset=StatusChange.objects.filter(step="submit").order_by("id"),
                to_attr="submissions",
            ),
        )
        .order_by("updated_at", "pk")
    )


def team_win_rates() -> dict[int, float]:
    """Each team's P(win) from the latest nightly roll-up (2 queries)."""
    rows = rollups_on(dimension=PortfolioRollup.Dimension.TEAM)
    return {int(row.key): row.data.get("p_win", PRIOR_WIN_RATE) for row in rows}


def review_items(experiments, *, user) -> list[ReviewItem]:
    """The queue's cards for one page of :func:`review_queryset`."""
    p_win_by_team = team_win_rates()
    experiments = list(experiments)
    load = capacity_load({e.owner_id for e in experiments})
    items = []
    for experiment in experiments:
        owned, capacity = load.get(experiment.owner_id, (0, None))
        design = experiment_design(experiment)
        segment = experiment.segment
        share = segment_traffic_share(experiment.daily_traffic, segment) if segment else None
        p_win = p_win_by_team.get(segment.owner_team_id if segment else None, PRIOR_WIN_RATE)
        expected = (
            experiment.mde if experiment.mde is not None else experiment.hypothesis.expected_mde
        )
        submissions = getattr(experiment, "submissions", [])
        items.append(
            ReviewItem(
                experiment=experiment,
                design=design,
                flags=experiment_design_flags(experiment, design),
                segment_share=share,
                forecast=forecast_impact(
                    ImpactModel.for_experiment(experiment), p_win=p_win, expected_lift=expected
                ),
                p_win=p_win,
                note=submissions[-1].note if submissions else "",
                submitted_at=submissions[-1].created_at if submissions else None,
                steps=[s for s in REVIEW_STEPS if can(user, STEP_ABILITIES[s], experiment)],
                decision=decision_panel(experiment, look=None),
                over_capacity=(owned, capacity) if capacity and owned > capacity else None,
            )
        )
    return items


# --- completed tests waiting for the final decision ----------------------------------------

# Completed tests shown at once, oldest first; the rest wait on the experiments list.
DECISIONS_SHOWN = 10


@dataclass
class DecisionItem:
    experiment: Experiment
    decision: DecisionPanel  # the rule, its verdict and progress, the decisions that follow it
    completion: StatusChange | None  # who completed it, when, and any override with its reason
    steps: list[str]


def decision_queryset(*, user):
    """Completed tests waiting for the final decision, the longest waiting first."""
    return decision_rows(user=user).filter(status=ExperimentStatus.COMPLETED)


def decision_rows(*, user):
    """Experiments as a decision card reads them (whatever their status: a card refused on a
    stale view shows the experiment as it now is)."""
    return (
        experiment_list_for_user(user=user)
        .select_related("owner", "primary_metric", "segment", "template")
        .prefetch_related(
            "variants",
            "guardrail_metrics",
            Prefetch(
                "status_changes",
                queryset=StatusChange.objects.filter(step="complete")
                .select_related("actor")
                .order_by("id"),
                to_attr="completions",
            ),
        )
        .order_by("end_date", "updated_at", "pk")
    )


def decision_items(experiments, *, user) -> list[DecisionItem]:
    """The cards of completed tests, their latest looks read at once."""
    experiments = list(experiments)
    looks = latest_looks(experiments)
    return [
        DecisionItem(
            experiment=experiment,
            decision=decision_panel(experiment, look=looks.get(experiment.pk)),
            completion=experiment.completions[-1] if experiment.completions else None,
            steps=[s for s in DECISION_STEPS if can(user, STEP_ABILITIES[s], experiment)],
        )
        for experiment in experiments
    ]
