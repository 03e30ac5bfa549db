"""Demo result data: daily observations for every demo experiment that has started, and the
programme's past year for the insights."""

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from experiments import lifecycle
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
from experiments.services import experiment_create, hypothesis_create, hypothesis_triage
from programme.portfolio.rechecks import ship_rechecks_run
from roles.models import Channel, User

from .analysis.alerts import raise_decision_overdue_alerts
from .analysis.pipeline import experiments_analyse
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


# The programme's past year, for the insights (docs/insights.md): experiments decided months
# ago, shipped winners whose holdout kept sending data, and ideas whose waits are on record.
# title, metric, channel, segment, days ago it was drafted, lift in the test, lift since the
# ship (None: not shipped).
PAST_EXPERIMENTS = [
    ("Annual-plan discount banner", "trial_to_paid", Channel.WEB, "SMB", 330, 0.15, 0.14),
    ("Onboarding checklist e-mails", "signup_conversion", Channel.EMAIL, "Self-serve trials",
     290, 0.14, 0.03),
    ("Case-study landing pages", "demo_request_rate", Channel.CONTENT, "Mid-market", 250, 0.12,
     0.11),
    ("Exit-intent trial offer", "signup_conversion", Channel.WEB, "SMB", 210, 0.1, -0.01),
    ("Partner webinar series", "demo_request_rate", Channel.SOCIAL, "Mid-market", 170, 0.01,
     None),
    ("Usage-based upgrade nudges", "trial_to_paid", Channel.LIFECYCLE, "Self-serve trials", 140,
     0.12, 0.1),
    ("Retargeting pricing-page visitors", "signup_conversion", Channel.PAID, "Freelancers", 110,
     -0.02, None),
    ("Comparison pages against competitors", "signup_conversion", Channel.SEO, "SMB", 75, 0.13,
     0.11),
]  # fmt: skip
# Designs queued for the busiest segments (for the capacity planner): title, metric, channel,
# segment, status to reach, people a day, value per conversion.
QUEUED_DESIGNS = [
    ("Pricing-page plan quiz", "signup_conversion", Channel.WEB, "SMB", "approved", 3_500, 300),
    ("Trial-extension offer on day 12", "trial_to_paid", Channel.LIFECYCLE, "SMB", "approved",
     2_500, 900),
    ("Founder video on the home page", "signup_conversion", Channel.CONTENT, "SMB", "in_review",
     3_000, 120),
    ("Seat-based upgrade prompt", "trial_to_paid", Channel.WEB, "Self-serve trials", "approved",
     900, 300),
    ("Weekly usage digest e-mail", "trial_to_paid", Channel.EMAIL, "Self-serve trials", "draft",
     800, 40),
]  # fmt: skip
PAST_BASELINE = 0.06
PAST_DAILY_TRAFFIC = 4_000
# Each past change touched one page or e-mail that a tenth of its segment sees in a year; with
# the whole segment the demo's objectives would read several times their targets.
PAST_REACH_SHARE = 0.1


@transaction.atomic
def seed_programme_history(*, out=print) -> int:
    """Add the past year's decided experiments (through the real services, then backdated),
    their holdout data, the re-checks it gives, and triage times for every demo idea.

    Idempotent: nothing is added once the past experiments are there."""
    users = {u.username: u for u in User.objects.filter(is_demo=True)}
    if "cmo" not in users or Experiment.objects.filter(key__startswith="past-").exists():
        return 0
    rng = random.Random(2025)
    now = timezone.now()
    segments = {s.name: s for s in Segment.objects.all()}
    metrics = {m.key: m for m in Metric.objects.all()}
    objectives = list(Objective.objects.order_by("pk"))
    for index, (title, metric_key, channel, segment_name, days_ago, lift, since) in enumerate(
        PAST_EXPERIMENTS
    ):
        owner = users["operator" if index % 2 else "operator2"]
        experiment = _past_experiment(
            index, title, metrics[metric_key], channel, segments[segment_name], objectives, users
        )
        drafted = now - dt.timedelta(days=days_ago)
        _walk_past(experiment, owner, users, drafted, scale=since is not None, lift=lift, rng=rng)
        experiment.refresh_from_db()
        decision = Decision.SCALE if since is not None else Decision.ABANDON
        lifecycle.experiment_conclude(
            experiment_id=experiment.pk,
            actor=users["cmo"],
            decision=decision,
            outcome=Outcome.WON if since is not None else Outcome.LOST,
            learnings="Shipped to the whole segment." if since is not None else "No lift.",
        )
        StatusChange.objects.filter(experiment=experiment, step="conclude").update(
            created_at=drafted + dt.timedelta(days=33 + index % 3 * 4)
        )
        if since is not None:
            experiment.refresh_from_db()
            last = min(timezone.localdate(), experiment.end_date + dt.timedelta(days=100))
            _upload(experiment, users["analyst"], experiment.end_date + dt.timedelta(days=1),
                    last, since, rng)  # fmt: skip
    for index, (title, metric_key, channel, segment_name, status, daily, value) in enumerate(
        QUEUED_DESIGNS
    ):
        owner = users["operator" if index % 2 else "operator2"]
        experiment = _design(
            f"plan-{index + 1:02d}", title, metrics[metric_key], channel, segments[segment_name],
            objectives[index % len(objectives)], users, owner=owner, daily=daily, value=value,
        )  # fmt: skip
        steps = {"approved": ["submit", "approve"], "in_review": ["submit"], "draft": []}[status]
        for step in steps:
            actor = users["cmo"] if step == "approve" else owner
            lifecycle.STEP_SERVICES[step](experiment_id=experiment.pk, actor=actor)
        drafted = now - dt.timedelta(days=12 - index * 2)
        Experiment.objects.filter(pk=experiment.pk).update(created_at=drafted)
        for i, step in enumerate(steps):
            StatusChange.objects.filter(experiment=experiment, step=step).update(
                created_at=drafted + dt.timedelta(days=2 + 2 * i)
            )
    _triage_times(now, rng)
    rechecks = ship_rechecks_run()
    overdue = raise_decision_overdue_alerts()
    out(
        f"Added {len(PAST_EXPERIMENTS)} past experiments, {len(QUEUED_DESIGNS)} queued designs, "
        f"{rechecks['written']} post-ship re-checks and {overdue} overdue-decision alerts."
    )
    return len(PAST_EXPERIMENTS) + len(QUEUED_DESIGNS)


def _past_experiment(index, title, metric, channel, segment, objectives, users) -> Experiment:
    owner = users["operator" if index % 2 else "operator2"]
    return _design(
        f"past-{index + 1:02d}", title, metric, channel, segment, objectives[index % 3], users,
        owner=owner, daily=PAST_DAILY_TRAFFIC, value=300, reach_share=PAST_REACH_SHARE,
    )  # fmt: skip


def _design(
    key, title, metric, channel, segment, objective, users, *, owner, daily, value, reach_share=1.0
):
    """A logged and triaged idea, and its experiment's design (two arms, MDE 10 %)."""
    hypothesis = hypothesis_create(
        actor=users["marketer"],
        title=title,
        observation="the last quarter's funnel review pointed at this step",
        change=title.lower(),
        effect=f"a higher {metric.name.lower()}",
        metric=metric,
        expected_mde=0.1,
        channel=channel,
        objective=objective,
        segment=segment,
        impact=5 + len(title) % 4,
        confidence=4 + len(title) % 5,
        ease=6,
    )
    hypothesis = hypothesis_triage(
        hypothesis_id=hypothesis.pk, actor=users["operator"], status="backlog"
    )
    return experiment_create(
        actor=owner,
        hypothesis=hypothesis,
        name=title,
        key=f"{key}-{metric.key.replace('_', '-')}",
        baseline=PAST_BASELINE,
        mde=0.1,
        daily_traffic=daily,
        reach_per_year=round(segment.monthly_reach * 12 * reach_share),
        # In the objective's unit: one customer for the objective that counts them.
        value_per_conversion=Decimal(1)
        if objective.unit == Objective.Unit.COUNT
        else Decimal(value),
        variants=[
            {"key": "control", "name": "Control", "is_control": True, "weight": 0.5},
            {"key": "b", "name": "Variant B", "is_control": False, "weight": 0.5},
        ],
    )


def _walk_past(experiment, owner, users, drafted, *, scale: bool, lift: float, rng) -> None:
    """Submit, approve and start now; move the start to its day in the past; upload and
    analyse the test's days with the treatment's ``lift``; complete at the planned sample;
    then move each step to its day in the past."""
    lifecycle.experiment_submit(experiment_id=experiment.pk, actor=owner)
    lifecycle.experiment_approve(experiment_id=experiment.pk, actor=users["cmo"])
    lifecycle.experiment_start(experiment_id=experiment.pk, actor=owner)
    start, end = (drafted + dt.timedelta(days=9)).date(), (drafted + dt.timedelta(days=29)).date()
    Experiment.objects.filter(pk=experiment.pk).update(start_date=start)
    experiment.refresh_from_db()
    _upload(experiment, users["analyst"], start, end, lift, rng)
    # Analysed now, not on commit: completing reads the verdict, the re-checks these results.
    experiments_analyse([experiment.pk])
    lifecycle.experiment_complete(
        experiment_id=experiment.pk,
        actor=owner,
        analysis="Reached the planned sample.",
        recommendation=Decision.SCALE if scale else Decision.ABANDON,
    )
    offsets = {"submit": 4, "approve": 7, "start": 9, "complete": 30}
    for step, days in offsets.items():
        StatusChange.objects.filter(experiment=experiment, step=step).update(
            created_at=drafted + dt.timedelta(days=days)
        )
    Experiment.objects.filter(pk=experiment.pk).update(
        created_at=drafted, start_date=start, end_date=end
    )
    Hypothesis.objects.filter(pk=experiment.hypothesis_id).update(
        created_at=drafted - dt.timedelta(days=12), triaged_at=drafted - dt.timedelta(days=9)
    )


def _upload(experiment, analyst, first, last, lift, rng) -> None:
    """Daily primary-metric numbers from ``first`` to ``last`` with the treatment's ``lift``."""
    metric = experiment.primary_metric
    variants = list(experiment.variants.all())
    rows = []
    for offset in range((last - first).days + 1):
        day = first + dt.timedelta(days=offset)
        for variant in variants:
            users = _assigned(experiment.daily_traffic, variant.weight, rng)
            effect = 0.0 if variant.is_control else lift
            rows.append(_row(metric, variant, day, users, experiment.baseline, effect, rng))
    if rows:
        observations_ingest(experiment_id=experiment.pk, actor=analyst, rows=rows)


def _triage_times(now, rng) -> None:
    """Give every demo idea a believable wait: logged some days before it was triaged, and
    triaged before its first experiment was drafted."""
    first_drafts = {}
    for hypothesis_id, created in Experiment.objects.order_by("created_at").values_list(
        "hypothesis_id", "created_at"
    ):
        first_drafts.setdefault(hypothesis_id, created)
    changed = []
    for hypothesis in Hypothesis.objects.filter(triaged_at__isnull=False).exclude(
        experiments__key__startswith="past-"
    ):
        anchor = first_drafts.get(hypothesis.pk, now - dt.timedelta(days=rng.randint(2, 20)))
        hypothesis.triaged_at = anchor - dt.timedelta(days=rng.randint(1, 12), hours=3)
        hypothesis.created_at = hypothesis.triaged_at - dt.timedelta(days=rng.randint(1, 9))
        changed.append(hypothesis)
    for hypothesis in Hypothesis.objects.filter(status=Hypothesis.Status.NEW):
        hypothesis.created_at = now - dt.timedelta(days=rng.randint(1, 15))
        changed.append(hypothesis)
    Hypothesis.objects.bulk_update(changed, ["created_at", "triaged_at"])


# --- a longer record of decisions: calibration, false wins, partners and cost ------------------

HISTORY_SIZE = 48
HISTORY_DAYS = 420
AGENCIES = {
    # name: (build cost range, media cost range, how much better than in-house its ideas do)
    "Northwind Growth Partners": ((9_000, 16_000), (4_000, 12_000), 0.012),
    "Brightline Digital": ((2_500, 5_000), (1_000, 4_000), -0.01),
}
HISTORY_CHANNEL_EFFECT = {Channel.EMAIL: 0.015, Channel.WEB: 0.005, Channel.PAID: -0.01}


@transaction.atomic
def seed_decision_history(*, count: int = HISTORY_SIZE, out=print) -> int:
    """A longer record of the programme's decisions: ``count`` concluded experiments, each with its hypothesis's
    scores, its primary result, its audit trail, who ran it and what it cost.

    Imported as history (bulk rows, like ``seed_large``), not walked through the lifecycle:
    these tests ended before the demo organisation's own ones began. True effects follow the
    scores only loosely, one scorer is over-confident, e-mail ideas do better than paid ones,
    and the CMO sometimes overrides the recommendation, so the calibration, false-wins and
    partners insights have something to say.
    """
    if Experiment.objects.filter(key__startswith="hist-").exists():
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
                title=f"Earlier test {i + 1:02d}: {metrics[i % len(metrics)].name.lower()} via {Channel(channel).label.lower()}",
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
                # Logged, then triaged and scored, then drafted: see _history_day.
                scored_at=_history_day(now, i, count, "triaged"),
                triaged_at=_history_day(now, i, count, "triaged"),
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
        concluded_days_ago = (now - _history_day(now, i, count, "concluded")).days
        build, media = AGENCIES[agency][:2] if agency else ((1_500, 6_000), (0, 3_000))
        experiments.append(
            Experiment(
                name=hypothesis.title,
                key=f"hist-{i + 1:03d}",
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
    for i, experiment in enumerate(experiments):
        experiment.created_at = _history_day(now, i, count, "drafted")
        experiment.hypothesis.created_at = _history_day(now, i, count, "logged")
    Experiment.objects.bulk_update(experiments, ["created_at"])
    Hypothesis.objects.bulk_update([e.hypothesis for e in experiments], ["created_at"])
    out(f"Imported {len(experiments)} concluded experiments from the programme's history.")
    return len(experiments)


# Days before the conclusion of each past decision's milestones (submit is 34 days before).
HISTORY_MILESTONES = {"logged": 60, "triaged": 48, "drafted": 40, "concluded": 0}


def _history_day(now, i: int, count: int, milestone: str) -> dt.datetime:
    """When the ``i``-th past experiment reached ``milestone``: conclusions spread evenly
    from ``HISTORY_DAYS`` − 20 days ago to 20 days ago."""
    concluded_days_ago = HISTORY_DAYS - 20 - i * (HISTORY_DAYS - 40) // count
    return now - dt.timedelta(days=concluded_days_ago + HISTORY_MILESTONES[milestone])


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
