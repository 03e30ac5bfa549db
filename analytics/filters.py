"""The filters of the analytics lists: notifications, an experiment's observations, its
result history (``?date_after=…``), raw events and the portfolio's results. A value a filter cannot read is a 400 naming
the field."""

import django_filters as filters
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.utils import extend_schema_field

from experiments.filters import ExperimentApiFilter
from experiments.models import Experiment, Metric, Variant
from growthops.filters import BooleanFilter, FilterSet, InstantRangeFilter

from .ingest.events import KINDS
from .models import Alert, Event, Notification, Observation, Result

BIGINT_MAX = 2**63 - 1


class NotificationFilter(FilterSet):
    unread = BooleanFilter(
        method="filter_unread",
        help_text="true (or 1): only the unread; false (or 0): only those already read.",
    )
    open = BooleanFilter(
        method="filter_open",
        help_text="true (or 1): only open alerts; false (or 0): only resolved ones.",
    )
    kind = filters.MultipleChoiceFilter(field_name="alert__kind", choices=Alert.Kind.choices)
    created_at = InstantRangeFilter(
        help_text="created_at_after / created_at_before (ISO 8601 date and time, inclusive)"
    )

    class Meta:
        model = Notification
        fields = ["unread", "open", "kind", "created_at"]

    def filter_unread(self, queryset, name, value):
        return queryset.filter(read_at__isnull=value)

    def filter_open(self, queryset, name, value):
        return queryset.filter(alert__resolved_at__isnull=value)


class ObservationFilter(FilterSet):
    date = filters.DateFromToRangeFilter(
        help_text="date_after / date_before (YYYY-MM-DD, inclusive)"
    )
    metric = filters.CharFilter(field_name="metric__key", help_text="A metric's key.")
    variant = filters.CharFilter(field_name="variant__key", help_text="A variant's key.")
    # Checked against the experiment's dimensions by the view (they depend on its rows).
    dimension = filters.CharFilter(
        method="filter_dimension",
        help_text="A dimension (device, country, …: the RESULT_DIMENSIONS setting's or one of "
        "the experiment's stored rows): its slices' rows instead of the overall rows.",
    )

    class Meta:
        model = Observation
        fields = ["date", "metric", "variant", "dimension"]

    def filter_dimension(self, queryset, name, value):
        return queryset.sliced(value)


class ResultHistoryFilter(FilterSet):
    computed_at = InstantRangeFilter(
        help_text="computed_at_after / computed_at_before (ISO 8601 date and time, inclusive)"
    )
    look = filters.RangeFilter(help_text="look_min / look_max (inclusive)")

    class Meta:
        model = Result
        fields = ["computed_at", "look"]


@extend_schema_field({"type": "string", "enum": list(KINDS)})
class KindFilter(filters.ChoiceFilter):
    """The kind by name; stored as a number, which the schema would otherwise announce."""


class EventFilter(FilterSet):
    experiment = filters.CharFilter(
        method="filter_experiment", help_text="The experiment's id or key."
    )
    variant = filters.CharFilter(
        method="filter_variant", help_text="Variant key (e.g. control), in any experiment."
    )
    kind = KindFilter(
        choices=[(name, name) for name in KINDS],
        method="filter_kind",
        help_text="exposure or conversion",
    )
    metric = filters.CharFilter(method="filter_metric", help_text="Metric key.")
    user_id = filters.CharFilter()
    timestamp = InstantRangeFilter(
        help_text="timestamp_after / timestamp_before (ISO 8601 with a time zone, inclusive)"
    )

    class Meta:
        model = Event
        fields = ["experiment", "variant", "kind", "metric", "user_id", "timestamp"]

    def filter_experiment(self, queryset, name, value):
        # Resolved to ids first: a plain experiment_id = … lets the planner walk the
        # (experiment, id) index in page order.
        match = Q(key=value)
        if value.isascii() and value.isdecimal() and int(value) <= BIGINT_MAX:
            match |= Q(pk=int(value))
        ids = list(Experiment.objects.filter(match).values_list("id", flat=True))
        return queryset.filter(experiment_id__in=ids)

    def filter_variant(self, queryset, name, value):
        return queryset.filter(variant_id__in=Variant.objects.filter(key=value).values("id"))

    def filter_kind(self, queryset, name, value):
        return queryset.filter(kind=KINDS[value])

    def filter_metric(self, queryset, name, value):
        return queryset.filter(metric_id__in=Metric.objects.filter(key=value).values("id"))


class PortfolioResultFilter(ExperimentApiFilter):
    """``/results/``: the experiment list's filters, and ``metric`` (a metric's key): only the
    experiments measuring it, and only its results."""

    metric = filters.CharFilter(
        method="filter_metric", help_text="A metric's key: the experiments measuring it."
    )

    class Meta(ExperimentApiFilter.Meta):
        fields = [*ExperimentApiFilter.Meta.fields, "metric"]

    def filter_metric(self, queryset, name, value):
        measured = Metric.objects.filter(key=value).filter(
            Q(primary_for=OuterRef("pk"))
            | Q(secondary_for=OuterRef("pk"))
            | Q(guardrail_for=OuterRef("pk"))
        )
        return queryset.filter(Exists(measured))
