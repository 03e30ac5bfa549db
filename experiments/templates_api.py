"""Templates (protocols) over ``/api/v1/templates/``: everyone reads them; the CMO and the
operators create and edit them (``templates.manage``) through ``template_create`` and
``template_update`` (docs/decisions.md, "Templates")."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from growthops.filters import LIST_FILTERS
from roles.permissions import HasAbility

from . import services
from .models import LOCKABLE_FIELDS, ExperimentTemplate, Metric
from .serializers import StrictInput, service_fields

# --- templates (protocols) ----------------------------------------------------------------


class ExperimentTemplateSerializer(serializers.ModelSerializer):
    primary_metric = serializers.SlugRelatedField(slug_field="key", read_only=True, allow_null=True)
    secondary_metrics = serializers.SlugRelatedField(slug_field="key", many=True, read_only=True)
    guardrail_metrics = serializers.SlugRelatedField(slug_field="key", many=True, read_only=True)
    locked_fields = serializers.ListField(
        child=serializers.ChoiceField(LOCKABLE_FIELDS),
        help_text="The fields a design made from the template cannot change.",
    )
    created_by = serializers.StringRelatedField()

    class Meta:
        model = ExperimentTemplate
        fields = [
            "id",
            "name",
            "kind",
            "description",
            "primary_metric",
            "secondary_metrics",
            "guardrail_metrics",
            "method",
            "correction",
            "sequential_tau",
            "alpha",
            "power",
            "mde",
            "min_run_weeks",
            "decision_rule",
            "locked_fields",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ExperimentTemplateInputSerializer(StrictInput, serializers.ModelSerializer):
    """A template's fields (POST, PATCH); ``template_create`` / ``template_update`` decide."""

    read_only_hints = {"created_by": "Read-only: the author is who sends the request."}
    primary_metric = serializers.SlugRelatedField(
        slug_field="key", queryset=Metric.objects.all(), required=False, allow_null=True
    )
    secondary_metrics = serializers.SlugRelatedField(
        slug_field="key", queryset=Metric.objects.all(), many=True, required=False
    )
    guardrail_metrics = serializers.SlugRelatedField(
        slug_field="key", queryset=Metric.objects.all(), many=True, required=False
    )
    locked_fields = serializers.JSONField(required=False)

    class Meta:
        model = ExperimentTemplate
        fields = [
            name
            for name in ExperimentTemplateSerializer.Meta.fields
            if name not in ("id", "created_by", "created_at", "updated_at")
        ]
        validators = []


class TemplateViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    serializer_class = ExperimentTemplateSerializer
    permission_classes = [HasAbility]
    required_abilities = {"create": "templates.manage", "partial_update": "templates.manage"}
    required_ability = "results.read"
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends = LIST_FILTERS
    filterset_fields = ["kind", "method"]
    search_fields = ["name", "description"]
    ordering_fields = ["name", "kind", "created_at", "updated_at"]
    ordering = ["name", "id"]

    def get_queryset(self):
        keys = Metric.objects.only("key")
        return ExperimentTemplate.objects.select_related(
            "primary_metric", "created_by"
        ).prefetch_related(
            Prefetch("secondary_metrics", queryset=keys),
            Prefetch("guardrail_metrics", queryset=keys),
        )

    def _present(self, template, code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=template.pk)
        return Response(ExperimentTemplateSerializer(fresh).data, status=code)

    @extend_schema(
        request=ExperimentTemplateInputSerializer, responses={201: ExperimentTemplateSerializer}
    )
    def create(self, request):
        payload = _parsed(request)
        template = services.template_create(actor=request.user, **service_fields(payload))
        return self._present(template, status.HTTP_201_CREATED)

    @extend_schema(
        request=ExperimentTemplateInputSerializer, responses=ExperimentTemplateSerializer
    )
    def partial_update(self, request, pk=None):
        template = self.get_object()
        payload = _parsed(request, partial=True)
        template = services.template_update(
            template_id=template.pk, actor=request.user, **service_fields(payload)
        )
        return self._present(template)


def _parsed(request, **kwargs) -> ExperimentTemplateInputSerializer:
    payload = ExperimentTemplateInputSerializer(data=request.data, **kwargs)
    payload.is_valid(raise_exception=True)
    return payload
