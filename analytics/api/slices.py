"""``…/results/?dimension=device`` and ``?from=&to=``: results computed from the stored daily
rows (``analytics.slices``), one table per slice, never stored."""

from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from growthops.query_params import date_window_parameters
from growthops.renderers import csv_response

from ..slices import SLICE_CORRECTIONS, ComputedResults, results_computed

# The parameters that ask for computed results instead of the stored snapshots.
COMPUTED_PARAMETERS = ("dimension", "from", "to")


class ComputedResultSerializer(serializers.Serializer):
    """One variant of one metric in one slice, as the engine reads the slice's sums."""

    metric = serializers.CharField()
    variant = serializers.CharField()
    is_control = serializers.BooleanField()
    users = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True)
    diff = serializers.FloatField(allow_null=True, required=False)
    diff_ci_low = serializers.FloatField(allow_null=True, required=False)
    diff_ci_high = serializers.FloatField(allow_null=True, required=False)
    lift = serializers.FloatField(allow_null=True, required=False)
    lift_ci_low = serializers.FloatField(allow_null=True, required=False)
    lift_ci_high = serializers.FloatField(allow_null=True, required=False)
    p_value = serializers.FloatField(allow_null=True, required=False)
    p_value_adjusted = serializers.FloatField(
        allow_null=True, required=False, help_text="Corrected across the variants (as stored)."
    )
    p_value_across_slices = serializers.FloatField(
        allow_null=True,
        required=False,
        help_text="Corrected across every slice × variant of the metric (with ``dimension``).",
    )
    sequential_p_value = serializers.FloatField(
        allow_null=True,
        required=False,
        help_text="The always-valid p-value; with ``dimension`` corrected across slices too.",
    )
    chance_to_beat_control = serializers.FloatField(allow_null=True, required=False)
    expected_loss = serializers.FloatField(allow_null=True, required=False)
    significant = serializers.BooleanField(
        help_text="By the experiment's method; across slices, on the corrected p-value."
    )
    srm_p_value = serializers.FloatField(allow_null=True)
    srm_detected = serializers.BooleanField()
    alpha = serializers.FloatField()
    cuped = serializers.BooleanField()


class SliceSerializer(serializers.Serializer):
    value = serializers.CharField(
        allow_null=True, help_text="The dimension's value; null for the overall rows."
    )
    users = serializers.IntegerField()
    results = ComputedResultSerializer(many=True)


class ComputedResultsSerializer(serializers.Serializer):
    """Results computed from the stored daily rows, by slice and/or date window."""

    dimension = serializers.CharField(allow_null=True)
    from_ = serializers.DateField(allow_null=True)  # "from": a Python keyword (see get_fields)
    to = serializers.DateField(allow_null=True)
    correction = serializers.ChoiceField(
        SLICE_CORRECTIONS,
        allow_null=True,
        help_text="The correction across slices; null without a dimension.",
    )
    warning = serializers.CharField(allow_null=True)
    slices = SliceSerializer(many=True)

    def get_fields(self):
        return {
            ("from" if name == "from_" else name): f for name, f in super().get_fields().items()
        }


CSV_COLUMNS = [
    "dimension",
    "dimension_value",
    "from",
    "to",
    *ComputedResultSerializer().fields,
]


def computed_asked(request) -> bool:
    return any(name in request.query_params for name in COMPUTED_PARAMETERS)


def computed_parameters(request) -> dict:
    """``dimension``, ``from`` and ``to`` read strictly: a 400 names the bad one (the
    selector refuses a dimension the experiment's results are not sliced by)."""
    dimension = request.query_params.get("dimension")
    if dimension == "":
        raise ValidationError(
            {"dimension": "is empty: name a dimension (such as device), or leave it out."}
        )
    date_from, date_to = date_window_parameters(request)
    return {"dimension": dimension or "", "date_from": date_from, "date_to": date_to}


def presented(computed: ComputedResults, metric: str | None = None) -> dict:
    return {
        "dimension": computed.dimension or None,
        "from": computed.date_from,
        "to": computed.date_to,
        "correction": computed.correction,
        "warning": computed.warning,
        "slices": [
            {
                "value": piece.value if computed.dimension else None,
                "users": piece.users,
                "results": [r for r in piece.results if metric is None or r["metric"] == metric],
            }
            for piece in computed.slices
        ],
    }


def computed_response(request, experiment, metric: str | None):
    """The computed results as JSON, or with ``?format=csv`` one row per slice × variant."""
    if "history" in request.query_params:
        raise ValidationError(
            {"history": "History lists stored looks; it does not combine with dimension, from "
             "or to (computed results have no looks)."}
        )  # fmt: skip
    computed = results_computed(experiment, user=request.user, **computed_parameters(request))
    body = presented(computed, metric or None)
    if request.accepted_renderer.format == "csv":
        lead = {"dimension": body["dimension"], "from": body["from"], "to": body["to"]}
        rows = [
            {**lead, "dimension_value": piece["value"], **row}
            for piece in body["slices"]
            for row in piece["results"]
        ]
        return csv_response(CSV_COLUMNS, [rows])
    return Response(ComputedResultsSerializer(body).data)
