"""``/api/v1/results/``: the latest results of many experiments in one paged call.

The experiment list's filters (``?status=running&objective=…&segment=…&owner=…``, ``metric``,
search and ordering) choose the experiments; each page is read in a fixed number of queries
(the page, its count and the newest snapshots of all its experiments at once). ``?format=csv``
(or ``Accept: text/csv``) is the whole filtered list as one table, one row per experiment ×
snapshot, read and written ``CSV_BATCH`` experiments at a time.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets

from experiments.models import AnalysisMethod, ExperimentStatus
from growthops.filters import LIST_FILTERS
from growthops.renderers import CSV_BATCH, CSVExports, csv_response, in_batches
from growthops.schema import CSV_TABLE
from roles.permissions import HasAbility

from ..filters import PortfolioResultFilter
from ..selectors import result_list_for_user
from .results import RESULT_ROWS, ResultSerializer, newest_results_presented

# The experiment's own columns; its look and computed_at are each snapshot's.
EXPERIMENT_COLUMNS = ["experiment", "key", "name", "status", "method", "start_date", "end_date"]
CSV_COLUMNS = [*EXPERIMENT_COLUMNS, *RESULT_ROWS.field_names]


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


def _experiment(experiment) -> dict:
    return {
        "experiment": experiment.pk,
        "key": experiment.key,
        "name": experiment.name,
        "status": experiment.status,
        "method": experiment.method,
        "start_date": experiment.start_date,
        "end_date": experiment.end_date,
    }


def _csv_rows(experiments: list, metric: str | None) -> list[dict]:
    """One row per experiment × newest snapshot; an experiment without one keeps a row of its
    own columns (so the table lists every experiment the JSON pages list)."""
    results = newest_results_presented([e.pk for e in experiments], metric)
    rows = []
    for experiment in experiments:
        lead = _experiment(experiment)
        rows.extend([{**lead, **result} for result in results.get(experiment.pk, [])] or [lead])
    return rows


class ResultListViewSet(CSVExports, viewsets.GenericViewSet):
    """The latest results of the experiments the caller may read, filtered as the experiment
    list is, in pages (or as one CSV table)."""

    permission_classes = [HasAbility]
    required_ability = "results.read"
    filter_backends = LIST_FILTERS
    filterset_class = PortfolioResultFilter
    search_fields = ["name", "key"]
    ordering_fields = ["created_at", "updated_at", "start_date", "end_date", "name", "key"]
    ordering = ["-created_at", "-id"]
    csv_exports = frozenset({"list"})

    def get_queryset(self):
        return result_list_for_user(user=self.request.user)

    @extend_schema(
        responses={
            (200, "application/json"): ExperimentResultsSerializer(many=True),
            (200, "text/csv"): CSV_TABLE,
        },
        description="Each experiment with its newest look's snapshots (as "
        "``/experiments/{id}/results/`` gives them), filtered as ``/experiments/`` is "
        "(``?status=running``, objective, segment, owner, channel, …) and by ``metric`` (its "
        "key: the experiments measuring it, its results only). ``?format=csv`` gives the whole "
        "filtered list as one CSV table (no pages): one row per experiment × snapshot (the "
        "experiment's columns, then the snapshot's), an experiment without results as one row "
        "of its own columns.",
    )
    def list(self, request):
        experiments = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(experiments)
        metric = request.query_params.get("metric") or None
        if page is None:  # ?format=csv: the whole filtered list, read and written in batches
            batches = in_batches(experiments.iterator(chunk_size=CSV_BATCH), CSV_BATCH)
            return csv_response(CSV_COLUMNS, (_csv_rows(batch, metric) for batch in batches))
        results = newest_results_presented([e.pk for e in page], metric)
        rows = []
        for experiment in page:
            mine = results.get(experiment.pk, [])
            rows.append(
                {
                    **_experiment(experiment),
                    "look": max((r["look"] for r in mine), default=None),
                    "computed_at": max((r["computed_at"] for r in mine), default=None),
                    "results": mine,
                }
            )
        # The snapshots are presented already (as ``ResultSerializer`` shows them).
        return self.get_paginated_response(rows)
