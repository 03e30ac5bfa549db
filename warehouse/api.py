"""The warehouse over ``/api/v1/``: data sources (``/datasources/``, their connection test),
the metric library (``/metrics/``: definitions and versions), and an experiment's exposure
source and refreshes (``/experiments/{id}/warehouse/``, ``…/refresh/``, ``…/refreshes/``)."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from analytics.api.parsers import JSONParser
from experiments.api import MetricReadViewSet
from experiments.by_key import ExperimentByIdOrKey
from experiments.models import Metric
from experiments.selectors import experiment_list_for_user
from experiments.serializers import StrictInput, service_fields
from experiments.serializers.shapes import MetricSerializer
from growthops.api import refuse_any_body
from growthops.filters import LIST_FILTERS
from roles.permissions import HasAbility

from . import services
from .models import DataSource, ExperimentSource, MetricDefinition, RefreshRun
from .requests import refresh_request

# --- data sources --------------------------------------------------------------------------


DIMENSION_COLUMNS_HELP = (
    "Columns of the exposure table its experiments' results are sliced by, at most 10: "
    "``device_category`` slices by ``device_category``, ``device=device_category`` names the "
    "slice ``device`` (a dimension's name: lower-case letters, digits and _)."
)


class DataSourceSerializer(serializers.ModelSerializer):
    """A source as everyone with the ability sees it: the *name* of where its connection
    settings live (``env:NAME``), never the settings."""

    dimension_columns = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text=DIMENSION_COLUMNS_HELP
    )

    class Meta:
        model = DataSource
        fields = [
            "id",
            *services.SOURCE_FIELDS,
            "last_tested_at",
            "last_test_ok",
            "last_test_message",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class DataSourceInputSerializer(StrictInput, serializers.ModelSerializer):
    read_only_hints = {"id": "Read-only.", "last_test_ok": "Read-only: ask …/test/."}
    dimension_columns = serializers.ListField(
        child=serializers.CharField(max_length=300),
        max_length=10,
        required=False,
        help_text=DIMENSION_COLUMNS_HELP,
    )

    class Meta:
        model = DataSource
        fields = list(services.SOURCE_FIELDS)
        validators = []  # the service checks (the unique name included)


class DataSourceViewSet(
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    serializer_class = DataSourceSerializer
    permission_classes = [HasAbility]
    required_ability = "warehouse.sources"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    parser_classes = [JSONParser]
    queryset = DataSource.objects.all()
    filter_backends = LIST_FILTERS
    filterset_fields = ["kind"]
    search_fields = ["name"]
    ordering_fields = ["name", "kind", "created_at"]
    ordering = ["name", "id"]

    @extend_schema(request=DataSourceInputSerializer, responses={201: DataSourceSerializer})
    def create(self, request):
        payload = _valid(DataSourceInputSerializer(data=request.data))
        source = services.datasource_create(actor=request.user, **service_fields(payload))
        return Response(DataSourceSerializer(source).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DataSourceInputSerializer, responses=DataSourceSerializer)
    def partial_update(self, request, pk=None):
        source = self.get_object()
        payload = _valid(DataSourceInputSerializer(data=request.data, partial=True))
        source = services.datasource_update(
            actor=request.user, datasource_id=source.pk, **service_fields(payload)
        )
        return Response(DataSourceSerializer(source).data)

    def destroy(self, request, pk=None):
        source = self.get_object()
        services.datasource_delete(actor=request.user, datasource_id=source.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=DataSourceSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def test(self, request, pk=None):
        """Ask the source ``SELECT 1`` (read-only, with its time limit); the answer is in
        ``last_test_ok`` and ``last_test_message``."""
        refuse_any_body(request)
        source = self.get_object()
        source = services.datasource_test(actor=request.user, datasource_id=source.pk)
        return Response(DataSourceSerializer(source).data)


def _valid(serializer):
    serializer.is_valid(raise_exception=True)
    return serializer


# --- the metric library --------------------------------------------------------------------


class MetricDefinitionSerializer(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="name", read_only=True)
    created_by = serializers.StringRelatedField()
    official_by = serializers.StringRelatedField()
    official = serializers.SerializerMethodField()

    class Meta:
        model = MetricDefinition
        fields = [
            "version",
            *services.DEFINITION_FIELDS,
            "note",
            "created_by",
            "created_at",
            "official",
            "official_at",
            "official_by",
        ]
        read_only_fields = fields

    def get_official(self, definition) -> bool:
        return definition.official_at is not None


class MetricLibrarySerializer(MetricSerializer):
    """A metric with its current definition (the latest version) and every version."""

    definition = serializers.SerializerMethodField()
    versions = serializers.SerializerMethodField()

    class Meta(MetricSerializer.Meta):
        fields = [*MetricSerializer.Meta.fields, "description", "definition", "versions"]

    def get_definition(self, metric) -> dict | None:
        versions = list(metric.definitions.all())
        return MetricDefinitionSerializer(versions[0]).data if versions else None

    def get_versions(self, metric) -> list[dict]:
        return MetricDefinitionSerializer(metric.definitions.all(), many=True).data


class MetricInputSerializer(StrictInput, serializers.Serializer):
    """A metric and its definition (POST); on PATCH, what changes (a new version)."""

    key = serializers.SlugField(max_length=64, required=False)
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    source = serializers.PrimaryKeyRelatedField(queryset=DataSource.objects.all(), required=False)
    fact_table = serializers.CharField(max_length=400, required=False)
    user_column = serializers.CharField(max_length=128, required=False)
    time_column = serializers.CharField(max_length=128, required=False)
    value_expression = serializers.CharField(max_length=1000, required=False)
    denominator_expression = serializers.CharField(
        max_length=1000, required=False, allow_blank=True
    )
    aggregation = serializers.ChoiceField(MetricDefinition.Aggregation.choices, required=False)
    filters = serializers.JSONField(required=False)
    conversion_window_hours = serializers.IntegerField(required=False)
    covariate_days = serializers.IntegerField(required=False)
    direction = serializers.ChoiceField(Metric.Direction.choices, required=False)
    unit = serializers.CharField(max_length=32, required=False, allow_blank=True)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class OfficialSerializer(StrictInput, serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1)


class MetricViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, MetricReadViewSet):
    """The metric library: everyone reads; analysts and the CMO create and edit (each change
    of a definition is a new version); the CMO marks a version official."""

    serializer_class = MetricLibrarySerializer
    required_abilities = {
        "create": "metrics.define",
        "partial_update": "metrics.define",
        "official": "metrics.official",
    }
    http_method_names = ["get", "post", "patch", "head", "options"]
    parser_classes = [JSONParser]

    def get_queryset(self):
        versions = MetricDefinition.objects.select_related(
            "source", "created_by", "official_by"
        ).order_by("-version")
        return Metric.objects.prefetch_related(Prefetch("definitions", queryset=versions))

    def _present(self, metric, code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=metric.pk)
        return Response(MetricLibrarySerializer(fresh).data, status=code)

    @extend_schema(request=MetricInputSerializer, responses={201: MetricLibrarySerializer})
    def create(self, request):
        payload = _valid(MetricInputSerializer(data=request.data))
        metric = services.metric_define(actor=request.user, **service_fields(payload))
        return self._present(metric, status.HTTP_201_CREATED)

    @extend_schema(request=MetricInputSerializer, responses=MetricLibrarySerializer)
    def partial_update(self, request, pk=None):
        metric = self.get_object()
        payload = _valid(MetricInputSerializer(data=request.data, partial=True))
        metric = services.metric_define(
            actor=request.user, metric_id=metric.pk, **service_fields(payload)
        )
        return self._present(metric)

    @extend_schema(request=OfficialSerializer, responses=MetricLibrarySerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def official(self, request, pk=None):
        """Mark a version (the latest unless ``version`` is given) official."""
        metric = self.get_object()
        payload = _valid(OfficialSerializer(data=request.data))
        services.metric_mark_official(
            actor=request.user, metric_id=metric.pk, **service_fields(payload)
        )
        return self._present(metric)


# --- an experiment's exposure source and refreshes -----------------------------------------


class RefreshRunSerializer(serializers.ModelSerializer):
    requested_by = serializers.StringRelatedField()
    progress = serializers.IntegerField(
        read_only=True,
        min_value=0,
        max_value=100,
        help_text="Percent done: each statement sent is a step, and so is the write after them.",
    )

    class Meta:
        model = RefreshRun
        fields = [
            "id",
            "status",
            "task_id",
            "requested_by",
            "queued_at",
            "started_at",
            "finished_at",
            "duration_ms",
            "rows",
            "written",
            "statements",
            "statements_planned",
            "statements_sent",
            "progress",
            "error",
        ]
        read_only_fields = fields


class RefreshQueuedSerializer(serializers.Serializer):
    task_id = serializers.CharField(help_text="Follow it at /api/v1/tasks/{id}/.")
    run = RefreshRunSerializer()


class ExposureSourceSerializer(StrictInput, serializers.Serializer):
    source = serializers.PrimaryKeyRelatedField(
        queryset=DataSource.objects.all(), allow_null=True, help_text="null removes it."
    )
    experiment_key = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ExperimentWarehouseViewSet(ExperimentByIdOrKey, viewsets.GenericViewSet):
    """Detail actions on the ``experiments`` prefix: the exposure source, a refresh, the runs."""

    permission_classes = [HasAbility]
    required_abilities = {"GET": "results.read", "POST": "warehouse.refresh"}
    parser_classes = [JSONParser]
    serializer_class = RefreshRunSerializer
    pagination_class = None  # ``refreshes`` is the latest 20, not a paged list

    def get_queryset(self):
        return (
            experiment_list_for_user(user=self.request.user)
            .select_related(None)
            .only("id", "owner_id", "key")
        )

    @extend_schema(request=None, responses={202: RefreshQueuedSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def refresh(self, request, pk=None):
        """Queue a refresh from the warehouse: 202 with the task to follow at
        ``/api/v1/tasks/{id}/``; its run (``…/refreshes/``) shows the SQL, time and any error."""
        refuse_any_body(request)
        experiment = self.get_object()
        run = refresh_request(actor=request.user, experiment_id=experiment.pk)
        run.refresh_from_db()
        body = {"task_id": run.task_id, "run": run}
        return Response(RefreshQueuedSerializer(body).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=RefreshRunSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def refreshes(self, request, pk=None):
        """The latest 20 refreshes, newest first."""
        experiment = self.get_object()
        runs = RefreshRun.objects.filter(experiment=experiment).select_related("requested_by")
        return Response(RefreshRunSerializer(runs[:20], many=True).data)

    @extend_schema(
        methods=["GET"], responses=ExposureSourceSerializer, description="The exposure source."
    )
    @extend_schema(
        methods=["POST"], request=ExposureSourceSerializer, responses=ExposureSourceSerializer
    )
    @action(detail=True, methods=["get", "post"], url_path="warehouse", filter_backends=[])
    def exposure_source(self, request, pk=None):
        experiment = self.get_object()
        if request.method == "POST":
            payload = _valid(ExposureSourceSerializer(data=request.data))
            services.experiment_source_set(
                actor=request.user, experiment_id=experiment.pk, **payload.validated_data
            )
        link = ExperimentSource.objects.filter(experiment=experiment).first()
        body = {
            "source": link.source_id if link else None,
            "experiment_key": link.key if link else "",
        }
        return Response(body)
