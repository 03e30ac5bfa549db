"""Teams and operators' profiles over ``/api/v1/``: everyone reads; the CMO creates and edits
them (``teams.manage``) through ``experiments.teams``, and every change is audited there."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from growthops.errors import ValidationFailed
from growthops.filters import LIST_FILTERS
from roles.models import Role, Team, User
from roles.permissions import HasAbility

from . import teams
from .models import Segment
from .selectors import operator_profile_list_for_user
from .serializers import OperatorProfileSerializer, StrictInput, service_fields


class TeamSerializer(serializers.ModelSerializer):
    segments = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="The segments the team owns."
    )

    class Meta:
        model = Team
        fields = ["id", "name", "members", "segments"]
        read_only_fields = fields


class TeamInputSerializer(StrictInput, serializers.Serializer):
    read_only_hints = {"id": "Read-only."}
    name = serializers.CharField(max_length=100)
    members = serializers.PrimaryKeyRelatedField(
        many=True, queryset=User.objects.exclude(role=""), required=False
    )
    segments = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=Segment.objects.all(),
        required=False,
        help_text="Segments the team owns; one left out of an edit must go to another team first.",
    )


class OperatorProfileInputSerializer(StrictInput, serializers.Serializer):
    read_only_hints = {
        "id": "Read-only.",
        "username": "Read-only.",
        "name": "Read-only.",
        "active_experiments": "Read-only: counted from the experiments they own.",
    }
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(role=Role.OPERATOR))
    channels = serializers.ListField(child=serializers.CharField(), required=False)
    specialities = serializers.ListField(
        child=serializers.CharField(max_length=teams.MAX_SPECIALITY_LENGTH), required=False
    )
    capacity = serializers.IntegerField(min_value=1, max_value=100, required=False)


def _parsed(serializer_class, request, **kwargs):
    payload = serializer_class(data=request.data, **kwargs)
    payload.is_valid(raise_exception=True)
    return payload


class TeamViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Segment teams: members (user ids) and the segments they own."""

    serializer_class = TeamSerializer
    permission_classes = [HasAbility]
    required_abilities = {"create": "teams.manage", "partial_update": "teams.manage"}
    required_ability = "results.read"
    http_method_names = ["get", "post", "patch", "head", "options"]
    queryset = Team.objects.prefetch_related("members", "segments")
    filter_backends = LIST_FILTERS
    filterset_fields = ["members"]
    search_fields = ["name"]
    ordering_fields = ["name"]
    ordering = ["name", "id"]

    @extend_schema(request=TeamInputSerializer, responses={201: TeamSerializer})
    def create(self, request):
        payload = _parsed(TeamInputSerializer, request)
        team = teams.team_create(actor=request.user, **payload.validated_data)
        return Response(self._shown(team.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=TeamInputSerializer(partial=True), responses=TeamSerializer)
    def partial_update(self, request, pk=None):
        team = self.get_object()
        payload = _parsed(TeamInputSerializer, request, partial=True)
        teams.team_update(team_id=team.pk, actor=request.user, **service_fields(payload))
        return Response(self._shown(team.pk))

    def _shown(self, pk):
        return TeamSerializer(self.get_queryset().get(pk=pk)).data


class OperatorProfileViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Operators' channels (breadth), specialities (depth) and load against capacity."""

    serializer_class = OperatorProfileSerializer
    permission_classes = [HasAbility]
    required_abilities = {"create": "teams.manage", "partial_update": "teams.manage"}
    required_ability = "results.read"
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends = LIST_FILTERS
    filterset_fields = ["user"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    ordering_fields = ["user__username", "capacity", "active_experiments"]
    ordering = ["user__username", "id"]

    def get_queryset(self):
        return operator_profile_list_for_user(user=self.request.user)

    @extend_schema(
        request=OperatorProfileInputSerializer, responses={201: OperatorProfileSerializer}
    )
    def create(self, request):
        payload = _parsed(OperatorProfileInputSerializer, request)
        profile = teams.operator_profile_create(actor=request.user, **payload.validated_data)
        return Response(self._shown(profile.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=OperatorProfileInputSerializer(partial=True), responses=OperatorProfileSerializer
    )
    def partial_update(self, request, pk=None):
        profile = self.get_object()
        payload = _parsed(OperatorProfileInputSerializer, request, partial=True)
        fields = service_fields(payload)
        if "user" in fields:
            raise ValidationFailed({"user": "A profile stays with its operator."})
        teams.operator_profile_update(profile_id=profile.pk, actor=request.user, **fields)
        return Response(self._shown(profile.pk))

    def _shown(self, pk):
        return OperatorProfileSerializer(self.get_queryset().get(pk=pk)).data
