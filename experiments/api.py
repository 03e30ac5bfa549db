from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from roles.permissions import HasAbility

from .lifecycle import STEP_SERVICES
from .models import Metric
from .selectors import experiment_list_for_user, objective_list_for_user
from .serializers import (
    ExperimentSerializer,
    MetricSerializer,
    ObjectiveSerializer,
    StatusChangeSerializer,
    StepSerializer,
)


class ObjectiveViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ObjectiveSerializer
    permission_classes = [HasAbility]
    required_ability = "results.read"

    def get_queryset(self):
        return objective_list_for_user(self.request.user)


class MetricViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = MetricSerializer
    permission_classes = [HasAbility]
    required_ability = "results.read"
    queryset = Metric.objects.all()


class ExperimentViewSet(viewsets.ReadOnlyModelViewSet):
    """Experiments; lifecycle steps are explicit actions, never a generic PATCH of ``status``."""

    serializer_class = ExperimentSerializer
    permission_classes = [HasAbility]
    required_ability = "results.read"
    filterset_fields = ["status", "objective", "segment", "owner"]

    def get_queryset(self):
        return experiment_list_for_user(self.request.user).prefetch_related(
            "variants", "secondary_metrics", "guardrail_metrics"
        )

    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        experiment = self.get_object()
        changes = experiment.status_changes.select_related("actor")
        return Response(StatusChangeSerializer(changes, many=True).data)

    @extend_schema(request=StepSerializer, responses=ExperimentSerializer)
    @action(detail=True, methods=["post"], url_path=r"steps/(?P<step>[a-z_]+)")
    def step(self, request, pk=None, step=None):
        if step not in STEP_SERVICES:
            raise NotFound(f"No lifecycle step “{step}”. Steps: {', '.join(STEP_SERVICES)}.")
        experiment = self.get_object()
        payload = StepSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        # The service checks the role, ownership and transition; refusals become 403/409/400.
        experiment = STEP_SERVICES[step](
            experiment_id=experiment.pk, actor=request.user, **payload.service_kwargs(step)
        )
        return Response(ExperimentSerializer(experiment).data)
