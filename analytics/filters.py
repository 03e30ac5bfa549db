"""The filters of the analytics lists: notifications, an experiment's observations and its
result history (``?date_after=…``). A value a filter cannot read is a 400 naming the field."""

import django_filters as filters

from growthops.filters import InstantRangeFilter

from .models import Alert, Notification, Observation, Result


class NotificationFilter(filters.FilterSet):
    # A choice, not a BooleanFilter: that one ignores a value it cannot read instead of a 400.
    unread = filters.ChoiceFilter(
        choices=[(v, v) for v in ("true", "false", "1", "0")],
        method="filter_unread",
        help_text="true (or 1): only the unread; false (or 0): only those already read.",
    )
    kind = filters.MultipleChoiceFilter(field_name="alert__kind", choices=Alert.Kind.choices)
    created_at = InstantRangeFilter(
        help_text="created_at_after / created_at_before (ISO 8601 date and time, inclusive)"
    )

    class Meta:
        model = Notification
        fields = ["unread", "kind", "created_at"]

    def filter_unread(self, queryset, name, value):
        return queryset.filter(read_at__isnull=value in ("true", "1"))


class ObservationFilter(filters.FilterSet):
    date = filters.DateFromToRangeFilter(
        help_text="date_after / date_before (YYYY-MM-DD, inclusive)"
    )
    metric = filters.CharFilter(field_name="metric__key", help_text="A metric's key.")
    variant = filters.CharFilter(field_name="variant__key", help_text="A variant's key.")

    class Meta:
        model = Observation
        fields = ["date", "metric", "variant"]


class ResultHistoryFilter(filters.FilterSet):
    computed_at = InstantRangeFilter(
        help_text="computed_at_after / computed_at_before (ISO 8601 date and time, inclusive)"
    )
    look = filters.RangeFilter(help_text="look_min / look_max (inclusive)")

    class Meta:
        model = Result
        fields = ["computed_at", "look"]
