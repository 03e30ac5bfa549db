"""Reads of the warehouse pages (who may read them is checked by the page)."""

from django.db.models import Count

from experiments.models import Metric

from .models import DataSource, MetricDefinition


def datasource_list(*, user):
    """Every data source, by name, with how many metric versions read it."""
    return DataSource.objects.annotate(definition_count=Count("definitions")).order_by("name")


def metric_library(*, user):
    """Every metric, by name, with its number of versions (the latest is joined per page)."""
    return Metric.objects.annotate(version_count=Count("definitions")).order_by("name", "pk")


def metric_versions(*, user, metric: Metric):
    """A metric's versions, newest first, with their source and authors."""
    return (
        MetricDefinition.objects.filter(metric=metric)
        .select_related("source", "created_by", "official_by")
        .order_by("-version")
    )
