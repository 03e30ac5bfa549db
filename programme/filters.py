"""The learnings search (``/api/v1/postmortems/`` and the learnings page): post-mortems by cause,
process fault, metric and lift range. A value a filter cannot read is a 400 naming it."""

import django_filters as filters
from django.db.models import Q

from growthops.filters import FilterSet

from .models import Cause, Postmortem, ProcessFault

# Where the words of ``q`` are looked for: the test, its hypothesis, metric and segment, and
# what the post-mortem says.
TEXT_FIELDS = (
    "experiment__name",
    "experiment__learnings",
    "experiment__hypothesis__title",
    "experiment__hypothesis__observation",
    "experiment__hypothesis__change",
    "experiment__hypothesis__effect",
    "experiment__segment__name",
    "metric__name",
    "metric__key",
    "believed",
    "happened",
    "why",
)
MAX_WORDS = 8


class PostmortemFilter(FilterSet):
    q = filters.CharFilter(
        method="filter_text",
        max_length=200,
        help_text="Words that must each appear in the test's name or learnings, its hypothesis, "
        "metric or segment, or the post-mortem's text.",
    )
    cause = filters.MultipleChoiceFilter(choices=Cause.choices)
    fault = filters.MultipleChoiceFilter(
        choices=ProcessFault.choices,
        method="filter_fault",
        help_text="Post-mortems naming any of these process faults.",
    )
    metric = filters.CharFilter(field_name="metric__key", help_text="The primary metric's key.")
    lift_min = filters.NumberFilter(
        field_name="lift", lookup_expr="gte", help_text="Relative lift at least (0.05 = +5 %)."
    )
    lift_max = filters.NumberFilter(
        field_name="lift", lookup_expr="lte", help_text="Relative lift at most."
    )
    decision = filters.ChoiceFilter(
        choices=[(d, d) for d in ("scale", "iterate", "abandon", "killed")]
    )
    status = filters.ChoiceFilter(choices=Postmortem.Status.choices)

    class Meta:
        model = Postmortem
        fields = ["q", "cause", "fault", "metric", "lift_min", "lift_max", "decision", "status"]

    def filter_text(self, queryset, name, value):
        for word in value.split()[:MAX_WORDS]:
            any_field = Q()
            for field in TEXT_FIELDS:
                any_field |= Q(**{f"{field}__icontains": word})
            queryset = queryset.filter(any_field)
        return queryset

    def filter_fault(self, queryset, name, value):
        if not value:
            return queryset
        any_of = Q()
        for fault in value:
            any_of |= Q(**{f"fault_{fault}": True})
        return queryset.filter(any_of)
