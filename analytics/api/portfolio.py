"""``/api/v1/results/``: the latest results of many experiments in one paged call.

The experiment list's filters (``?status=running&objective=…&segment=…&owner=…``, ``metric``,
search and ordering) choose the experiments; each page is read in a fixed number of queries
(the page, its count and the newest snapshots of all its experiments at once).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets

from experiments.models import AnalysisMethod, ExperimentStatus
from growthops.filters import LIST_FILTERS
from roles.permissions import HasAbility

from ..filters import PortfolioResultFilter
from ..selectors import result_list_for_user
from .results import ResultSerializer, newest_results_presented


class ExperimentResultsSerializer(serializers.Serializer):
    """One experiment and the snapshots of its newest look (none before its first analysis)."""

    experiment = serializers.IntegerField()
    key = serializers.CharField()
    name = serializers.CharField()
    status = serializers.ChoiceField(ExperimentStatus.choices)
    method = serializers.ChoiceField(AnalysisMethod.choices)
    start_date = serializers.DateField(allow_null=True)
    end_date = serializers.DateField(allow_null=True)
    look = serializers.IntegerField(allow_null=True, help_text="The newest look; null before one.")
    computed_at = serializers.DateTimeField(allow_null=True)
    results = ResultSerializer(many=True)


class ResultListViewSet(viewsets.GenericViewSet):
    """The latest results of the experiments the caller may read, filtered as the experiment
    list is, in pages."""

    permission_classes = [HasAbility]
    required_ability = "results.read"
    filter_backends = LIST_FILTERS
    filterset_class = PortfolioResultFilter
    search_fields = ["name", "key"]
    ordering_fields = ["created_at", "updated_at", "start_date", "end_date", "name", "key"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return result_list_for_user(user=self.request.user)

    @extend_schema(
        responses=ExperimentResultsSerializer(many=True),
        description="Each experiment with its newest look's snapshots (as "
        "``/experiments/{id}/results/`` gives them), filtered as ``/experiments/`` is "
        "(``?status=running``, objective, segment, owner, channel, …) and by ``metric`` (its "
        "key: the experiments measuring it, its results only).",
    )
    def list(self, request):
        experiments = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(experiments)
        metric = request.query_params.get("metric") or None
        results = newest_results_presented([e.pk for e in page], metric)
        rows = []
        for experiment in page:
            mine = results.get(experiment.pk, [])
            rows.append(
                {
                    "experiment": experiment.pk,
                    "key": experiment.key,
                    "name": experiment.name,
                    "status": experiment.status,
                    "method": experiment.method,
                    "start_date": experiment.start_date,
                    "end_date": experiment.end_date,
                    "look": max((r["look"] for r in mine), default=None),
                    "computed_at": max((r["computed_at"] for r in mine), default=None),
                    "results": mine,
                }
            )
        # The snapshots are presented already (as ``ResultSerializer`` shows them).
        return self.get_paginated_response(rows)
