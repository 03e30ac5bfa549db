"""Post-mortems over HTTP: ``/experiments/{id}/postmortem/`` (read, open, change) and
``/postmortems/`` (the learnings search)."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from analytics.stats.verdict import ACTIONS as VERDICT_ACTIONS
from experiments.by_key import ExperimentByIdOrKey
from experiments.models import Hypothesis
from experiments.selectors import experiment_list_for_user
from growthops.parsers import JSONParser
from roles.models import User
from roles.permissions import HasAbility

from ..filters import PostmortemFilter
from ..models import (
    POSTMORTEM_DECISIONS,
    POSTMORTEM_STEPS,
    Cause,
    Postmortem,
    PostmortemAction,
    ProcessFault,
)
from ..postmortems import postmortem_create, postmortem_update


class PostmortemActionSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(
        required=False, allow_null=True, help_text="An existing action's id to keep it; none: new."
    )
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        help_text="The owner's username.",
        error_messages={"does_not_exist": "No active person is called “{value}”."},
    )
    done = serializers.BooleanField(
        required=False, help_text="Done: sets done_at now; false clears it."
    )

    class Meta:
        model = PostmortemAction
        fields = ["id", "text", "owner", "due_date", "done", "done_at"]
        read_only_fields = ["done_at"]

    def to_representation(self, action):
        data = super().to_representation(action)
        data["done"] = action.done_at is not None
        return data


class PostmortemSerializer(serializers.ModelSerializer):
    metric = serializers.SlugRelatedField(slug_field="key", read_only=True)
    faults = serializers.ListField(
        child=serializers.ChoiceField(choices=ProcessFault.choices),
        help_text="Process faults; “none” stands alone.",
    )
    cause = serializers.ChoiceField(choices=Cause.choices, allow_blank=True, read_only=True)
    opened_by_step = serializers.ChoiceField(
        POSTMORTEM_STEPS, allow_blank=True, read_only=True, help_text="The step that opened it."
    )
    verdict = serializers.ChoiceField(
        VERDICT_ACTIONS, allow_blank=True, read_only=True, help_text="The rule's verdict."
    )
    decision = serializers.ChoiceField(
        POSTMORTEM_DECISIONS,
        allow_blank=True,
        read_only=True,
        help_text="The experiment's decision, or ``killed``.",
    )
    actions = PostmortemActionSerializer(many=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Postmortem
        fields = [
            "experiment", "status", "opened_at", "opened_by_step", "due_date", "overdue",
            "completed_at", "believed", "happened", "metric", "variant", "lift", "lift_ci_low",
            "lift_ci_high", "p_value", "verdict", "decision", "cause", "why", "faults",
            "actions", "next_hypothesis",
        ]  # fmt: skip
        read_only_fields = fields

    def get_overdue(self, postmortem) -> bool:
        return postmortem.is_overdue(timezone.localdate())


class PostmortemWriteSerializer(serializers.Serializer):
    """What POST and PATCH may set; every field is optional. ``actions`` replaces the list."""

    believed = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    happened = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    cause = serializers.ChoiceField(choices=Cause.choices, required=False, allow_blank=True)
    why = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    faults = serializers.ListField(
        child=serializers.ChoiceField(choices=ProcessFault.choices), required=False
    )
    next_hypothesis = serializers.PrimaryKeyRelatedField(
        queryset=Hypothesis.objects.all(), required=False, allow_null=True
    )
    due_date = serializers.DateField(required=False)
    status = serializers.ChoiceField(choices=Postmortem.Status.choices, required=False)
    actions = PostmortemActionSerializer(many=True, required=False)


def _loaded(experiment_id: int) -> Postmortem:
    return (
        Postmortem.objects.select_related("metric")
        .prefetch_related("actions__owner")
        .get(experiment_id=experiment_id)
    )


class ExperimentPostmortemViewSet(ExperimentByIdOrKey, viewsets.GenericViewSet):
    """An experiment's post-mortem: one action on the ``experiments`` prefix, beside the
    experiments app's own viewset."""

    permission_classes = [HasAbility]
    # Reading (and a method it does not take) needs results.read; writing, postmortems.write.
    required_abilities = {"*": "experiments.read", "POST": "postmortems.write"}
    required_abilities["PATCH"] = "postmortems.write"
    parser_classes = [JSONParser]
    serializer_class = PostmortemSerializer

    def get_queryset(self):
        return experiment_list_for_user(user=self.request.user).select_related(None)

    @extend_schema(
        methods=["GET"],
        responses=PostmortemSerializer,
        description="The post-mortem (404 until the experiment is concluded or killed).",
    )
    @extend_schema(
        methods=["POST"],
        request=PostmortemWriteSerializer,
        responses={201: PostmortemSerializer},
        description="Open the post-mortem of a concluded or killed experiment that has none "
        "(409 when it has one, or is not decided), with any fields PATCH takes.",
    )
    @extend_schema(
        methods=["PATCH"],
        request=PostmortemWriteSerializer,
        responses=PostmortemSerializer,
        description="Change the given fields; ``actions`` replaces the list (an item with an "
        "``id`` keeps that action). ``status: complete`` needs the cause, the faults and what "
        "happened, and tells the idea's author. The CMO and the experiment's owner write.",
    )
    @action(detail=True, methods=["get", "post", "patch"])
    def postmortem(self, request, pk=None):
        experiment = self.get_object()
        if request.method in ("POST", "PATCH"):
            body = PostmortemWriteSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            fields = dict(body.validated_data)
            if request.method == "POST":
                postmortem_create(experiment_id=experiment.pk, actor=request.user, **fields)
                data = PostmortemSerializer(_loaded(experiment.pk)).data
                return Response(data, status=status.HTTP_201_CREATED)
            if not Postmortem.objects.filter(experiment_id=experiment.pk).exists():
                raise NotFound("This experiment has no post-mortem yet.")
            postmortem_update(experiment_id=experiment.pk, actor=request.user, **fields)
        try:
            postmortem = _loaded(experiment.pk)
        except Postmortem.DoesNotExist:
            raise NotFound("This experiment has no post-mortem yet.") from None
        return Response(PostmortemSerializer(postmortem).data)


class PostmortemSearchSerializer(PostmortemSerializer):
    experiment_name = serializers.CharField(source="experiment.name", read_only=True)

    class Meta(PostmortemSerializer.Meta):
        fields = ["experiment_name", *PostmortemSerializer.Meta.fields]
        read_only_fields = fields


class PostmortemListViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The learnings search: post-mortems by cause, fault, metric and lift, newest first."""

    permission_classes = [HasAbility]
    required_ability = "results.read"
    serializer_class = PostmortemSearchSerializer
    filterset_class = PostmortemFilter

    def get_queryset(self):
        visible = experiment_list_for_user(user=self.request.user)
        return (
            Postmortem.objects.filter(experiment__in=visible)
            .select_related("experiment", "metric")
            .prefetch_related("actions__owner")
            .order_by("-opened_at", "-pk")
        )
