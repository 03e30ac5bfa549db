"""Demo result data: daily observations for every demo experiment that has started."""

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from experiments.models import (
    Decision,
    Experiment,
    ExperimentStatus,
    Hypothesis,
    Metric,
    Objective,
    Outcome,
    Segment,
    StatusChange,
    Variant,
)
from experiments.selectors import experiment_metrics
from roles.models import Channel, User

from .ingest.observations import observations_ingest
from .models import Result
from .stats import compare_proportions

# Relative effect of the treatment per experiment index, so the demo shows wins, losses and noise.
EFFECTS = [0.12, -0.04, 0.0, 0.08, 0.2, 0.03]


def seed_observations(*, out=print) -> int:
    """Upload believable daily numbers for started demo experiments through the real service."""
    analyst = User.objects.filter(username="analyst").first()
    if analyst is None:
        return 0
    rng = random.Random(42)
    today = timezone.localdate()
    written = 0
    started = (
        Experiment.objects.filter(start_date__isnull=False, observations__isnull=True)
        .exclude(key__startswith="bench-")
        .select_related("primary_metric")
        .prefetch_related("variants", "secondary_metrics", "guardrail_metrics")
        .order_by("pk")
    )
    for index, experiment in enumerate(started):
        last = min(experiment.end_date or today, today)
        days = [
            experiment.start_date + dt.timedelta(days=i)
            for i in range((last - experiment.start_date).days + 1)
        ]
        effect = EFFECTS[index % len(EFFECTS)]
        rows = []
        variants = list(experiment.variants.all())
        # The same people are counted for every metric: draw each day's split once.
        split = {
            (day, v.pk): _assigned(experiment.daily_traffic, v.weight, rng)
            for day in days
            for v in variants
        }
        for metric in experiment_metrics(experiment).values():
            for day in days:
                for variant in variants:
                    users = split[day, variant.pk]
                    lift = 0.0 if variant.is_control or metric.key == "unsubscribe_rate" else effect
                    rows.append(_row(metric, variant, day, users, experiment.baseline, lift, rng))
        written += observations_ingest(experiment_id=experiment.pk, actor=analyst, rows=rows)
    out(f"Uploaded {written} daily observations.")
    return written


def _assigned(daily_traffic: int, weight: float, rng) -> int:
    """Users a variant gets in a day: binomial noise around its planned share."""
    expected = daily_traffic * weight
    return max(2, round(rng.gauss(expected, (expected * (1 - weight)) ** 0.5)))


def _row(metric, variant, day, users, baseline, lift, rng) -> dict:
    row = {"date": day.isoformat(), "variant": variant.key, "metric": metric.key, "users": users}
    if metric.kind == Metric.Kind.BINOMIAL:
        rate = (baseline if metric.key != "unsubscribe_rate" else 0.004) * (1 + lift)
        rate = min(max(rate, 0.0005), 0.95)
        mean, sd = users * rate, (users * rate * (1 - rate)) ** 0.5
        row["conversions"] = max(0, min(users, round(rng.gauss(mean, sd))))
    else:
        per_user = (baseline or 5.0) * (1 + lift)
        sd = per_user * 1.8
        total = rng.gauss(per_user * users, sd * users**0.5)
        row["sum"] = round(total, 2)
        row["sum_squares"] = round(users * (sd**2 + (total / users) ** 2), 2)
    return row


# --- the programme's past: concluded experiments for the programme insights ------------------

HISTORY_SIZE = 48
HISTORY_DAYS = 420
AGENCIES = {
    # name: (build cost range, media cost range, how much better than in-house its ideas do)
    "Northwind Growth Partners": ((9_000, 16_000), (4_000, 12_000), 0.012),
    "Brightline Digital": ((2_500, 5_000), (1_000, 4_000), -0.01),
}
HISTORY_CHANNEL_EFFECT = {Channel.EMAIL: 0.015, Channel.WEB: 0.005, Channel.PAID: -0.01}


@transaction.atomic
def seed_programme_history(*, count: int = HISTORY_SIZE, out=print) -> int:
    """The programme's past year: ``count`` concluded experiments, each with its hypothesis's
    scores, its primary result, its audit trail, who ran it and what it cost.

    Imported as history (bulk rows, like ``seed_large``), not walked through the lifecycle:
    these tests ended before the demo organisation's own ones began. True effects follow the
    scores only loosely, one scorer is over-confident, e-mail ideas do better than paid ones,
    and the CMO sometimes overrides the recommendation, so the calibration, false-wins and
    partners insights have something to say.
    """
    if Experiment.objects.filter(key__startswith="past-").exists():
        return 0
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["cmo", "operator", "operator2", "marketer"])
    }
    if len(users) < 4:
        return 0
    rng = random.Random(1313)
    metrics = list(
        Metric.objects.filter(kind=Metric.Kind.BINOMIAL, direction=Metric.Direction.HIGHER)
    )
    segments = list(Segment.objects.filter(parent__isnull=False))
    objectives = list(Objective.objects.exclude(unit=Objective.Unit.COUNT))
    channels = [Channel.EMAIL, Channel.WEB, Channel.PAID]
    now = timezone.now()
    scorers = [users["operator"], users["operator2"], users["cmo"]]
    plans = []
    for i in range(count):
        scorer = scorers[i % 3]
        impact, ease = rng.randint(3, 9), rng.randint(2, 9)
        honest = rng.randint(2, 9)
        # operator2 rates almost everything 8 or 9, whatever the idea is worth.
        confidence = rng.randint(8, 9) if scorer.username == "operator2" else honest
        channel = channels[i % 3]
        agency = list(AGENCIES)[i % 2] if i % 4 == 3 else ""
        effect = (
            0.01
            + 0.006 * (impact + honest + ease - 16)
            + HISTORY_CHANNEL_EFFECT[channel]
            + (AGENCIES[agency][2] if agency else 0)
            + rng.gauss(0, 0.025)
        )
        plans.append((i, scorer, impact, confidence, ease, channel, agency, effect))

    hypotheses = Hypothesis.objects.bulk_create(
        [
            Hypothesis(
                title=f"Past test {i + 1:02d}: {metrics[i % len(metrics)].name.lower()} via {Channel(channel).label.lower()}",
                observation="last year's funnel review showed a drop at this step",
                change="a change the team tested last year",
                effect="a better conversion rate",
                metric=metrics[i % len(metrics)],
                expected_mde=0.05,
                channel=channel,
                objective=objectives[i % len(objectives)],
                segment=segments[(i * 3) % len(segments)],
                author=users["marketer"],
                impact=impact,
                confidence=confidence,
                ease=ease,
                scored_by=scorer,
                scored_at=now - dt.timedelta(days=HISTORY_DAYS - i * 7),
                status=Hypothesis.Status.INCONCLUSIVE,
            )
            for i, scorer, impact, confidence, ease, channel, agency, effect in plans
        ]
    )
    experiments, outcomes = [], []
    for (i, _, _, _, _, _, agency, effect), hypothesis in zip(plans, hypotheses, strict=True):
        baseline = rng.choice([0.04, 0.06, 0.09, 0.12])
        users_per_arm = rng.choice([12_000, 20_000, 35_000, 60_000])
        control = _binomial(users_per_arm, baseline, rng)
        treatment = _binomial(users_per_arm, baseline * (1 + effect), rng)
        comparison = compare_proportions(control, users_per_arm, treatment, users_per_arm)
        lift, p = float(comparison.lift), float(comparison.p_value)
        if p < 0.05:
            outcome = Outcome.WON if lift > 0 else Outcome.LOST
        elif lift > 0 and p < 0.15 and rng.random() < 0.6:
            outcome = Outcome.WON  # called a win on a promising trend
        else:
            outcome = Outcome.INCONCLUSIVE
        decision = {Outcome.WON: Decision.SCALE, Outcome.LOST: Decision.ABANDON}.get(
            outcome, rng.choice([Decision.ITERATE, Decision.ABANDON])
        )
        # Now and then the CMO went against the operator's advice: scaling a win the operator
        # wanted to iterate on, or stopping a test the operator wanted to scale.
        recommendation = decision
        if decision == Decision.SCALE and i % 3 == 1:
            recommendation = Decision.ITERATE
        elif decision != Decision.SCALE and i % 6 == 1:
            recommendation = Decision.SCALE
        concluded_days_ago = HISTORY_DAYS - 20 - i * (HISTORY_DAYS - 40) // count
        build, media = AGENCIES[agency][:2] if agency else ((1_500, 6_000), (0, 3_000))
        experiments.append(
            Experiment(
                name=hypothesis.title,
                key=f"past-{i + 1:03d}",
                hypothesis=hypothesis,
                objective=hypothesis.objective,
                segment=hypothesis.segment,
                owner=users["operator"] if i % 2 else users["operator2"],
                executed_by=Experiment.ExecutedBy.AGENCY
                if agency
                else Experiment.ExecutedBy.IN_HOUSE,
                agency_name=agency,
                primary_metric=hypothesis.metric,
                baseline=baseline,
                mde=0.05,
                daily_traffic=users_per_arm // 14,
                reach_per_year=hypothesis.segment.monthly_reach * 12,
                value_per_conversion=Decimal(rng.choice([120, 300, 900])),
                build_cost=Decimal(rng.randint(*build)) if i % 9 != 8 else None,
                media_cost=Decimal(rng.randint(*media)) if i % 9 != 8 else None,
                status=ExperimentStatus.CONCLUDED,
                start_date=(now - dt.timedelta(days=concluded_days_ago + 20)).date(),
                end_date=(now - dt.timedelta(days=concluded_days_ago + 4)).date(),
                recommendation=recommendation,
                analysis="Imported from last year's test log.",
                decision=decision,
                outcome=outcome,
                learnings="From the programme's history.",
            )
        )
        outcomes.append((users_per_arm, control, treatment, comparison, concluded_days_ago))
    experiments = Experiment.objects.bulk_create(experiments)
    Hypothesis.objects.bulk_update(
        [_with_status(e.hypothesis, e.outcome) for e in experiments],
        ["status"],
    )
    variants = Variant.objects.bulk_create(
        [
            Variant(
                experiment=e, key=key, name=key.title(), is_control=key == "control", weight=0.5
            )
            for e in experiments
            for key in ("control", "b")
        ]
    )
    results, changes = [], []
    for n, (experiment, (users_per_arm, control, treatment, c, days_ago)) in enumerate(
        zip(experiments, outcomes, strict=True)
    ):
        control_variant, treatment_variant = variants[2 * n], variants[2 * n + 1]
        common = {
            "experiment": experiment,
            "metric": experiment.primary_metric,
            "look": 1,
            "users": users_per_arm,
            "alpha": 0.05,
        }
        results.append(
            Result(variant=control_variant, is_control=True, mean=control / users_per_arm, **common)
        )
        results.append(
            Result(
                variant=treatment_variant, is_control=False, mean=treatment / users_per_arm,
                diff=float(c.diff), diff_ci_low=float(c.diff_ci_low), diff_ci_high=float(c.diff_ci_high),
                lift=float(c.lift), lift_ci_low=float(c.lift_ci_low), lift_ci_high=float(c.lift_ci_high),
                p_value=float(c.p_value), p_value_adjusted=float(c.p_value), **common,
            )
        )  # fmt: skip
        steps = [
            ("submit", "draft", "in_review", 34, experiment.owner),
            ("approve", "in_review", "approved", 30, users["cmo"]),
            ("start", "approved", "running", 20, experiment.owner),
            ("complete", "running", "completed", 4, experiment.owner),
            ("conclude", "completed", "concluded", 0, users["cmo"]),
        ]
        for step, before, after, days_before, actor in steps:
            changes.append(
                (StatusChange(experiment=experiment, step=step, from_status=before, to_status=after, actor=actor),
                 now - dt.timedelta(days=days_ago + days_before, hours=n % 5))
            )  # fmt: skip
    Result.objects.bulk_create(results)
    created = StatusChange.objects.bulk_create([change for change, _ in changes])
    for change, (_, when) in zip(created, changes, strict=True):
        change.created_at = when
    StatusChange.objects.bulk_update(created, ["created_at"])
    Experiment.objects.filter(pk__in=[e.pk for e in experiments]).update(
        created_at=now - dt.timedelta(days=HISTORY_DAYS + 10)
    )
    out(f"Imported {len(experiments)} concluded experiments from the programme's history.")
    return len(experiments)


def _binomial(users: int, rate: float, rng) -> int:
    """Conversions among ``users`` at ``rate``: the normal approximation, kept within range."""
    rate = min(max(rate, 0.001), 0.95)
    return max(0, min(users, round(rng.gauss(users * rate, (users * rate * (1 - rate)) ** 0.5))))


def _with_status(hypothesis, outcome):
    hypothesis.status = {
        Outcome.WON: Hypothesis.Status.VALIDATED,
        Outcome.LOST: Hypothesis.Status.INVALIDATED,
    }.get(outcome, Hypothesis.Status.INCONCLUSIVE)
    return hypothesis
