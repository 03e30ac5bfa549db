import datetime as dt
from decimal import Decimal

import factory

from experiments.models import Experiment, Hypothesis, Metric, Objective, Segment, Variant
from roles.models import Channel, Partner, Role, Team, User


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Agency {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = Role.MARKETER
    password = factory.django.Password("pw-for-tests-only")
    # A partner's people work for one partner; no one else names one.
    partner = factory.LazyAttribute(lambda u: PartnerFactory() if u.role == Role.PARTNER else None)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Objective

    name = factory.Sequence(lambda n: f"Objective {n}")
    kpi = "Net new ARR"
    baseline = Decimal("1000000")
    target = Decimal("1500000")
    target_date = dt.date(2027, 12, 31)
    owner = factory.SubFactory(UserFactory, username="cmo", role=Role.CMO)


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    name = factory.Sequence(lambda n: f"Segment {n}")
    owner_team = factory.SubFactory(TeamFactory)
    monthly_reach = 10_000
    definition = "Everyone in the test."


class MetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Metric
        django_get_or_create = ["key"]

    key = factory.Sequence(lambda n: f"metric_{n}")
    name = factory.LazyAttribute(lambda m: m.key.replace("_", " ").capitalize())
    kind = Metric.Kind.BINOMIAL


class HypothesisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hypothesis

    title = factory.Sequence(lambda n: f"Hypothesis {n}")
    observation = "visitors leave the pricing page"
    change = "showing customer logos"
    effect = "more sign-ups"
    metric = factory.SubFactory(MetricFactory)
    expected_mde = 0.1
    channel = Channel.WEB
    objective = factory.SubFactory(ObjectiveFactory)
    segment = factory.SubFactory(SegmentFactory)
    author = factory.SubFactory(UserFactory)
    impact, confidence, ease = 6, 5, 7
    status = Hypothesis.Status.BACKLOG


class ExperimentFactory(factory.django.DjangoModelFactory):
    """A draft experiment whose design is complete: it can be submitted as it is."""

    class Meta:
        model = Experiment
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Experiment {n}")
    key = factory.Sequence(lambda n: f"exp-{n}")
    hypothesis = factory.SubFactory(HypothesisFactory)
    objective = factory.SelfAttribute("hypothesis.objective")
    segment = factory.SelfAttribute("hypothesis.segment")
    primary_metric = factory.SelfAttribute("hypothesis.metric")
    owner = factory.SubFactory(UserFactory, role=Role.OPERATOR)
    baseline = 0.1
    mde = 0.1
    daily_traffic = 2000

    @factory.post_generation
    def variants(obj, create, extracted, **kwargs):
        if not create:
            return
        specs = extracted if extracted is not None else [("control", True, 0.5), ("b", False, 0.5)]
        for key, is_control, weight in specs:
            Variant.objects.create(
                experiment=obj, key=key, name=key.title(), is_control=is_control, weight=weight
            )
