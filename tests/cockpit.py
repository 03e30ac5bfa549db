"""A small programme for the cockpit's pages: one objective with a scaled experiment (realised
impact), one running (forecast), designs waiting for the CMO, a segment tree with economics,
and two nightly roll-ups stored."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.models import Result
from experiments.models import SegmentEconomics, StatusChange
from programme.portfolio.rollup import portfolio_rollup_run
from roles.models import OperatorProfile, User
from tests.demo_snapshots import demo_loaded
from tests.experiments.helpers import put_in_status
from tests.factories import (
    ExperimentFactory,
    HypothesisFactory,
    MetricFactory,
    ObjectiveFactory,
    PartnerFactory,
    SegmentFactory,
    TeamFactory,
)
from tests.helpers import world_copy

# Reach 100,000 a year × baseline 5 % × value 40 per conversion: 200,000 per unit of lift.
IMPACT_MODEL = {"reach_per_year": 100_000, "baseline": 0.05, "value_per_conversion": Decimal("40")}


def build(*, cmo, operator, operator2):
    today = timezone.localdate()
    team = TeamFactory(name="SMB tiger team")
    self_serve = SegmentFactory(name="Self-serve", owner_team=team, monthly_reach=300_000)
    freelancers = SegmentFactory(
        name="Freelancers", parent=self_serve, owner_team=team, monthly_reach=30_000
    )
    periods = [
        SegmentEconomics.objects.create(
            segment=self_serve,
            period_start=dt.date(2026, month, 1),
            period_end=dt.date(2026, month, 28),
            customers_acquired=customers,
            acquisition_cost=Decimal(cost),
            customer_value=Decimal(value),
        )
        for month, customers, cost, value in [
            (8, 100, "20000", "50000"),
            (9, 120, "30000", "60000"),
        ]
    ]
    OperatorProfile.objects.create(
        user=operator,
        channels=["web", "email", "paid"],
        specialities=["pricing tests"],
        capacity=3,
    )
    arr = ObjectiveFactory(
        name="Grow net new ARR", kpi="Net new ARR", owner=cmo,
        baseline=Decimal("1000000"), target=Decimal("1500000"),
    )  # fmt: skip
    metric = MetricFactory(key="signups", name="Sign-ups")

    def experiment(name, status, owner=operator, segment=self_serve, **fields):
        hypothesis = HypothesisFactory(
            title=f"Idea: {name}", objective=arr, segment=segment, metric=metric
        )
        made = ExperimentFactory(name=name, hypothesis=hypothesis, owner=owner, **IMPACT_MODEL)
        return put_in_status(made, status, **fields)

    scaled = experiment(
        "Customer logos", "concluded", decision="scale", outcome="won",
        learnings="Logos build trust with first-time visitors.", end_date=today,
    )  # fmt: skip
    Result.objects.create(
        experiment=scaled, metric=metric, variant=scaled.variants.get(key="b"), look=1,
        is_control=False, users=1000, alpha=0.05, lift=0.1, lift_ci_low=0.05, lift_ci_high=0.15,
    )  # fmt: skip
    running = experiment("Annual plan nudge", "running", daily_traffic=2000)
    in_review = experiment("Shorter sign-up form", "in_review", owner=operator2)
    completed = experiment("Pricing FAQ", "completed", owner=operator2)
    agency = experiment(
        "Paid social lookalikes",
        "approved",
        executed_by="agency",
        partner=PartnerFactory(name="Northwind"),
    )
    draft = experiment("Onboarding checklist", "draft")
    # The audit trail says when each entered the status it waits in.
    long_ago = timezone.now() - dt.timedelta(days=5)
    for moved, step, status, when in [
        (in_review, "submit", "in_review", long_ago),
        (completed, "complete", "completed", timezone.now() - dt.timedelta(hours=3)),
    ]:
        change = StatusChange.objects.create(
            experiment=moved, step=step, from_status="draft", to_status=status, actor=moved.owner
        )
        StatusChange.objects.filter(pk=change.pk).update(created_at=when)
    follow_up = HypothesisFactory(
        title="Logos on the checkout page too", objective=arr, segment=self_serve,
        iterates_on_experiment=scaled, status="new",
    )  # fmt: skip
    portfolio_rollup_run(today=today - dt.timedelta(days=1))
    portfolio_rollup_run(today=today)
    return {
        "team": team,
        "self_serve": self_serve,
        "freelancers": freelancers,
        "periods": periods,
        "arr": arr,
        "metric": metric,
        "scaled": scaled,
        "running": running,
        "in_review": in_review,
        "completed": completed,
        "agency": agency,
        "draft": draft,
        "follow_up": follow_up,
    }


class OnTheLargeDemo:
    """For a test class on the demo with benchmark experiments (``seed_demo --large``,
    smaller: tests/demo_snapshots.py), loaded once for the class: each test's writes are rolled
    back. ``large_demo`` is the demo's users by username."""

    @pytest.fixture(scope="class")
    def built(self, large_demo_snapshot, django_db_blocker):
        with demo_loaded(large_demo_snapshot, django_db_blocker):
            with django_db_blocker.unblock():
                User.objects.update(is_demo=False)  # demo accounts are refused while DEBUG is off
                users = {u.username: u for u in User.objects.all()}
            yield users

    @pytest.fixture
    def large_demo(self, built):
        return world_copy(built)
