"""The experiment list's sortable result columns, for every filtered row at once.

Handed to ``experiments.list_rows`` (which may not import this app) from ``AnalyticsConfig``.
The leading arm is the one the list shows: at the deciding metric's newest look, the treatment
with the best lift for the metric's direction (``experiments.list_rows.leading_arm``).
"""

from django.db.models import (
    Case,
    F,
    FloatField,
    OuterRef,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Abs, Coalesce

from analytics.stats.significance import BAYESIAN, SEQUENTIAL
from experiments.models import Experiment, Metric

from .models import Result


def _newest_look():
    return (
        Result.objects.filter(
            experiment=OuterRef(OuterRef("pk")), metric=OuterRef(OuterRef("deciding_metric_pk"))
        )
        .order_by("-look")
        .values("look")[:1]
    )


def primary_result_columns(queryset):
    """``primary_lift``, ``primary_evidence`` (the method's p: the always-valid p for a
    sequential test, 2 × min(P(beat), 1 − P(beat)) for a Bayesian one, else the corrected p;
    smaller is stronger) and ``primary_users`` (all arms at the newest look)."""
    at_newest = Result.objects.filter(
        experiment=OuterRef("pk"),
        metric=OuterRef("deciding_metric_pk"),
        look=Subquery(_newest_look()),
    )
    arms = at_newest.filter(is_control=False, lift__isnull=False).annotate(
        evidence=Case(
            When(method=SEQUENTIAL, then=F("sequential_p_value")),
            When(
                method=BAYESIAN,
                then=Value(1.0) - Abs(Value(2.0) * F("chance_to_beat_control") - Value(1.0)),
            ),
            default=Coalesce(F("p_value_adjusted"), F("p_value")),
            output_field=FloatField(),
        )
    )
    best_up = arms.order_by("-lift", "variant_id")
    best_down = arms.order_by("lift", "variant_id")

    def leading(column):
        """The column of the best arm for the primary metric's direction."""
        return Case(
            When(
                primary_direction=Metric.Direction.LOWER,
                then=Subquery(best_down.values(column)[:1]),
            ),
            default=Subquery(best_up.values(column)[:1]),
            output_field=FloatField(),
        )

    users = at_newest.order_by().values("experiment").annotate(total=Sum("users")).values("total")
    return queryset.annotate(
        deciding_metric_pk=Experiment.deciding_metric_column("id"),
        primary_direction=Experiment.deciding_metric_column("direction"),
    ).annotate(
        primary_lift=leading("lift"),
        primary_evidence=leading("evidence"),
        primary_users=Subquery(users, output_field=FloatField()),
    )
