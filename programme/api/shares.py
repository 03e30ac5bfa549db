"""Read-out links over HTTP: an experiment's links (list, create) and one link (read, revoke)."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from experiments.by_key import ExperimentRefSchema, experiment_ref
from experiments.selectors import experiment_list_for_user
from roles.permissions import HasAbility

from ..models import ReadoutShare
from ..shares import (
    DEFAULT_DAYS,
    MAX_DAYS,
    readout_share_create,
    readout_share_revoke,
    share_token,
    shares_of,
)


class ReadoutShareSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="The link: opens the read-out, no account.")
    state = serializers.SerializerMethodField()
    created_by = serializers.StringRelatedField()
    views = serializers.SerializerMethodField(help_text="How often the link was opened.")

    class Meta:
        model = ReadoutShare
        fields = ["id", "experiment", "url", "state", "created_by", "created_at", "expires_at"]
        fields += ["revoked_at", "views"]
        read_only_fields = fields

    def get_url(self, share) -> str:
        path = reverse("programme:readout", args=[share_token(share)])
        return self.context["request"].build_absolute_uri(path)

    @extend_schema_field(serializers.ChoiceField(ReadoutShare.STATES))
    def get_state(self, share) -> str:
        return share.state_at(timezone.now())

    def get_views(self, share) -> int:
        count = getattr(share, "view_count", None)
        return count if count is not None else share.views.count()


class ReadoutShareCreateSerializer(serializers.Serializer):
    days = serializers.IntegerField(
        min_value=1, max_value=MAX_DAYS, default=DEFAULT_DAYS, help_text="How long the link opens."
    )


class ExperimentShareViewSet(viewsets.ViewSet):
    """``/experiments/{id}/shares/``: the experiment's read-out links; ``POST`` makes one."""

    permission_classes = [HasAbility]
    required_ability = "experiments.share"
    schema = ExperimentRefSchema()

    def _experiment(self, request, experiment_pk):
        experiment = get_object_or_404(
            experiment_list_for_user(user=request.user), **experiment_ref(experiment_pk)
        )
        self.check_object_permissions(request, experiment)
        return experiment

    @extend_schema(responses=ReadoutShareSerializer(many=True))
    def list(self, request, experiment_pk=None):
        experiment = self._experiment(request, experiment_pk)
        shares = shares_of(experiment)
        context = {"request": request}
        return Response(ReadoutShareSerializer(shares, many=True, context=context).data)

    @extend_schema(request=ReadoutShareCreateSerializer, responses={201: ReadoutShareSerializer})
    def create(self, request, experiment_pk=None):
        experiment = self._experiment(request, experiment_pk)
        body = ReadoutShareCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        share = readout_share_create(
            experiment_id=experiment.pk, actor=request.user, days=body.validated_data["days"]
        )
        data = ReadoutShareSerializer(share, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


class ShareViewSet(mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """``/shares/{id}/``: one read-out link; ``DELETE`` revokes it (the row stays, with who and
    when, and the link stops opening at once)."""

    serializer_class = ReadoutShareSerializer
    permission_classes = [HasAbility]
    required_ability = "experiments.share"

    def get_queryset(self):
        visible = experiment_list_for_user(user=self.request.user)
        return ReadoutShare.objects.filter(experiment__in=visible).select_related(
            "experiment", "created_by"
        )

    def check_object_permissions(self, request, obj):
        # Ownership is the experiment's: an operator shares and revokes their own tests' links.
        super().check_object_permissions(request, obj.experiment)

    def destroy(self, request, *args, **kwargs):
        share = self.get_object()
        readout_share_revoke(share_id=share.pk, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
