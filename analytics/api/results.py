"""Observations in, results and task progress out, over ``/api/v1/``."""

from celery.result import AsyncResult
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from experiments.by_key import ExperimentByIdOrKey
from experiments.models import Experiment
from experiments.selectors import experiment_list_for_user
from growthops.api import refuse_any_body
from growthops.api_rows import CompiledOnce, InList, RowPresenter
from growthops.filters import StrictBooleanField, filtered
from growthops.pagination import HistoryPagination
from growthops.query_params import filter_parameter_names, refuse_unknown_parameters
from growthops.renderers import CSV_BATCH, CSVExports, csv_response, in_batches
from growthops.schema import CSV_BODY, CSV_TABLE, filter_parameters
from roles.permissions import HasAbility

from ..dimensions import dimension_refusal, experiment_dimensions
from ..filters import ObservationFilter, ResultHistoryFilter
from ..ingest.observations import observations_upload, parse_csv
from ..models import Observation, Result, SrmAcknowledgement
from ..selectors import newest_looks
from ..services import analysis_request
from ..srm import srm_acknowledge
from .parsers import CSVTextParser, JSONParser
from .slices import (
    COMPUTED_PARAMETERS,
    ComputedResultsSerializer,
    computed_asked,
    computed_response,
)

VERSION_HELP = (
    "The version of the warehouse metric definition that computed the numbers "
    "(GET /api/v1/metrics/{id}/); null when they were uploaded or rolled up from events."
)


class ObservationSerializer(serializers.ModelSerializer):
    variant = serializers.SlugRelatedField(slug_field="key", read_only=True)
    metric = serializers.SlugRelatedField(slug_field="key", read_only=True)

    class Meta:
        model = Observation
        fields = [
            "date",
            "variant",
            "metric",
            "users",
            "conversions",
            "sum",
            "sum_squares",
            "covariate_sum",
            "covariate_sum_squares",
            "cross_sum",
            "dimension",
            "dimension_value",
            "source",
            "metric_version",
            "updated_at",
        ]
        extra_kwargs = {"metric_version": {"help_text": VERSION_HELP}}


class ResultSerializer(serializers.ModelSerializer):
    variant = serializers.SlugRelatedField(slug_field="key", read_only=True)
    metric = serializers.SlugRelatedField(slug_field="key", read_only=True)
    significant = serializers.BooleanField(read_only=True)
    srm_detected = serializers.BooleanField(read_only=True)

    class Meta:
        model = Result
        fields = [
            "metric",
            "variant",
            "look",
            "computed_at",
            "is_control",
            "users",
            "mean",
            "diff",
            "diff_ci_low",
            "diff_ci_high",
            "lift",
            "lift_ci_low",
            "lift_ci_high",
            "p_value",
            "p_value_adjusted",
            "sequential_p_value",
            "chance_to_beat_control",
            "expected_loss",
            "significant",
            "srm_p_value",
            "srm_detected",
            "alpha",
            "cuped",
            "metric_version",
        ]
        extra_kwargs = {"metric_version": {"help_text": VERSION_HELP}}


OBSERVATION_ROWS = RowPresenter.of(ObservationSerializer)

# Results are read on every look at an experiment: the serializer's fields are built once,
# and the query of the newest snapshots is compiled once.
RESULT_ROWS = RowPresenter.of(ResultSerializer)
RESULT_COLUMNS = [field.attname for field in Result._meta.concrete_fields]
NEWEST_RESULTS = CompiledOnce(
    lambda ids: newest_looks(Result.objects.filter(InList(F("experiment_id"), ids))).values(
        *RESULT_COLUMNS, "metric__key", "variant__key"
    )
)


def latest_results_presented(experiment_id: int, metric: str | None = None) -> list[dict]:
    """``latest_results`` as ``ResultSerializer`` presents them (optionally of one metric)."""
    return newest_results_presented([experiment_id], metric).get(experiment_id, [])


def newest_results_presented(
    experiment_ids: list[int], metric: str | None = None
) -> dict[int, list[dict]]:
    """Each experiment's newest snapshots as ``ResultSerializer`` presents them, in one query
    whatever the number of experiments (optionally of one metric); an experiment with none is
    left out."""
    rows = [
        row
        for row in NEWEST_RESULTS.rows(list(experiment_ids))
        if metric is None or row["metric__key"] == metric
    ]
    for row in rows:
        result = Result(**{name: row[name] for name in RESULT_COLUMNS})  # its derived fields
        row["metric"], row["variant"] = row["metric__key"], row["variant__key"]
        row["significant"], row["srm_detected"] = result.significant, result.srm_detected
    by_experiment: dict[int, list[dict]] = {}
    for row, presented in zip(rows, RESULT_ROWS.present(rows), strict=True):
        by_experiment.setdefault(row["experiment_id"], []).append(presented)
    return by_experiment


class ResultHistoryPageSerializer(serializers.Serializer):
    """One cursor page of ``?history=1``."""

    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ResultSerializer(many=True)


class ObservationsWrittenSerializer(serializers.Serializer):
    written = serializers.IntegerField(help_text="Rows written (a re-sent day replaces its row).")
    results_stale = serializers.BooleanField(
        help_text="The results are being recomputed; false when the batch held only slices' "
        "rows (the analysis reads the overall rows: nothing to recompute)."
    )
    analysis_task_id = serializers.CharField(
        allow_null=True,
        help_text="The queued analysis: follow it at ``/api/v1/tasks/{id}/`` (null when none "
        "was queued).",
    )


class AnalysisQueuedSerializer(serializers.Serializer):
    analysis_task_id = serializers.CharField(
        help_text="The queued analysis: follow it at ``/api/v1/tasks/{id}/``."
    )


class SrmAcknowledgeSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Why the results may be read."
    )


class SrmAcknowledgementSerializer(serializers.ModelSerializer):
    acknowledged_by = serializers.StringRelatedField()

    class Meta:
        model = SrmAcknowledgement
        fields = ["experiment", "look", "srm_p_value", "acknowledged_by", "acknowledged_at", "note"]
        read_only_fields = fields


RESULTS_OR_HISTORY = PolymorphicProxySerializer(
    component_name="ResultsOrHistory",
    serializers=[
        ResultSerializer(many=True),
        ResultHistoryPageSerializer,
        ComputedResultsSerializer,
    ],
    resource_type_field_name=None,
    many=False,
)


def history_asked(request) -> bool:
    """``?history=``: true or false (1 or 0); anything else is a 400 naming ``history``."""
    try:
        return bool(StrictBooleanField(required=False).clean(request.query_params.get("history")))
    except DjangoValidationError as exc:
        raise ValidationError({"history": exc.messages}) from None


class ExperimentDataViewSet(ExperimentByIdOrKey, CSVExports, viewsets.GenericViewSet):
    """An experiment's data and results: ``/experiments/{id}/observations/`` and ``…/results/``.

    Registered on the ``experiments`` prefix beside the experiments app's own viewset; it has
    no list or detail routes of its own, only these two actions.
    """

    permission_classes = [HasAbility]
    # Reading needs results.read; posting observations needs data.upload (per method).
    required_abilities = {
        "srm_acknowledge": "results.acknowledge_srm",
        "analyse": "data.upload",
        "GET": "experiments.read",
        "POST": "data.upload",
    }
    parser_classes = [JSONParser, CSVTextParser]
    serializer_class = ObservationSerializer
    csv_exports = frozenset({"observations", "results"})
    # What ``results`` reads itself (the lists' parameters are checked by their pagination).
    query_parameters = {
        "results": {
            "history",
            "metric",
            *COMPUTED_PARAMETERS,
            *filter_parameter_names(ResultHistoryFilter),
        }
    }

    def get_queryset(self):
        # The experiment's id and owner alone: these actions read its data, not the row, and
        # the permission check reads only the owner.
        return (
            experiment_list_for_user(user=self.request.user)
            .select_related(None)
            .only("id", "owner_id", "partner_id", "executed_by")
        )

    @extend_schema(
        methods=["GET"],
        responses={
            (200, "application/json"): ObservationSerializer(many=True),
            (200, "text/csv"): CSV_TABLE,
        },
        parameters=filter_parameters(ObservationFilter),
        description="The stored daily observations, by day, metric and variant, in pages: the "
        "overall rows, or with ``?dimension=device`` that dimension's slices' rows. "
        "``?format=csv`` gives the whole filtered list as one CSV table (no pages).",
    )
    @extend_schema(
        methods=["POST"],
        request={"application/json": ObservationSerializer(many=True), "text/csv": CSV_BODY},
        responses={(201, "application/json"): ObservationsWrittenSerializer},
        description="Re-sending a day replaces it. One bad row rejects the whole batch (400, every "
        "bad row listed); nothing is written. CSV header: "
        "date,variant,metric,users,conversions,sum,sum_squares[,covariate_sum,covariate_sum_squares,"
        "cross_sum][,dimension,dimension_value]. A row with a dimension (one of the "
        "RESULT_DIMENSIONS setting) and its value is that slice's day, stored beside the "
        "overall row; a batch of slices' rows alone queues no analysis (it reads the overall "
        "rows).",
    )
    @action(detail=True, methods=["get", "post"])
    def observations(self, request, pk=None):
        experiment = self.get_object()
        if request.method == "POST":
            rows = parse_csv(request.data) if isinstance(request.data, str) else request.data
            upload = observations_upload(experiment_id=experiment.pk, actor=request.user, rows=rows)
            body = ObservationsWrittenSerializer(
                {
                    "written": upload.written,
                    "results_stale": upload.results_stale,
                    "analysis_task_id": upload.analysis_task_id,
                }
            ).data
            return Response(body, status=201)
        # GET, and HEAD (GET's answer without its body).
        # The overall rows, unless ``?dimension=`` asks for a dimension's slices (its filter).
        sliced = "dimension" in request.query_params
        if sliced and (
            reason := dimension_refusal(
                request.query_params["dimension"], experiment_dimensions(experiment.pk)
            )
        ):
            raise ValidationError({"dimension": reason})
        rows = (
            (experiment.observations.all() if sliced else experiment.observations.overall())
            .select_related("variant", "metric")
            .order_by("date", "metric__key", "variant__key", "id")
        )
        rows = filtered(ObservationFilter, request, rows)
        page = self.paginate_queryset(rows)
        if page is None:  # ?format=csv: the whole filtered list, read and written in batches
            batches = in_batches(rows.iterator(chunk_size=CSV_BATCH), CSV_BATCH)
            return csv_response(
                OBSERVATION_ROWS.field_names, map(OBSERVATION_ROWS.present_objects, batches)
            )
        return self.get_paginated_response(OBSERVATION_ROWS.present_objects(page))

    @extend_schema(
        parameters=[
            OpenApiParameter("history", bool),
            OpenApiParameter("metric", str),
            OpenApiParameter(
                "dimension",
                str,
                description="Results per value of this dimension (device, country, …: the "
                "RESULT_DIMENSIONS setting's, or one the experiment's stored rows have, such as "
                "a warehouse source's own), computed from the stored daily rows, corrected "
                "across the slices. Another is a 400 listing the allowed ones.",
            ),
            OpenApiParameter(
                "from",
                OpenApiTypes.DATE,
                description="Results of the days from this one (YYYY-MM-DD), computed.",
            ),
            OpenApiParameter(
                "to", OpenApiTypes.DATE, description="… up to this one (YYYY-MM-DD, inclusive)."
            ),
            OpenApiParameter("cursor", str, description="With ``history``: the page to read."),
            OpenApiParameter("page_size", int, description="With ``history``: at most 500."),
            *(
                OpenApiParameter(
                    p.name, p.type, description=f"With ``history``: {p.description}".strip()
                )
                for p in filter_parameters(ResultHistoryFilter)
            ),
        ],
        responses=RESULTS_OR_HISTORY,
        description="The latest snapshot per metric × variant (a list), or with ``?history=1`` "
        "every look, oldest first, in cursor pages (``next`` / ``previous``). ``?format=csv`` "
        "gives either as a CSV table. With ``dimension``, ``from`` or ``to`` the results are "
        "computed from the stored daily rows (per slice of the dimension, within the days), "
        "never stored: an object with each slice's table, the correction across slices and "
        "a warning.",
    )
    @action(
        detail=True,
        methods=["get"],
        parser_classes=[JSONParser],
        pagination_class=HistoryPagination,
    )
    def results(self, request, pk=None):
        experiment = self.get_object()
        refuse_unknown_parameters(request, self, HistoryPagination)
        metric = request.query_params.get("metric")
        if computed_asked(request):
            whole = Experiment.objects.prefetch_related("variants").get(pk=experiment.pk)
            return computed_response(request, whole, metric)
        if history_asked(request):
            rows = experiment.results.select_related("metric", "variant")
            if metric:
                rows = rows.filter(metric__key=metric)
            rows = filtered(ResultHistoryFilter, request, rows)
            page = self.paginate_queryset(rows)
            if page is None:  # ?format=csv: every look, read and written in batches
                batches = in_batches(
                    rows.order_by("look", "id").iterator(chunk_size=CSV_BATCH), CSV_BATCH
                )
                return csv_response(
                    RESULT_ROWS.field_names, map(RESULT_ROWS.present_objects, batches)
                )
            return self.get_paginated_response(RESULT_ROWS.present_objects(page))
        latest = latest_results_presented(experiment.pk, metric or None)
        if request.accepted_renderer.format == "csv":
            # The header names the columns even when there is no result yet.
            return csv_response(RESULT_ROWS.field_names, [latest])
        return Response(latest)

    @extend_schema(
        request=None,
        responses={202: AnalysisQueuedSerializer},
        description="Queue an analysis of the stored data now (who may upload data may ask); "
        "202 with the task to follow at ``/api/v1/tasks/{id}/``. 409 when there is no data yet.",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="analyse",
        url_name="analyse",
        parser_classes=[JSONParser],
        filter_backends=[],
    )
    def analyse(self, request, pk=None):
        refuse_any_body(request)
        experiment = self.get_object()
        task_id = analysis_request(experiment_id=experiment.pk, actor=request.user)
        return Response(AnalysisQueuedSerializer({"analysis_task_id": task_id}).data, status=202)

    @extend_schema(
        request=SrmAcknowledgeSerializer,
        responses=SrmAcknowledgementSerializer,
        description="Acknowledge the sample-ratio mismatch at the latest look (``srm_acknowledge``, "
        "as on the results page): the reading is shown and completing needs no confirmation. "
        "Repeating it answers the acknowledgement already made; 400 when there is no mismatch.",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="srm/acknowledge",
        parser_classes=[JSONParser],
        filter_backends=[],
    )
    def srm_acknowledge(self, request, pk=None):
        experiment = self.get_object()
        payload = SrmAcknowledgeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        acknowledgement = srm_acknowledge(
            experiment_id=experiment.pk, actor=request.user, note=payload.validated_data["note"]
        )
        return Response(SrmAcknowledgementSerializer(acknowledgement).data)


# Celery's states (``celery.states.ALL_STATES``) and ``PROGRESS``, which the analysis and the
# warehouse refresh set with their percent.
TASK_STATES = ["PENDING", "RECEIVED", "STARTED", "PROGRESS", "RETRY", "SUCCESS", "FAILURE"]
TASK_STATES += ["REVOKED"]


class TaskStatusSerializer(serializers.Serializer):
    id = serializers.CharField()
    state = serializers.ChoiceField(TASK_STATES, help_text="Celery's state of the task.")
    percent = serializers.FloatField()
    result = serializers.DictField(required=False)
    error = serializers.CharField(required=False)


class TaskViewSet(viewsets.ViewSet):
    """State and percent of a queued task (Celery task meta): ``/tasks/{uuid}/``."""

    permission_classes = [HasAbility]
    required_ability = "results.read"
    lookup_field = "task_id"
    # Only a UUID routes here: anything else is a 404, not a look-up in the result backend.
    lookup_value_regex = (
        "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    )

    @extend_schema(responses=TaskStatusSerializer)
    def retrieve(self, request, task_id=None):
        result = AsyncResult(task_id)
        info = result.info if isinstance(result.info, dict) else {}
        percent = 100.0 if result.state == "SUCCESS" else info.get("percent", 0.0)
        body = {"id": task_id, "state": result.state, "percent": percent}
        if result.state == "SUCCESS" and isinstance(result.result, dict):
            body["result"] = result.result
        if result.state == "FAILURE":
            body["error"] = str(result.result)
        return Response(body)
