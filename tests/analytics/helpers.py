import datetime as dt

from experiments.models import Metric
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory, MetricFactory

START = dt.date(2026, 11, 1)


def running_experiment(owner, **fields):
    """A running experiment started on 1 Nov 2026, measuring sign-ups (binomial) and revenue (mean)."""
    signups = MetricFactory(key="signups", kind=Metric.Kind.BINOMIAL)
    revenue = MetricFactory(key="revenue", kind=Metric.Kind.MEAN)
    experiment = ExperimentFactory(owner=owner, primary_metric=signups, **fields)
    experiment.secondary_metrics.add(revenue)
    return put_in_status(experiment, "running", start_date=START)


def binomial_rows(day="2026-11-02", control=(1000, 100), treatment=(1000, 120), metric="signups"):
    return [
        {
            "date": day,
            "variant": "control",
            "metric": metric,
            "users": control[0],
            "conversions": control[1],
        },
        {
            "date": day,
            "variant": "b",
            "metric": metric,
            "users": treatment[0],
            "conversions": treatment[1],
        },
    ]


def pricing_page(owner):
    """The events tests' running experiment: signups (binomial) primary, revenue (mean)
    secondary, variants control and b."""
    return running_experiment(owner, key="pricing-page")


def onboarding(owner):
    """A second running experiment: clicks (binomial), variants control and long."""
    clicks = MetricFactory(key="clicks", kind=Metric.Kind.BINOMIAL)
    experiment = ExperimentFactory(
        key="onboarding",
        owner=owner,
        primary_metric=clicks,
        variants=[("control", True, 0.5), ("long", False, 0.5)],
    )
    return put_in_status(experiment, "running", start_date=START)
