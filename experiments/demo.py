"""The demo organisation: believable objectives, segments, metrics, hypotheses and experiments.

Experiments are walked through the real lifecycle services, so their audit trail is the one
a user would have produced; only the timestamps are moved into the past afterwards.
"""

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from roles.capabilities import STEP_ABILITIES, can
from roles.demo import DEMO_PASSWORD
from roles.models import Channel, OperatorProfile, Role, Team, User

from . import lifecycle
from .models import (
    DECIDED,
    NOT_STARTED,
    AnalysisMethod,
    Decision,
    Experiment,
    ExperimentStatus,
    Hypothesis,
    KillReason,
    Metric,
    Objective,
    Outcome,
    Segment,
    SegmentEconomics,
    StatusChange,
    Variant,
)
from .services import (
    comment_create,
    experiment_create,
    hypothesis_create,
    hypothesis_score,
    hypothesis_triage,
)

DEMO_USERS = [
    # username, first, last, role
    ("cmo", "Carla", "Moreno", Role.CMO),
    ("operator", "Omar", "Pereira", Role.OPERATOR),
    ("operator2", "Priya", "Natarajan", Role.OPERATOR),
    ("marketer", "Mia", "Keller", Role.MARKETER),
    ("analyst", "Ana", "Lindqvist", Role.ANALYST),
    # The admin site's account: a superuser with no role, so it holds no lifecycle ability.
    ("admin", "Adam", "Admin", ""),
]

METRICS = [
    ("signup_conversion", "Sign-up conversion", Metric.Kind.BINOMIAL, Metric.Direction.HIGHER, "%"),
    (
        "trial_to_paid",
        "Trial-to-paid conversion",
        Metric.Kind.BINOMIAL,
        Metric.Direction.HIGHER,
        "%",
    ),
    ("demo_request_rate", "Demo request rate", Metric.Kind.BINOMIAL, Metric.Direction.HIGHER, "%"),
    (
        "revenue_per_visitor",
        "Revenue per visitor",
        Metric.Kind.MEAN,
        Metric.Direction.HIGHER,
        "EUR",
    ),
    ("days_to_activation", "Days to activation", Metric.Kind.MEAN, Metric.Direction.LOWER, "days"),
    ("unsubscribe_rate", "Unsubscribe rate", Metric.Kind.BINOMIAL, Metric.Direction.LOWER, "%"),
]

# name, parent name, team, monthly reach
SEGMENTS = [
    ("SMB", None, "SMB tiger team", 180_000),
    ("Self-serve trials", "SMB", "SMB tiger team", 42_000),
    ("Agencies", "Self-serve trials", "SMB tiger team", 6_500),
    ("Freelancers", "SMB", "SMB tiger team", 28_000),
    ("Mid-market", None, "Mid-market tiger team", 60_000),
    ("Inbound demo requests", "Mid-market", "Mid-market tiger team", 4_200),
    ("Expansion accounts", "Mid-market", "Mid-market tiger team", 2_900),
    ("Enterprise", None, "Enterprise tiger team", 9_000),
    ("Procurement-led deals", "Enterprise", "Enterprise tiger team", 700),
]

IDEAS = [
    (
        "Social proof on pricing",
        "visitors hesitate on the pricing page for over a minute",
        "adding customer logos and a review score next to the plans",
        "more sign-ups",
        "signup_conversion",
        Channel.WEB,
    ),
    (
        "Shorter sign-up form",
        "43 % of people who start the sign-up form abandon it at the company-size field",
        "removing the company-size and phone fields",
        "more completed sign-ups",
        "signup_conversion",
        Channel.WEB,
    ),
    (
        "Onboarding checklist e-mails",
        "trial users who connect a data source in week one convert 3× more often",
        "a day-2 and day-5 checklist e-mail nudging the first integration",
        "more trials converting to paid",
        "trial_to_paid",
        Channel.EMAIL,
    ),
    (
        "Annual plan nudge",
        "most churn happens at the first monthly renewal",
        "offering two months free on annual plans at checkout",
        "higher revenue per visitor",
        "revenue_per_visitor",
        Channel.WEB,
    ),
    (
        "Comparison landing pages",
        "search traffic for 'X vs Y' terms grew 60 % this year",
        "publishing honest comparison pages against the top three competitors",
        "more demo requests",
        "demo_request_rate",
        Channel.SEO,
    ),
    (
        "Paid social retargeting by use case",
        "retargeting ads are generic and convert at half the benchmark",
        "use-case specific creatives for people who read a solutions page",
        "more sign-ups",
        "signup_conversion",
        Channel.PAID,
    ),
    (
        "Guided first project",
        "new users stall on an empty dashboard",
        "a template project that opens on first login",
        "faster activation",
        "days_to_activation",
        Channel.LIFECYCLE,
    ),
    (
        "Webinar follow-up sequence",
        "webinar attendees rarely book a call afterwards",
        "a three-step follow-up with a recording and a booking link",
        "more demo requests",
        "demo_request_rate",
        Channel.EMAIL,
    ),
    (
        "Founder story video",
        "the about page has the longest dwell time on the site",
        "a 90-second founder video on the home page",
        "more sign-ups",
        "signup_conversion",
        Channel.CONTENT,
    ),
    (
        "LinkedIn thought-leadership series",
        "mid-market buyers cite LinkedIn as where they discovered us",
        "a weekly post series by our head of product",
        "more demo requests",
        "demo_request_rate",
        Channel.SOCIAL,
    ),
    (
        "Usage-based upgrade prompts",
        "accounts that hit the seat limit upgrade within days when asked",
        "an in-app prompt when a team reaches 80 % of its seat limit",
        "higher revenue per visitor",
        "revenue_per_visitor",
        Channel.LIFECYCLE,
    ),
    (
        "Fewer newsletter sends",
        "unsubscribes spike after the third e-mail in a week",
        "capping marketing e-mails to two a week",
        "fewer unsubscribes",
        "unsubscribe_rate",
        Channel.EMAIL,
    ),
]

# (status to reach, owner username) for the 15 demo experiments, spread over every status.
EXPERIMENT_PLAN = [
    (ExperimentStatus.DRAFT, "operator"),
    (ExperimentStatus.DRAFT, "operator2"),
    (ExperimentStatus.IN_REVIEW, "operator"),
    (ExperimentStatus.IN_REVIEW, "operator2"),
    (ExperimentStatus.APPROVED, "operator"),
    (ExperimentStatus.RUNNING, "operator"),
    (ExperimentStatus.RUNNING, "operator2"),
    (ExperimentStatus.RUNNING, "operator2"),
    (ExperimentStatus.PAUSED, "operator"),
    (ExperimentStatus.COMPLETED, "operator"),
    (ExperimentStatus.COMPLETED, "operator2"),
    (ExperimentStatus.CONCLUDED, "operator"),
    (ExperimentStatus.CONCLUDED, "operator2"),
    (ExperimentStatus.CONCLUDED, "operator"),
    (ExperimentStatus.KILLED, "operator2"),
]

# The steps that lead to each status from draft.
PATH_TO = {
    ExperimentStatus.DRAFT: [],
    ExperimentStatus.IN_REVIEW: ["submit"],
    ExperimentStatus.APPROVED: ["submit", "approve"],
    ExperimentStatus.RUNNING: ["submit", "approve", "start"],
    ExperimentStatus.PAUSED: ["submit", "approve", "start", "pause"],
    ExperimentStatus.COMPLETED: ["submit", "approve", "start", "complete"],
    ExperimentStatus.CONCLUDED: ["submit", "approve", "start", "complete", "conclude"],
    ExperimentStatus.KILLED: ["submit", "approve", "start", "kill"],
}


def demo_is_loaded() -> bool:
    return User.objects.filter(username="cmo").exists()


@transaction.atomic
def seed_demo(*, out=print) -> bool:
    """Load the demo organisation into an empty database. Returns False if it was already there."""
    if demo_is_loaded():
        return False
    rng = random.Random(20261123)
    users = _users()
    cmo = users["cmo"]
    teams = _teams(users)
    metrics = {
        key: Metric.objects.create(key=key, name=name, kind=kind, direction=direction, unit=unit)
        for key, name, kind, direction, unit in METRICS
    }
    segments = _segments(teams, rng)
    objectives = _objectives(cmo)
    hypotheses = _hypotheses(users, metrics, segments, objectives, rng)
    _experiments(users, hypotheses, metrics, rng)
    _backlog_activity(users, rng)
    out(
        f"Loaded {User.objects.count()} users, {Objective.objects.count()} objectives, "
        f"{Segment.objects.count()} segments, {Metric.objects.count()} metrics, "
        f"{Hypothesis.objects.count()} hypotheses, {Experiment.objects.count()} experiments."
    )
    return True


def _users() -> dict[str, User]:
    users = {}
    for username, first, last, role in DEMO_USERS:
        user = User.objects.create_user(
            username=username,
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            email=f"{username}@example.com",
            role=role,
            is_staff=username == "admin",
            is_superuser=username == "admin",
            is_demo=True,
        )
        users[username] = user
    OperatorProfile.objects.create(
        user=users["operator"],
        channels=[Channel.WEB, Channel.EMAIL, Channel.PAID, Channel.SEO, Channel.LIFECYCLE],
        specialities=["pricing and checkout tests", "sequential testing"],
        capacity=8,
    )
    OperatorProfile.objects.create(
        user=users["operator2"],
        channels=[Channel.CONTENT, Channel.SOCIAL, Channel.EMAIL, Channel.WEB],
        specialities=["lifecycle messaging", "CUPED and variance reduction"],
        capacity=8,
    )
    return users


def _teams(users) -> dict[str, Team]:
    teams = {}
    for name, members in [
        ("SMB tiger team", ["operator", "marketer"]),
        ("Mid-market tiger team", ["operator2", "marketer", "analyst"]),
        ("Enterprise tiger team", ["operator2"]),
    ]:
        team = Team.objects.create(name=name)
        team.members.set([users[m] for m in members])
        teams[name] = team
    return teams


def _segments(teams, rng) -> dict[str, Segment]:
    segments: dict[str, Segment] = {}
    today = timezone.localdate()
    for name, parent, team, reach in SEGMENTS:
        segment = Segment.objects.create(
            name=name,
            parent=segments.get(parent),
            owner_team=teams[team],
            monthly_reach=reach,
            definition=f"Accounts in the {name} audience"
            + (f", within {parent}" if parent else "")
            + ".",
            launched_on=today - dt.timedelta(days=rng.randint(200, 700)),
        )
        segments[name] = segment
        for months_ago in (3, 2, 1):
            start = (today.replace(day=1) - dt.timedelta(days=30 * months_ago)).replace(day=1)
            customers = max(5, int(reach * rng.uniform(0.004, 0.012)))
            cac = Decimal(rng.randint(120, 900))
            SegmentEconomics.objects.create(
                segment=segment,
                period_start=start,
                period_end=start + dt.timedelta(days=27),
                customers_acquired=customers,
                acquisition_cost=cac * customers,
                customer_value=(cac * Decimal(rng.uniform(1.5, 4.5))).quantize(Decimal("1"))
                * customers,
            )
    return segments


def _objectives(cmo) -> list[Objective]:
    year_end = dt.date(timezone.localdate().year + 1, 12, 31)
    return [
        Objective.objects.create(
            name="Grow net new ARR",
            kpi="Net new ARR",
            unit=Objective.Unit.CURRENCY,
            baseline=Decimal("12000000"),
            target=Decimal("15000000"),
            target_date=year_end,
            owner=cmo,
            description="Add €3M of net new annual recurring revenue through self-serve and sales-assisted growth.",
        ),
        Objective.objects.create(
            name="Win more paying customers",
            kpi="New paying customers per year",
            unit=Objective.Unit.COUNT,
            baseline=Decimal("4000"),
            target=Decimal("5500"),
            target_date=year_end,
            owner=cmo,
            description="Impact here is counted in customers: each extra conversion is worth 1.",
        ),
        Objective.objects.create(
            name="Grow self-serve expansion revenue",
            kpi="Expansion revenue",
            unit=Objective.Unit.CURRENCY,
            baseline=Decimal("1800000"),
            target=Decimal("2400000"),
            target_date=year_end,
            owner=cmo,
        ),
    ]


def _hypotheses(users, metrics, segments, objectives, rng) -> list[Hypothesis]:
    authors = [
        users["marketer"],
        users["operator"],
        users["operator2"],
        users["cmo"],
        users["analyst"],
    ]
    segment_list = list(segments.values())
    hypotheses = []
    for i in range(40):
        title, observation, change, effect, metric_key, channel = IDEAS[i % len(IDEAS)]
        segment = segment_list[(i * 5) % len(segment_list)]
        variation = "" if i < len(IDEAS) else f" ({segment.name})"
        rice = rng.random() < 0.4
        hypothesis = hypothesis_create(
            actor=authors[i % len(authors)],
            title=f"{title}{variation}"[:200],
            observation=observation,
            change=change,
            effect=effect,
            metric=metrics[metric_key],
            expected_mde=rng.choice([0.03, 0.05, 0.08, 0.1, 0.15]),
            channel=channel,
            objective=objectives[i % len(objectives)],
            segment=segment,
            impact=rng.randint(3, 10),
            confidence=rng.randint(2, 9),
            ease=rng.randint(2, 10),
            reach=rng.randint(1_000, 40_000) if rice else None,
            effort=rng.choice([0.5, 1, 2, 4]) if rice else None,
        )
        hypotheses.append(hypothesis)
    # Triage most of them: the rest stay "new" for the backlog review.
    for i, hypothesis in enumerate(hypotheses[:34]):
        status = Hypothesis.Status.REJECTED if i % 11 == 10 else Hypothesis.Status.BACKLOG
        hypothesis_triage(hypothesis_id=hypothesis.pk, actor=users["operator"], status=status)
    testable = Hypothesis.objects.filter(pk__in=[h.pk for h in hypotheses]).exclude(
        status__in=[Hypothesis.Status.REJECTED, Hypothesis.Status.NEW]
    )
    return list(testable.order_by("pk"))


HYPOTHESIS_COMMENTS = [
    ("marketer", "Sales hear this objection on most calls; happy to share the call notes."),
    ("operator", "Worth testing, but the segment's traffic limits us to one variant."),
    ("cmo", "Keep this near the top: it serves this year's main objective."),
    ("analyst", "Tracking for this metric is reliable since the September fix."),
    ("operator2", "Similar to an idea we tried last year; see the concluded experiments."),
]


def _backlog_activity(users, rng) -> None:
    """Operators re-score part of the backlog, two ideas are rejected with a reason, people comment."""
    hypotheses = list(Hypothesis.objects.order_by("pk"))
    for i, hypothesis in enumerate(hypotheses):
        if hypothesis.status in (Hypothesis.Status.BACKLOG, Hypothesis.Status.IN_TEST) and i % 3:
            hypothesis_score(
                hypothesis_id=hypothesis.pk,
                actor=users["operator" if i % 2 else "operator2"],
                impact=max(1, min(10, hypothesis.impact + rng.choice([-2, -1, 0, 1]))),
                confidence=max(1, min(10, hypothesis.confidence + rng.choice([-1, 0, 1, 2]))),
                ease=hypothesis.ease,
                reach=hypothesis.reach,
                effort=hypothesis.effort,
            )
    backlog = [h for h in hypotheses if h.status == Hypothesis.Status.BACKLOG]
    for hypothesis, reason in zip(
        backlog[-2:],
        [
            "Duplicates the pricing-page test already in the backlog.",
            "Too little traffic in this segment to detect the expected effect.",
        ],
        strict=False,
    ):
        hypothesis_triage(
            hypothesis_id=hypothesis.pk,
            actor=users["operator"],
            status=Hypothesis.Status.REJECTED,
            reason=reason,
        )
    for i, hypothesis in enumerate(hypotheses[:12]):
        for author, body in HYPOTHESIS_COMMENTS[i % 3 : i % 3 + 1 + i % 2]:
            comment_create(actor=users[author], hypothesis=hypothesis, body=body)
    for experiment in Experiment.objects.order_by("pk")[:6]:
        comment_create(
            actor=users["marketer"],
            experiment=experiment,
            body="Is the variant copy final? The segment team would like to review it.",
        )


def _experiments(users, hypotheses, metrics, rng) -> None:
    cmo = users["cmo"]
    now = timezone.now()
    guardrail = metrics["unsubscribe_rate"]
    for index, (target, owner_name) in enumerate(EXPERIMENT_PLAN):
        owner = users[owner_name]
        hypothesis = hypotheses[index]
        metric = hypothesis.metric
        binomial = metric.kind == Metric.Kind.BINOMIAL
        baseline = (
            rng.choice([0.04, 0.06, 0.12, 0.18]) if binomial else rng.choice([2.5, 8.0, 14.0])
        )
        three_arms = index % 5 == 3
        variants = [{"key": "control", "name": "Control", "is_control": True, "weight": 0.5}]
        if three_arms:
            variants = [
                {"key": "control", "name": "Control", "is_control": True, "weight": 0.34},
                {"key": "b", "name": "Variant B", "is_control": False, "weight": 0.33},
                {"key": "c", "name": "Variant C", "is_control": False, "weight": 0.33},
            ]
        else:
            variants.append({"key": "b", "name": "Variant B", "is_control": False, "weight": 0.5})
        experiment = experiment_create(
            actor=owner,
            hypothesis=hypothesis,
            name=hypothesis.title[:200],
            key=f"exp-{index + 1:02d}-{hypothesis.metric.key.replace('_', '-')}",
            baseline=baseline,
            baseline_sd=None if binomial else baseline * 1.8,
            mde=hypothesis.expected_mde,
            # At most half of the segment's people a day, as a segment team would allow.
            daily_traffic=min(
                rng.choice([1_500, 4_000, 9_000, 20_000]),
                hypothesis.segment.monthly_reach // 60,
            ),
            method=AnalysisMethod.values[index % 3],
            sequential_tau=0.05 if index % 3 == 2 else None,
            correction="holm" if three_arms else "none",
            reach_per_year=hypothesis.segment.monthly_reach * 12,
            # In the objective's unit: euros for revenue objectives, one customer for the count one.
            value_per_conversion=Decimal(1)
            if hypothesis.objective.unit == Objective.Unit.COUNT
            else Decimal(rng.choice([40, 120, 300, 900])),
            executed_by=Experiment.ExecutedBy.AGENCY
            if index % 6 == 5
            else Experiment.ExecutedBy.IN_HOUSE,
            agency_name="Northwind Growth Partners" if index % 6 == 5 else "",
            variants=variants,
        )
        if metric != guardrail:
            experiment.guardrail_metrics.add(guardrail)
        # Completing and deciding come after the results are in (they read the decision
        # rule's verdict and the sample reached): see finish_demo_decisions.
        steps = [step for step in PATH_TO[target] if step not in AFTER_THE_RESULTS]
        _walk(experiment, steps, owner=owner, cmo=cmo, index=index)
        _backdate(experiment, now, days_ago=_days_ago(index))


def _days_ago(index: int) -> int:
    return 12 + (len(EXPERIMENT_PLAN) - index) * 6


# The steps the demo takes once the result data is loaded.
AFTER_THE_RESULTS = ("complete", "conclude", "kill")


@transaction.atomic
def finish_demo_decisions() -> int:
    """Complete the demo experiments meant to end completed, and take the CMO's final decisions
    on those meant to end concluded or killed.

    Runs after their result data is loaded: completing and concluding read the decision rule's
    verdict, and data is no longer accepted once decided.
    """
    users = {
        u.username: u for u in User.objects.filter(username__in=["cmo", "operator", "operator2"])
    }
    now, done = timezone.now(), 0
    for index, (target, owner_name) in enumerate(EXPERIMENT_PLAN):
        if target not in (ExperimentStatus.COMPLETED, *DECIDED):
            continue
        experiment = Experiment.objects.filter(key__startswith=f"exp-{index + 1:02d}-").first()
        if experiment is None or experiment.status == target:
            continue
        steps = [step for step in PATH_TO[target] if step in AFTER_THE_RESULTS]
        _walk(experiment, steps, owner=users[owner_name], cmo=users["cmo"], index=index)
        _backdate(experiment, now, days_ago=_days_ago(index))
        done += 1
    return done


def _walk(experiment: Experiment, steps: list[str], *, owner, cmo, index: int) -> None:
    outcomes = [
        (Decision.SCALE, Outcome.WON),
        (Decision.ITERATE, Outcome.INCONCLUSIVE),
        (Decision.ABANDON, Outcome.LOST),
    ]
    decision, outcome = outcomes[index % 3]
    inputs = {
        "submit": {"note": "Ready for review."},
        "approve": {"note": "Good design; go."},
        "start": {},
        "pause": {"note": "Paused during the pricing change."},
        # Some demo tests end before their planned sample, and the CMO sometimes decides
        # against the rule's verdict: each such call carries its reason, which the lifecycle
        # keeps only where the call goes against the plan.
        "complete": {
            "analysis": "Stopped at the end of the campaign window; see results.",
            "recommendation": decision,
            "override_reason": "The campaign window closed before the planned sample.",
        },
        "conclude": {
            "decision": decision,
            "outcome": outcome,
            "learnings": "Effect matched the forecast for this segment."
            if outcome == Outcome.WON
            else "No reliable effect; the segment is too small for this change.",
            "override_reason": "Sales interviews back the decision beyond what the data shows.",
        },
        "kill": {
            "reason": KillReason.BROKEN_SETUP,
            "note": "Tracking dropped half of the variant's events.",
        },
    }
    for step in steps:
        # The capability table says who takes each step: the owner, or else the CMO.
        actor = owner if can(owner, STEP_ABILITIES[step], experiment) else cmo
        lifecycle.STEP_SERVICES[step](experiment_id=experiment.pk, actor=actor, **inputs[step])


def _backdate(experiment: Experiment, now, *, days_ago: int) -> None:
    """Spread the audit trail over the past weeks so timelines and cycle times look real."""
    changes = list(experiment.status_changes.order_by("id"))
    start = now - dt.timedelta(days=days_ago)
    Experiment.objects.filter(pk=experiment.pk).update(created_at=start)
    for i, change in enumerate(changes):
        # A week more after the start: the tests run past their minimum run time (one week).
        after_start = 4 if i >= 3 else 0
        when = start + dt.timedelta(days=2 + i * 4 + after_start, hours=i)
        when = min(when, now - dt.timedelta(hours=1))
        StatusChange.objects.filter(pk=change.pk).update(created_at=when)
        if change.step == "start":
            Experiment.objects.filter(pk=experiment.pk).update(start_date=when.date())
        if change.step in ("complete", "kill") and experiment.start_date:
            Experiment.objects.filter(pk=experiment.pk).update(end_date=when.date())


@transaction.atomic
def seed_large(*, count: int = 5000, out=print) -> int:
    """Add ``count`` benchmark experiments (bulk inserted) unless they are there already."""
    existing = Experiment.objects.filter(key__startswith="bench-").count()
    missing = count - existing
    if missing <= 0:
        out(f"{existing} benchmark experiments already present.")
        return 0
    rng = random.Random(5000)
    owners = list(User.objects.filter(role=Role.OPERATOR))
    hypotheses = list(
        Hypothesis.objects.exclude(status__in=[Hypothesis.Status.REJECTED, Hypothesis.Status.NEW])
    )
    statuses = ExperimentStatus.values
    today = timezone.localdate()
    experiments = []
    for i in range(existing, count):
        hypothesis = hypotheses[i % len(hypotheses)]
        status = statuses[i % len(statuses)]
        started = status not in NOT_STARTED
        experiments.append(
            Experiment(
                name=f"{hypothesis.title[:150]} #{i + 1}",
                key=f"bench-{i + 1:05d}",
                hypothesis=hypothesis,
                objective_id=hypothesis.objective_id,
                segment_id=hypothesis.segment_id,
                owner=owners[i % len(owners)],
                primary_metric_id=hypothesis.metric_id,
                baseline=0.05 + rng.random() * 0.1,
                mde=0.05,
                daily_traffic=5000,
                status=status,
                start_date=today - dt.timedelta(days=rng.randint(5, 60)) if started else None,
            )
        )
    created = Experiment.objects.bulk_create(experiments, batch_size=1000)
    Variant.objects.bulk_create(
        [
            Variant(
                experiment=e, key=key, name=key.title(), is_control=key == "control", weight=0.5
            )
            for e in created
            for key in ("control", "b")
        ],
        batch_size=2000,
    )
    out(f"Added {len(created)} benchmark experiments.")
    return len(created)
