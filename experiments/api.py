"""The experiments app over ``/api/v1/``: objectives, segments, metrics, hypotheses, experiments,
comments and operator profiles.

Serializers parse the body; the same services as the pages decide. Lifecycle steps and
hypothesis triage are explicit actions, never a generic PATCH of ``status``.
"""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from growthops.api import refuse_any_body
from growthops.api_rows import RowPresenter
from growthops.filters import LIST_FILTERS
from growthops.renderers import CSV_BATCH, CSVExports, csv_response, in_batches
from roles.permissions import HasAbility

from . import services
from .by_key import ExperimentByIdOrKey
from .filters import ExperimentApiFilter, HypothesisApiFilter
from .lifecycle import STEP_SERVICES
from .models import Metric
from .ranking import calibrated_ice, current_calibration
from .selectors import (
    comment_list,
    experiment_list_for_user,
    hypothesis_list_scored,
    objective_list_for_user,
    segment_list_for_user,
    segment_paths,
)
from .serializers import (
    CommentInputSerializer,
    CommentSerializer,
    ExperimentCostSerializer,
    ExperimentDesignSerializer,
    ExperimentDetailSerializer,
    ExperimentRows,
    ExperimentSerializer,
    HypothesisInputSerializer,
    HypothesisScoreSerializer,
    HypothesisSerializer,
    HypothesisTriageSerializer,
    MetricSerializer,
    ObjectiveInputSerializer,
    ObjectiveSerializer,
    SegmentInputSerializer,
    SegmentSerializer,
    StatusChangeSerializer,
    StepDoneSerializer,
    StepSerializer,
    service_fields,
)
from .teams import step_warnings


class CSVExportMixin(CSVExports):
    """``?format=csv`` on the lists only: a write, a step or one object answers in JSON.

    The export is the whole filtered list (pagination refuses one above ``API_CSV_MAX_ROWS``),
    streamed: read, presented and written ``CSV_BATCH`` rows at a time.
    """

    csv_exports = frozenset({"list"})

    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        if page is None:  # ?format=csv
            presenter = RowPresenter.of(self.get_serializer_class())
            batches = in_batches(queryset.iterator(chunk_size=CSV_BATCH), CSV_BATCH)
            return csv_response(presenter.field_names, map(presenter.present_objects, batches))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


CSV_FORMAT = extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                enum=["json", "csv"],
                description="csv: the whole filtered list as one CSV file (not paged).",
            )
        ]
    )
)


def _parsed(serializer_class, request, **kwargs):
    payload = serializer_class(data=request.data, **kwargs)
    payload.is_valid(raise_exception=True)
    return payload


class CommentsMixin:
    """``GET`` and ``POST`` ``{id}/comments/`` on the viewset's objects (``comment_target``)."""

    comment_target: str

    @extend_schema(responses=CommentSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def comments(self, request, pk=None):
        """Oldest first, in pages like every list."""
        target = self.get_object()
        rows = comment_list(**{self.comment_target: target})
        page = self.paginate_queryset(rows)
        if page is None:  # ?format=csv: the whole list
            return Response(CommentSerializer(rows, many=True).data)
        return self.get_paginated_response(CommentSerializer(page, many=True).data)

    @extend_schema(request=CommentInputSerializer, responses={201: CommentSerializer})
    @comments.mapping.post
    def comment_create(self, request, pk=None):
        target = self.get_object()
        payload = _parsed(CommentInputSerializer, request)
        comment = services.comment_create(
            actor=request.user, body=payload.validated_data["body"], **{self.comment_target: target}
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class BaseObjectiveViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Objectives; the CMO creates and edits them (``objective_create``, ``objective_update``)."""

    serializer_class = ObjectiveSerializer
    permission_classes = [HasAbility]
    required_abilities = {
        "create": "objectives.manage",
        "update": "objectives.manage",
        "partial_update": "objectives.manage",
        "archive": "objectives.manage",
    }
    required_ability = "experiments.read"
    filter_backends = LIST_FILTERS
    filterset_fields = ["status", "unit"]
    search_fields = ["name", "kpi", "description"]
    ordering_fields = [
        "target_date",
        "name",
        "status",
        "created_at",
        "experiments_in_flight",
        "experiments_total",
    ]
    ordering = ["target_date", "name", "id"]

    def get_queryset(self):
        return objective_list_for_user(user=self.request.user)

    @extend_schema(request=ObjectiveInputSerializer, responses={201: ObjectiveSerializer})
    def create(self, request):
        payload = _parsed(ObjectiveInputSerializer, request)
        objective = services.objective_create(actor=request.user, **service_fields(payload))
        return Response(
            ObjectiveSerializer(self.get_queryset().get(pk=objective.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=ObjectiveInputSerializer, responses=ObjectiveSerializer)
    def update(self, request, pk=None, partial=False):
        objective = self.get_object()
        payload = _parsed(ObjectiveInputSerializer, request, partial=partial)
        services.objective_update(
            objective_id=objective.pk, actor=request.user, **service_fields(payload)
        )
        return Response(ObjectiveSerializer(self.get_queryset().get(pk=objective.pk)).data)

    @extend_schema(request=ObjectiveInputSerializer, responses=ObjectiveSerializer)
    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    @extend_schema(request=None, responses=ObjectiveSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def archive(self, request, pk=None):
        """Retire the objective (``objective_archive``): it leaves the dashboard; its
        experiments and history stay. Archiving one already retired changes nothing."""
        refuse_any_body(request)
        objective = services.objective_archive(
            objective_id=self.get_object().pk, actor=request.user
        )
        return Response(ObjectiveSerializer(self.get_queryset().get(pk=objective.pk)).data)


class SegmentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The segment tree (``parent`` and ``path``); the CMO creates, launches and sunsets."""

    serializer_class = SegmentSerializer
    permission_classes = [HasAbility]
    required_abilities = {
        "create": "segments.manage",
        "launch": "segments.manage",
        "sunset": "segments.manage",
    }
    required_ability = "experiments.read"
    filter_backends = LIST_FILTERS
    filterset_fields = ["status", "parent", "owner_team"]
    search_fields = ["name", "definition"]
    ordering_fields = ["name", "status", "monthly_reach", "launched_on", "sunset_on"]
    ordering = ["name", "id"]

    def get_queryset(self):
        return segment_list_for_user(user=self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action == "list":
            context["segment_paths"] = segment_paths()
        return context

    @extend_schema(request=SegmentInputSerializer, responses={201: SegmentSerializer})
    def create(self, request):
        payload = _parsed(SegmentInputSerializer, request)
        segment = services.segment_create(actor=request.user, **service_fields(payload))
        return Response(SegmentSerializer(segment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=SegmentSerializer)
    @action(detail=True, methods=["post"])
    def launch(self, request, pk=None):
        refuse_any_body(request)
        segment = services.segment_launch(segment_id=self.get_object().pk, actor=request.user)
        return Response(SegmentSerializer(segment).data)

    @extend_schema(request=None, responses=SegmentSerializer)
    @action(detail=True, methods=["post"])
    def sunset(self, request, pk=None):
        refuse_any_body(request)
        segment = services.segment_sunset(segment_id=self.get_object().pk, actor=request.user)
        return Response(SegmentSerializer(segment).data)


class MetricReadViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = MetricSerializer
    permission_classes = [HasAbility]
    required_ability = "experiments.read"
    queryset = Metric.objects.all()
    filter_backends = LIST_FILTERS
    filterset_fields = ["kind", "direction"]
    search_fields = ["key", "name", "description"]
    ordering_fields = ["name", "key", "kind"]
    ordering = ["name", "id"]


@CSV_FORMAT
class HypothesisViewSet(
    CSVExportMixin, CommentsMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Hypotheses: everyone logs them; operators and the CMO score and triage them."""

    serializer_class = HypothesisSerializer
    permission_classes = [HasAbility]
    required_abilities = {
        "create": "hypotheses.create",
        "score": "hypotheses.triage",
        "triage": "hypotheses.triage",
        "comment_create": "comments.create",
    }
    required_ability = "experiments.read"
    filter_backends = LIST_FILTERS
    filterset_class = HypothesisApiFilter
    search_fields = ["title", "observation", "change", "effect"]
    # calibrated_score: the backlog's calibrated order (docs/insights.md), ICE with each
    # confidence replaced by what its band has delivered.
    ordering_fields = [
        "created_at",
        "updated_at",
        "score",
        "calibrated_score",
        "title",
        "status",
        "channel",
    ]
    ordering = ["-created_at", "-id"]
    comment_target = "hypothesis"

    def get_queryset(self):
        hypotheses = hypothesis_list_scored(user=self.request.user)
        if "calibrated_score" in self.request.query_params.get("ordering", ""):
            # Computed only when asked for: it reads the stored calibration first.
            hypotheses = hypotheses.annotate(calibrated_score=calibrated_ice(current_calibration()))
        return hypotheses

    def _present(self, hypothesis, code=status.HTTP_200_OK):
        return Response(HypothesisSerializer(hypothesis).data, status=code)

    @extend_schema(request=HypothesisInputSerializer, responses={201: HypothesisSerializer})
    def create(self, request):
        payload = _parsed(HypothesisInputSerializer, request)
        hypothesis = services.hypothesis_create(actor=request.user, **service_fields(payload))
        return self._present(hypothesis, status.HTTP_201_CREATED)

    @extend_schema(request=HypothesisScoreSerializer, responses=HypothesisSerializer)
    @action(detail=True, methods=["post"])
    def score(self, request, pk=None):
        hypothesis = self.get_object()
        payload = _parsed(HypothesisScoreSerializer, request)
        hypothesis = services.hypothesis_score(
            hypothesis_id=hypothesis.pk, actor=request.user, **payload.validated_data
        )
        return self._present(hypothesis)

    @extend_schema(request=HypothesisTriageSerializer, responses=HypothesisSerializer)
    @action(detail=True, methods=["post"])
    def triage(self, request, pk=None):
        hypothesis = self.get_object()
        payload = _parsed(HypothesisTriageSerializer, request)
        hypothesis = services.hypothesis_triage(
            hypothesis_id=hypothesis.pk, actor=request.user, status=payload.validated_data["status"]
        )
        return self._present(hypothesis)


@CSV_FORMAT
class ExperimentViewSet(
    ExperimentByIdOrKey,
    CSVExportMixin,
    CommentsMixin,
    mixins.CreateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Experiments; operators create and edit designs (PATCH, until approval); lifecycle steps
    are explicit actions, never a generic PATCH of ``status``."""

    serializer_class = ExperimentSerializer
    permission_classes = [HasAbility]
    required_abilities = {
        "create": "experiments.create",
        "partial_update": "experiments.design",
        "comment_create": "comments.create",
        "cost": "experiments.cost",
    }
    required_ability = "experiments.read"
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends = LIST_FILTERS
    filterset_class = ExperimentApiFilter
    search_fields = ["name", "key", "hypothesis__title"]
    ordering_fields = [
        "created_at",
        "updated_at",
        "start_date",
        "end_date",
        "name",
        "key",
        "status",
    ]
    ordering = ["-created_at", "-id"]
    comment_target = "experiment"

    def get_queryset(self):
        experiments = experiment_list_for_user(user=self.request.user).select_related(None)
        if self.action == "list":
            return experiments  # the ids to page; ExperimentRows reads the rest
        # Only what the serializer reads: the related rows it names by id need no join.
        return experiments.select_related("owner", "primary_metric").prefetch_related(
            "variants",
            Prefetch("secondary_metrics", queryset=Metric.objects.only("key")),
            Prefetch("guardrail_metrics", queryset=Metric.objects.only("key")),
        )

    @extend_schema(responses=ExperimentSerializer(many=True))
    def list(self, request):
        # Rows, not model instances: a page of 500 is counted and read in five queries and
        # presented without building an instance (and a queryset per relation) per experiment.
        ids = ExperimentRows.ids(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(ids)
        if page is None:  # ?format=csv: the whole list, read and written in batches
            batches = in_batches(ids.rows.iterator(chunk_size=CSV_BATCH), CSV_BATCH)
            columns = ExperimentRows.experiments.field_names
            return csv_response(columns, map(ExperimentRows.present, batches))
        return self.get_paginated_response(ExperimentRows.present(page))

    def get_serializer_class(self):
        # One experiment shows what its design implies; lists stay plain rows.
        return ExperimentDetailSerializer if self.action == "retrieve" else ExperimentSerializer

    def _present(self, experiment, code=status.HTTP_200_OK):
        return Response(
            ExperimentDetailSerializer(self.get_queryset().get(pk=experiment.pk)).data,
            status=code,
        )

    @extend_schema(request=ExperimentDesignSerializer, responses={201: ExperimentDetailSerializer})
    def create(self, request):
        payload = _parsed(ExperimentDesignSerializer, request)
        experiment = services.experiment_save_design(actor=request.user, **payload.service_kwargs())
        return self._present(experiment, status.HTTP_201_CREATED)

    @extend_schema(request=ExperimentDesignSerializer, responses=ExperimentDetailSerializer)
    def partial_update(self, request, pk=None):
        experiment = self.get_object()
        payload = _parsed(ExperimentDesignSerializer, request, partial=True)
        # Approval freezes the design: the service refuses (409) anything but a draft.
        experiment = services.experiment_save_design(
            actor=request.user, experiment_id=experiment.pk, **payload.service_kwargs()
        )
        return self._present(experiment)

    @extend_schema(request=ExperimentCostSerializer, responses=ExperimentDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def cost(self, request, pk=None):
        """Record the build and media cost (docs/insights.md, "Partners and cost")."""
        experiment = self.get_object()
        payload = _parsed(ExperimentCostSerializer, request)
        experiment = services.experiment_record_cost(
            experiment_id=experiment.pk, actor=request.user, **payload.validated_data
        )
        return self._present(experiment)

    @extend_schema(responses=StatusChangeSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def timeline(self, request, pk=None):
        experiment = self.get_object()
        changes = experiment.status_changes.select_related("actor")
        return Response(StatusChangeSerializer(changes, many=True).data)

    @extend_schema(
        request=StepSerializer,
        responses=StepDoneSerializer,
        parameters=[OpenApiParameter("step", str, OpenApiParameter.PATH, enum=[*STEP_SERVICES])],
    )
    @action(detail=True, methods=["post"], url_path=r"steps/(?P<step>[a-z_]+)", filter_backends=[])
    def step(self, request, pk=None, step=None):
        if step not in STEP_SERVICES:
            raise NotFound(f"No lifecycle step “{step}”. Steps: {', '.join(STEP_SERVICES)}.")
        experiment = self.get_object()
        payload = _parsed(StepSerializer, request)
        # The service checks the role, ownership and transition; refusals become 403/409/400.
        experiment = STEP_SERVICES[step](
            experiment_id=experiment.pk, actor=request.user, **payload.service_kwargs(step)
        )
        shown = self.get_queryset().get(pk=experiment.pk)
        shown.warnings = step_warnings(step, shown)  # beyond capacity: said, not refused
        return Response(StepDoneSerializer(shown).data)
