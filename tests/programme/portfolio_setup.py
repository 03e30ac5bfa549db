"""The constructed programme the portfolio roll-up's tests share, and its helpers."""

import datetime as dt

from django.utils import timezone

from analytics.models import Result
from experiments.models import StatusChange
from programme.models import PortfolioRollup
from roles.models import Channel
from tests.experiments.helpers import put_in_status
from tests.factories import (
    ExperimentFactory,
    HypothesisFactory,
    ObjectiveFactory,
    SegmentFactory,
    TeamFactory,
)

TODAY = dt.date(2026, 3, 31)
STATUSES = [
    "draft",
    "in_review",
    "approved",
    "running",
    "paused",
    "completed",
    "concluded",
    "killed",
]


def make(*, owner, hypothesis=None, status="draft", **fields):
    """An experiment placed straight into ``status`` (test set-up, no audit trail)."""
    hypothesis = hypothesis or HypothesisFactory()
    experiment = ExperimentFactory(owner=owner, hypothesis=hypothesis)
    return put_in_status(experiment, status, **fields)


def at(days_before_today: float) -> dt.datetime:
    midnight = timezone.make_aware(dt.datetime.combine(TODAY, dt.time.min))
    return midnight - dt.timedelta(days=days_before_today)


def trail(experiment, actor, *steps):
    """Hand-built audit trail: (step, when) pairs, timestamps set after the insert."""
    for step, when in steps:
        change = StatusChange.objects.create(
            experiment=experiment, step=step, from_status="draft", to_status="draft", actor=actor
        )
        StatusChange.objects.filter(pk=change.pk).update(created_at=when)


def row(dimension, key, day=TODAY) -> dict:
    return PortfolioRollup.objects.get(computed_on=day, dimension=dimension, key=str(key)).data


def result(experiment, variant_key, *, look, lift=None, low=None, high=None, metric=None):
    variant = experiment.variants.get(key=variant_key)
    return Result.objects.create(
        experiment=experiment, metric=metric or experiment.primary_metric, variant=variant,
        look=look, is_control=variant.is_control, users=1000, alpha=0.05,
        lift=lift, lift_ci_low=low, lift_ci_high=high,
    )  # fmt: skip


def portfolio_world(operator, operator2):
    """Two teams, two segments, two objectives, two channels, two operators."""
    smb, enterprise = TeamFactory(name="SMB"), TeamFactory(name="Enterprise")
    seg_smb = SegmentFactory(name="SMB", owner_team=smb)
    seg_ent = SegmentFactory(name="Enterprise", owner_team=enterprise)
    arr, cac = ObjectiveFactory(name="ARR"), ObjectiveFactory(name="CAC")
    web = HypothesisFactory(objective=arr, segment=seg_smb, channel=Channel.WEB)
    email = HypothesisFactory(objective=cac, segment=seg_ent, channel=Channel.EMAIL)
    return {
        "teams": (smb, enterprise),
        "segments": (seg_smb, seg_ent),
        "objectives": (arr, cac),
        "web": web,
        "email": email,
        "operators": (operator, operator2),
    }
