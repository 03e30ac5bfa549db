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
    Hypothesis,
    Metric,
    Objective,
    Outcome,
    Segment,
    StatusChange,
)
from experiments.selectors import experiment_metrics
from experiments.services import experiment_create, hypothesis_create, hypothesis_triage
from roles.models import Channel, User

from .analysis.alerts import raise_decision_overdue_alerts
from .analysis.pipeline import experiments_analyse
from .ingest.observations import observations_ingest
from .portfolio.rechecks import ship_rechecks_run

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
        _walk_past(experiment, owner, users["cmo"], drafted, scale=since is not None)
        experiment.refresh_from_db()
        _upload(experiment, users["analyst"], experiment.start_date, experiment.end_date, lift, rng)
        # Analysed now, not on commit: the re-checks below compare with these results.
        experiments_analyse([experiment.pk])
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
        f"{rechecks['written']} post-ship "
        f"re-checks and {overdue} overdue-decision alerts."
    )
    return len(PAST_EXPERIMENTS) + len(QUEUED_DESIGNS)


def _past_experiment(index, title, metric, channel, segment, objectives, users) -> Experiment:
    owner = users["operator" if index % 2 else "operator2"]
    return _design(
        f"past-{index + 1:02d}", title, metric, channel, segment, objectives[index % 3], users,
        owner=owner, daily=PAST_DAILY_TRAFFIC, value=300,
    )  # fmt: skip


def _design(key, title, metric, channel, segment, objective, users, *, owner, daily, value):
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
        reach_per_year=segment.monthly_reach * 12,
        # In the objective's unit: one customer for the objective that counts them.
        value_per_conversion=Decimal(1)
        if objective.unit == Objective.Unit.COUNT
        else Decimal(value),
        variants=[
            {"key": "control", "name": "Control", "is_control": True, "weight": 0.5},
            {"key": "b", "name": "Variant B", "is_control": False, "weight": 0.5},
        ],
    )


def _walk_past(experiment, owner, cmo, drafted, *, scale: bool) -> None:
    """Submit, approve, start and complete now, then move each step to its day in the past."""
    lifecycle.experiment_submit(experiment_id=experiment.pk, actor=owner)
    lifecycle.experiment_approve(experiment_id=experiment.pk, actor=cmo)
    lifecycle.experiment_start(experiment_id=experiment.pk, actor=owner)
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
        created_at=drafted,
        start_date=(drafted + dt.timedelta(days=9)).date(),
        end_date=(drafted + dt.timedelta(days=29)).date(),
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
