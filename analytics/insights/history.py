"""The programme's history as pandas tables, each read in one query the first time an insight
asks for it, and shared by every insight of a roll-up."""

import datetime as dt
from functools import cached_property

import pandas as pd
from django.db.models import F
from django.db.models.functions import Coalesce

from experiments.models import Experiment, Hypothesis, Segment, SegmentEconomics, StatusChange
from roles.models import Team, User

from ..portfolio.shrinkage import RESULT_FIELDS, concluded_primary_results


def _frame(queryset, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(queryset.values_list(*columns)), columns=columns)


class ProgrammeHistory:
    def __init__(self, *, today: dt.date):
        self.today = today

    @cached_property
    def experiments(self) -> pd.DataFrame:
        """One row per experiment: its design, owner, status, decision and dates."""
        return _frame(
            Experiment.objects.annotate(channel=F("hypothesis__channel")),
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
                "agency_name",
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
        with its interval (``analytics/portfolio/shrinkage.py``)."""
        columns = [*RESULT_FIELDS, "improvement", "improvement_low", "improvement_high"]
        return pd.DataFrame.from_records(concluded_primary_results(), columns=columns)

    @cached_property
    def impact_models(self) -> pd.DataFrame:
        """One row per experiment: what a relative improvement of its primary metric is worth
        (``analytics/portfolio/impact.py``), with the hypothesis's metric as the fallback."""
        return _frame(
            Experiment.objects.annotate(
                metric_kind=Coalesce("primary_metric__kind", "hypothesis__metric__kind")
            ),
            ["id", "reach_per_year", "baseline", "value_per_conversion", "metric_kind"],
        )

    @cached_property
    def segments(self) -> pd.DataFrame:
        """One row per segment: its owning team and the value of one customer acquired in its
        newest economics period (customer value ÷ customers; empty without economics)."""
        frame = _frame(Segment.objects.all(), ["id", "name", "owner_team_id"])
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
    def teams(self) -> dict[int, str]:
        return dict(Team.objects.values_list("id", "name"))

    @cached_property
    def people(self) -> dict[int, str]:
        """Every user's display name by id (scorers, owners, deciders)."""
        return {
            user.pk: str(user) for user in User.objects.only("username", "first_name", "last_name")
        }

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
                "created_at",
            ],
        )

    @cached_property
    def status_changes(self) -> pd.DataFrame:
        """The audit trail: every lifecycle step with its time and actor, oldest first."""
        return _frame(
            StatusChange.objects.order_by("created_at", "id"),
            ["experiment_id", "step", "from_status", "to_status", "actor_id", "created_at"],
        )
