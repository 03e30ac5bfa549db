"""Constructed programmes whose calibration, false wins and partners are worked out by hand,
shared by their tests."""

import datetime as dt
from decimal import Decimal
from statistics import NormalDist

from django.utils import timezone

from analytics.models import Result
from experiments.models import Hypothesis, SegmentEconomics, StatusChange
from programme.insights.run import insights_run
from programme.models import InsightReport
from roles.models import Channel
from tests.experiments.helpers import put_in_status
from tests.factories import (
    ExperimentFactory,
    HypothesisFactory,
    ObjectiveFactory,
    PartnerFactory,
    SegmentFactory,
    TeamFactory,
)

TODAY = dt.date(2026, 3, 31)
Z = NormalDist().inv_cdf(0.975)
IMPACT_MODEL = {"reach_per_year": 100_000, "baseline": 0.05, "value_per_conversion": Decimal(40)}


def at(day: dt.date, days_before: int = 0) -> dt.datetime:
    return timezone.make_aware(
        dt.datetime.combine(day - dt.timedelta(days=days_before), dt.time(9))
    )


def concluded(
    owner,
    *,
    hypothesis=None,
    lift,
    p=0.5,
    outcome="won",
    decision="scale",
    recommendation="scale",
    concluded_on=dt.date(2026, 2, 1),
    submitted_days_before=10,
    se=0.05,
    **fields,
):
    """A concluded experiment with one result (treatment "b", newest look) and its audit trail
    (submit, conclude) at known times."""
    experiment = ExperimentFactory(owner=owner, hypothesis=hypothesis or HypothesisFactory())
    experiment = put_in_status(
        experiment,
        "concluded",
        outcome=outcome,
        decision=decision,
        recommendation=recommendation,
        **{**IMPACT_MODEL, **fields},
    )
    variant = experiment.variants.get(key="b")
    Result.objects.create(
        experiment=experiment, metric=experiment.primary_metric, variant=variant, look=1,
        is_control=False, users=1000, alpha=0.05, lift=lift,
        lift_ci_low=lift - Z * se, lift_ci_high=lift + Z * se, p_value=p,
    )  # fmt: skip
    for step, when in (
        ("submit", at(concluded_on, submitted_days_before)),
        ("conclude", at(concluded_on)),
    ):
        change = StatusChange.objects.create(
            experiment=experiment, step=step, from_status="draft", to_status="draft", actor=owner
        )
        StatusChange.objects.filter(pk=change.pk).update(created_at=when)
    return experiment


def scored(impact, confidence, ease, channel=Channel.WEB, status=Hypothesis.Status.VALIDATED):
    return HypothesisFactory(
        impact=impact, confidence=confidence, ease=ease, channel=channel, status=status
    )


def report(name: str) -> dict:
    insights_run(names=[name], today=TODAY)
    return InsightReport.objects.get(name=name).data


# The three lifts shrunk by hand (tests/stats/test_programme.py): y = (0.10, 0.00, −0.04),
# s = 0.05 → μ̂ = 0.02, τ̂² = 0.0027, B = 0.0027/0.0052, θ̂ = (0.061538, 0.009615, −0.011154).
B = 0.0027 / 0.0052
SHRUNK = (0.02 + B * 0.08, 0.02 - B * 0.02, 0.02 - B * 0.06)
POSTERIOR_SD = B**0.5 * 0.05


def false_win_stream(operator):
    """Three decisions in January, February, March 2026; p = (0.0001, 0.2, 0.001)."""
    arr = ObjectiveFactory(name="ARR")
    return [
        concluded(
            operator, hypothesis=HypothesisFactory(objective=arr), lift=0.10, p=0.0001,
            concluded_on=dt.date(2026, 1, 10),
        ),
        concluded(
            operator, hypothesis=HypothesisFactory(objective=arr), lift=0.0, p=0.2,
            concluded_on=dt.date(2026, 2, 10),
        ),
        concluded(
            operator, hypothesis=HypothesisFactory(objective=arr), lift=-0.04, p=0.001,
            outcome="lost", decision="abandon", recommendation="abandon",
            concluded_on=dt.date(2026, 3, 10),
        ),
    ]  # fmt: skip


def partner_programme(operator):
    """Northwind (agency) ran two tests, the SMB team one. The agency's segment has economics
    (100 customers worth 30,000 → 300 each); the SMB team's has none (falls back to 40)."""
    smb = TeamFactory(name="SMB")
    priced = SegmentFactory(name="Priced", owner_team=TeamFactory(name="Growth"))
    SegmentEconomics.objects.create(
        segment=priced,
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
        customers_acquired=50,
        customer_value=Decimal(1),
        acquisition_cost=Decimal(1),
    )  # fmt: skip — an older period: the newest one counts
    SegmentEconomics.objects.create(
        segment=priced, period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 3, 31),
        customers_acquired=100, customer_value=Decimal(30_000), acquisition_cost=Decimal(9_000),
    )  # fmt: skip
    plain = SegmentFactory(name="Plain", owner_team=smb)
    agency = {"executed_by": "agency", "partner": PartnerFactory(name="Northwind")}
    return {
        "win": concluded(
            operator, hypothesis=HypothesisFactory(segment=priced), lift=0.10,
            build_cost=Decimal(10_000), media_cost=Decimal(5_000), submitted_days_before=10,
            **agency,
        ),
        "loss": concluded(
            operator, hypothesis=HypothesisFactory(segment=priced), lift=-0.04,
            outcome="lost", decision="abandon", build_cost=Decimal(5_000),
            submitted_days_before=20, **agency,
        ),
        "in_house": concluded(
            operator, hypothesis=HypothesisFactory(segment=plain), lift=0.0,
            submitted_days_before=4,
        ),
    }  # fmt: skip
