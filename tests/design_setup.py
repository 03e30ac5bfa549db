"""What the design page's tests share: the backlog hypothesis and metrics a design starts
from, and the form a design posts."""

from django.urls import reverse

from experiments.models import Hypothesis, Metric
from tests.factories import HypothesisFactory, MetricFactory, ObjectiveFactory, SegmentFactory

PREVIEW = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "design-preview"}
TWO_ARMS = [("control", "Control", True, "0.5"), ("b", "Variant B", False, "0.5")]


def design_post(refs, *, action="save", variants=TWO_ARMS, **changes):
    data = {
        "name": "Logos on the pricing page",
        "key": "logos-on-pricing",
        "objective": refs["objective"].pk,
        "segment": refs["segment"].pk,
        "executed_by": "in_house",
        "primary_metric": refs["metric"].pk,
        "method": "frequentist",
        "correction": "none",
        "sequential_tau": "",
        "alpha": "0.05",
        "power": "0.8",
        "mde": "0.1",
        "baseline": "0.1",
        "baseline_sd": "",
        "daily_traffic": "2000",
        "reach_per_year": "",
        "value_per_conversion": "",
        "action": action,
        "variants-TOTAL_FORMS": str(len(variants)),
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "1000",
    }
    for i, (key, name, is_control, weight) in enumerate(variants):
        data[f"variants-{i}-key"] = key
        data[f"variants-{i}-name"] = name
        data[f"variants-{i}-weight"] = weight
        if is_control:
            data[f"variants-{i}-is_control"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def create_url(refs):
    return reverse("experiments:design-create", args=[refs["hypothesis"].pk])


def edit_url(experiment):
    return reverse("experiments:design-edit", args=[experiment.pk])


def design_refs():
    objective = ObjectiveFactory(name="Grow ARR")
    # 300,000 a month: about 10,000 people a day.
    segment = SegmentFactory(name="Self-serve trials", monthly_reach=300_000)
    metric = MetricFactory(key="signup_conversion", name="Sign-up conversion")
    hypothesis = HypothesisFactory(
        title="Social proof on pricing",
        objective=objective,
        segment=segment,
        metric=metric,
        expected_mde=0.1,
        status=Hypothesis.Status.BACKLOG,
    )
    return {
        "objective": objective,
        "segment": segment,
        "metric": metric,
        "hypothesis": hypothesis,
        "guardrail": MetricFactory(key="unsubscribe_rate", name="Unsubscribe rate"),
        "revenue": MetricFactory(
            key="revenue_per_visitor", name="Revenue per visitor", kind=Metric.Kind.MEAN
        ),
    }
