"""The filters people use on the experiment and hypothesis lists (``?status=…&owner=…``).

A value a filter cannot read (an unknown status, a date that is not a date) is a 400 naming
the field, through django-filter's validation.
"""

import django_filters as filters

from growthops.filters import FilterSet
from roles.models import Channel

from .models import Experiment, ExperimentStatus, Hypothesis, Outcome
from .stages import Stage


class ExperimentApiFilter(FilterSet):
    status = filters.MultipleChoiceFilter(choices=ExperimentStatus.choices)
    channel = filters.MultipleChoiceFilter(
        field_name="hypothesis__channel", choices=Channel.choices
    )
    outcome = filters.ChoiceFilter(choices=Outcome.choices)
    start_date = filters.DateFromToRangeFilter(
        help_text="start_date_after / start_date_before (YYYY-MM-DD, inclusive)"
    )
    end_date = filters.DateFromToRangeFilter(
        help_text="end_date_after / end_date_before (YYYY-MM-DD, inclusive)"
    )

    class Meta:
        model = Experiment
        fields = [
            "key",
            "status",
            "objective",
            "segment",
            "channel",
            "owner",
            "executed_by",
            "outcome",
        ]


class HypothesisApiFilter(FilterSet):
    status = filters.MultipleChoiceFilter(choices=Hypothesis.Status.choices)
    stage = filters.MultipleChoiceFilter(
        choices=Stage.choices, help_text="Where the idea went, from its experiments"
    )
    channel = filters.MultipleChoiceFilter(choices=Channel.choices)
    min_score = filters.NumberFilter(
        field_name="score", lookup_expr="gte", help_text="ICE score (1–10) at least this"
    )
    created_at = filters.DateFromToRangeFilter(
        help_text="created_at_after / created_at_before (YYYY-MM-DD, inclusive)"
    )

    class Meta:
        model = Hypothesis
        fields = [
            "status",
            "stage",
            "objective",
            "segment",
            "channel",
            "author",
            "min_score",
            "created_at",
        ]
