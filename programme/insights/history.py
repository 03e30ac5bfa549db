"""The programme's history as pandas tables, each read in one query the first time an insight
asks for it, and shared by every insight of a roll-up."""

import datetime as dt
from functools import cached_property

import pandas as pd
from django.db.models import F
from django.db.models.functions import Coalesce

from experiments.models import (
    Experiment,
    Hypothesis,
    Segment,
    SegmentEconomics,
    StatusChange,
    Variant,
)
from roles.models import Partner, Team, User

from ..models import Postmortem, ShipRecheck
from ..portfolio.shrinkage import RESULT_FIELDS, lifts_that_count
from .partner_costs import partner_fees


def _frame(queryset, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(queryset.values_list(*columns)), columns=columns)


class ProgrammeHistory:
    def __init__(self, *, today: dt.date):
        self.today = today

    @cached_property
    def experiments(self) -> pd.DataFrame:
        """One row per experiment: its design, owner, status, decision and dates."""
        return _frame(
            Experiment.objects.annotate(
                channel=F("hypothesis__channel"), partner_name=F("partner__name")
            ),
            [
                "id",
                "name",
                "status",
                "hypothesis_id",
                "objective_id",
                "segment_id",
                "owner_id",
                "channel",
                "executed_by",
                "partner_id",
                "partner_name",
                "method",
                "alpha",
                "mde",
                "daily_traffic",
                "recommendation",
                "decision",
                "outcome",
                "start_date",
                "end_date",
                "build_cost",
                "media_cost",
                "created_at",
            ],
        )

    @cached_property
    def primary_results(self) -> pd.DataFrame:
        """One row per concluded experiment with a result: its best treatment's lift on the
        primary metric at the newest look, and that lift as an improvement (positive = better)
        with its interval (``programme/portfolio/shrinkage.py``)."""
        columns = [*RESULT_FIELDS, "improvement", "improvement_low", "improvement_high"]
        return pd.DataFrame.from_records(lifts_that_count(), columns=columns)

    @cached_property
    def postmortems(self) -> pd.DataFrame:
        """One row per post-mortem: the decision that opened it, its cause and its process
        faults (one yes/no column per fault)."""
        faults = [f"fault_{f}" for f in ("design", "data", "execution", "timing", "partner")]
        return _frame(
            Postmortem.objects.all(),
            ["experiment_id", "status", "decision", "cause", *faults, "fault_none"],
        )

    @cached_property
    def impact_models(self) -> pd.DataFrame:
        """One row per experiment: what a relative improvement of its primary metric is worth
        (``programme/portfolio/impact.py``), with the hypothesis's metric as the fallback."""
        return _frame(
            Experiment.objects.annotate(metric_kind=Experiment.deciding_metric_column("kind")),
            ["id", "reach_per_year", "baseline", "value_per_conversion", "metric_kind"],
        )

    @cached_property
    def hypotheses(self) -> pd.DataFrame:
        """One row per hypothesis with its scores, who last scored it, and its status."""
        return _frame(
            Hypothesis.objects.all(),
            [
                "id",
                "status",
                "channel",
                "objective_id",
                "segment_id",
                "author_id",
                "impact",
                "confidence",
                "ease",
                "reach",
                "effort",
                "expected_mde",
                "scored_by_id",
                "scored_at",
                "triaged_at",
                "created_at",
            ],
        )

    @cached_property
    def status_changes(self) -> pd.DataFrame:
        """The audit trail: every lifecycle step with its time, its actor and the reason of a
        call against the plan or the verdict (empty for the others), oldest first."""
        return _frame(
            StatusChange.objects.order_by("created_at", "id"),
            [
                "experiment_id",
                "step",
                "from_status",
                "to_status",
                "actor_id",
                "created_at",
                "override_reason",
            ],
        )

    @cached_property
    def experiment_designs(self) -> pd.DataFrame:
        """One row per experiment: the inputs of its sample size and of its impact model
        (metric, segment and MDE fall back to the hypothesis's, as the design page does)."""
        return _frame(
            Experiment.objects.annotate(
                metric_kind=Experiment.deciding_metric_column("kind"),
                metric_direction=Experiment.deciding_metric_column("direction"),
                segment_ref=Coalesce("segment_id", "hypothesis__segment_id"),
                expected_lift=Coalesce("mde", "hypothesis__expected_mde"),
            ),
            [
                "id",
                "metric_kind",
                "metric_direction",
                "segment_ref",
                "baseline",
                "baseline_sd",
                "power",
                "expected_lift",
                "reach_per_year",
                "value_per_conversion",
            ],
        )

    @cached_property
    def variant_weights(self) -> pd.DataFrame:
        """Every variant's planned share of traffic."""
        return _frame(Variant.objects.order_by(), ["experiment_id", "weight"])

    @cached_property
    def segments(self) -> pd.DataFrame:
        """One row per segment: its place in the tree, owning team, reach, status, and the value
        of one customer acquired in its newest economics period (customer value ÷ customers;
        empty without economics)."""
        frame = _frame(
            Segment.objects.order_by("name"),
            ["id", "name", "parent_id", "owner_team_id", "monthly_reach", "status"],
        )
        economics = _frame(
            SegmentEconomics.objects.order_by("segment_id", "-period_start"),
            ["segment_id", "customers_acquired", "customer_value"],
        ).drop_duplicates("segment_id")
        economics["value_per_customer"] = [
            float(value) / customers if customers else None
            for value, customers in zip(
                economics["customer_value"], economics["customers_acquired"], strict=True
            )
        ]
        return frame.merge(
            economics[["segment_id", "value_per_customer"]],
            left_on="id",
            right_on="segment_id",
            how="left",
        ).drop(columns="segment_id")

    @cached_property
    def partner_fees(self) -> dict[int, dict]:
        """Each agency partner's fees up to today (``programme/insights/partner_costs.py``)."""
        return partner_fees(Partner.objects.order_by("name"), today=self.today)

    @cached_property
    def teams(self) -> pd.DataFrame:
        return _frame(Team.objects.order_by("name"), ["id", "name"])

    @cached_property
    def team_names(self) -> dict[int, str]:
        return dict(zip(self.teams["id"], self.teams["name"], strict=True))

    @cached_property
    def people(self) -> pd.DataFrame:
        """Everyone who can appear as an author, owner or actor, with the name to show."""
        frame = _frame(User.objects.order_by(), ["id", "username", "first_name", "last_name"])
        full = (frame["first_name"] + " " + frame["last_name"]).str.strip()
        frame["label"] = full.where(full != "", frame["username"])
        return frame

    @cached_property
    def people_names(self) -> dict[int, str]:
        """Every user's display name by id (scorers, owners, deciders)."""
        return dict(zip(self.people["id"], self.people["label"], strict=True))

    @cached_property
    def ship_rechecks(self) -> pd.DataFrame:
        """Every re-check of a shipped winner, oldest first."""
        return _frame(
            ShipRecheck.objects.order_by("checked_on", "id"),
            [
                "experiment_id",
                "after_days",
                "shipped_on",
                "checked_on",
                "estimated_lift",
                "lift",
                "lift_ci_low",
                "lift_ci_high",
                "users",
                "verdict",
            ],
        )
