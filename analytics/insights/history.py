"""The programme's history as pandas tables, each read in one query the first time an insight
asks for it, and shared by every insight of a roll-up."""

import datetime as dt
from functools import cached_property

import pandas as pd
from django.db.models import F

from experiments.models import Experiment, Hypothesis, StatusChange


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
