"""Filters and sorting for the list pages (django-filter, with labels and widgets for forms).

The API's filters are `filters.py`; these narrow the same querysets for people, nothing more.
"""

import django_filters
from django import forms
from django.db.models import Q

from growthops.filters import MAX_SEARCH_LENGTH
from roles.models import Channel, User

from .choices import sort_choices
from .list_rows import DEFAULT_SORT as EXPERIMENT_DEFAULT_SORT
from .list_rows import sort_options
from .models import (
    Decision,
    Experiment,
    ExperimentStatus,
    Hypothesis,
    Objective,
    Outcome,
    Segment,
)
from .ranking import DEFAULT_SORT, HYPOTHESIS_SORTS, hypotheses_ranked
from .stages import Stage


class SortedFilterSet(django_filters.FilterSet):
    """A filter form whose dropdowns read in alphabetical order."""

    @property
    def form(self):
        form = super().form
        if not getattr(form, "choices_sorted", False):
            sort_choices(form)
            form.choices_sorted = True
        return form


def _segments(request):
    return Segment.objects.select_related("parent__parent__parent")


class HypothesisPageFilter(SortedFilterSet):
    """Filters and sort of the backlog page; expects the columns of ``HypothesisQuerySet.with_scores``."""

    q = django_filters.CharFilter(
        field_name="title", lookup_expr="icontains", label="Title", max_length=MAX_SEARCH_LENGTH
    )
    status = django_filters.ChoiceFilter(choices=Hypothesis.Status.choices, empty_label="Any")
    # The column of ``experiments.stages.with_stage``: where the idea went.
    stage = django_filters.ChoiceFilter(choices=Stage.choices, empty_label="Any", label="Stage")
    objective = django_filters.ModelChoiceFilter(
        queryset=Objective.objects.all(), empty_label="Any"
    )
    segment = django_filters.ModelChoiceFilter(queryset=_segments, empty_label="Any")
    channel = django_filters.ChoiceFilter(choices=Channel.choices, empty_label="Any")
    author = django_filters.ModelChoiceFilter(
        queryset=User.objects.filter(hypotheses__isnull=False).distinct(), empty_label="Anyone"
    )
    min_score = django_filters.NumberFilter(
        field_name="ice_value",
        lookup_expr="gte",
        label="Min. ICE",
        widget=forms.NumberInput(attrs={"min": 1, "max": 10, "step": "0.5"}),
    )
    mine = django_filters.BooleanFilter(
        method="filter_mine", label="Only my ideas", widget=forms.CheckboxInput
    )
    sort = django_filters.ChoiceFilter(
        method="filter_sort",
        label="Sort by",
        choices=[(key, label) for key, (label, _) in HYPOTHESIS_SORTS.items()],
        empty_label=None,
    )

    class Meta:
        model = Hypothesis
        fields = []

    def filter_mine(self, queryset, name, value):
        return queryset.filter(author=self.request.user) if value else queryset

    def filter_sort(self, queryset, name, value):
        return hypotheses_ranked(queryset, value)

    @property
    def qs(self):
        queryset = super().qs
        if not getattr(self.form, "cleaned_data", {}).get("sort"):
            queryset = self.filter_sort(queryset, "sort", DEFAULT_SORT)
        return queryset


class ExperimentPageFilter(SortedFilterSet):
    """Filters of the experiments page."""

    q = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", label="Name", max_length=MAX_SEARCH_LENGTH
    )
    status = django_filters.ChoiceFilter(choices=ExperimentStatus.choices, empty_label="Any")
    objective = django_filters.ModelChoiceFilter(
        queryset=Objective.objects.all(), empty_label="Any"
    )
    segment = django_filters.ModelChoiceFilter(queryset=_segments, empty_label="Any")
    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.filter(owned_experiments__isnull=False).distinct(),
        empty_label="Anyone",
    )
    channel = django_filters.ChoiceFilter(
        field_name="hypothesis__channel",
        choices=Channel.choices,
        empty_label="Any",
        label="Channel",
    )
    executed_by = django_filters.ChoiceFilter(
        choices=Experiment.ExecutedBy.choices, empty_label="Anyone", label="Executed by"
    )
    # Validated here, applied after the filters by ``list_rows.sorted_experiments`` (progress
    # is sorted outside the database).
    sort = django_filters.ChoiceFilter(
        method="filter_sort", label="Sort by", choices=sort_options(), empty_label=None
    )

    class Meta:
        model = Experiment
        fields = []

    def filter_sort(self, queryset, name, value):
        return queryset

    @property
    def chosen_sort(self) -> str:
        if not self.form.is_bound or not self.form.is_valid():
            return EXPERIMENT_DEFAULT_SORT
        return self.form.cleaned_data.get("sort") or EXPERIMENT_DEFAULT_SORT


class LearningPageFilter(SortedFilterSet):
    """Filters of the learnings page (concluded experiments)."""

    q = django_filters.CharFilter(
        method="filter_text", label="Search", max_length=MAX_SEARCH_LENGTH
    )
    outcome = django_filters.ChoiceFilter(choices=Outcome.choices, empty_label="Any")
    decision = django_filters.ChoiceFilter(choices=Decision.choices, empty_label="Any")
    channel = django_filters.ChoiceFilter(
        field_name="hypothesis__channel", choices=Channel.choices, empty_label="Any"
    )
    segment = django_filters.ModelChoiceFilter(queryset=_segments, empty_label="Any")
    objective = django_filters.ModelChoiceFilter(
        queryset=Objective.objects.all(), empty_label="Any"
    )
    executed_by = django_filters.ChoiceFilter(
        choices=Experiment.ExecutedBy.choices, empty_label="Anyone", label="Executed by"
    )

    class Meta:
        model = Experiment
        fields = []

    def filter_text(self, queryset, name, value):
        """Every word must appear somewhere in the test: its name or learnings, its hypothesis
        (title, observation, change, effect), its primary metric (name or key) or its
        segment."""
        for word in value.split()[:8]:
            queryset = queryset.filter(
                Q(name__icontains=word)
                | Q(learnings__icontains=word)
                | Q(hypothesis__title__icontains=word)
                | Q(hypothesis__observation__icontains=word)
                | Q(hypothesis__change__icontains=word)
                | Q(hypothesis__effect__icontains=word)
                | Q(primary_metric__name__icontains=word)
                | Q(primary_metric__key__icontains=word)
                | Q(segment__name__icontains=word)
            )
        return queryset
