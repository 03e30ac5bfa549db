"""The demo's ideas: forty hypotheses logged by everyone, triaged, re-scored and discussed."""

import datetime as dt
import random

from django.utils import timezone

from experiments.models import Experiment, Hypothesis
from experiments.services import (
    comment_create,
    hypothesis_create,
    hypothesis_score,
    hypothesis_triage,
)
from roles.models import Channel

from .organisation import Organisation
from .walk import backdate_idea

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
IDEA_COUNT = 40
# Triaged at once: the rest stay "new" for the backlog review.
TRIAGED_COUNT = 34

HYPOTHESIS_COMMENTS = [
    ("marketer", "Sales hear this objection on most calls; happy to share the call notes."),
    ("operator", "Worth testing, but the segment's traffic limits us to one variant."),
    ("cmo", "Keep this near the top: it serves this year's main objective."),
    ("analyst", "Tracking for this metric is reliable since the September fix."),
    ("operator2", "Similar to an idea we tried last year; see the concluded experiments."),
]
REJECTIONS = [
    "Duplicates the pricing-page test already in the backlog.",
    "Too little traffic in this segment to detect the expected effect.",
]


def seed_ideas(org: Organisation, rng: random.Random) -> list[Hypothesis]:
    """Log the ideas, triage most of them; returns all of them, oldest first."""
    users = org.users
    authors = [users[name] for name in ("marketer", "operator", "operator2", "cmo", "analyst")]
    segment_list = list(org.segments.values())
    ideas = []
    for i in range(IDEA_COUNT):
        title, observation, change, effect, metric_key, channel = IDEAS[i % len(IDEAS)]
        segment = segment_list[(i * 5) % len(segment_list)]
        variation = "" if i < len(IDEAS) else f" ({segment.name})"
        rice = rng.random() < 0.4
        ideas.append(
            hypothesis_create(
                actor=authors[i % len(authors)],
                title=f"{title}{variation}"[:200],
                observation=observation,
                change=change,
                effect=effect,
                metric=org.metrics[metric_key],
                expected_mde=rng.choice([0.03, 0.05, 0.08, 0.1, 0.15]),
                channel=channel,
                objective=org.objectives[i % len(org.objectives)],
                segment=segment,
                impact=rng.randint(3, 10),
                confidence=rng.randint(2, 9),
                ease=rng.randint(2, 10),
                reach=rng.randint(1_000, 40_000) if rice else None,
                effort=rng.choice([0.5, 1, 2, 4]) if rice else None,
            )
        )
    for i, idea in enumerate(ideas[:TRIAGED_COUNT]):
        status = Hypothesis.Status.REJECTED if i % 11 == 10 else Hypothesis.Status.BACKLOG
        hypothesis_triage(hypothesis_id=idea.pk, actor=users["operator"], status=status)
    return ideas


def testable(ideas: list[Hypothesis]) -> list[Hypothesis]:
    """The ideas triaged into the backlog, oldest first."""
    return list(
        Hypothesis.objects.filter(
            pk__in=[idea.pk for idea in ideas], status=Hypothesis.Status.BACKLOG
        ).order_by("pk")
    )


def seed_backlog_activity(
    org: Organisation, ideas: list[Hypothesis], experiments: list[Experiment], rng
) -> None:
    """Operators re-score part of the backlog, two ideas are rejected with a reason, people
    comment on ideas and on the first experiments."""
    users = org.users
    ideas = list(Hypothesis.objects.filter(pk__in=[i.pk for i in ideas]).order_by("pk"))
    for i, idea in enumerate(ideas):
        if idea.status in (Hypothesis.Status.BACKLOG, Hypothesis.Status.IN_TEST) and i % 3:
            hypothesis_score(
                hypothesis_id=idea.pk,
                actor=users["operator" if i % 2 else "operator2"],
                impact=max(1, min(10, idea.impact + rng.choice([-2, -1, 0, 1]))),
                confidence=max(1, min(10, idea.confidence + rng.choice([-1, 0, 1, 2]))),
                ease=idea.ease,
                reach=idea.reach,
                effort=idea.effort,
            )
    backlog = [idea for idea in ideas if idea.status == Hypothesis.Status.BACKLOG]
    for idea, reason in zip(backlog[-len(REJECTIONS) :], REJECTIONS, strict=True):
        hypothesis_triage(
            hypothesis_id=idea.pk,
            actor=users["operator"],
            status=Hypothesis.Status.REJECTED,
            reason=reason,
        )
    for i, idea in enumerate(ideas[:12]):
        for author, body in HYPOTHESIS_COMMENTS[i % 3 : i % 3 + 1 + i % 2]:
            comment_create(actor=users[author], hypothesis=idea, body=body)
    for experiment in experiments[:6]:
        comment_create(
            actor=users["marketer"],
            experiment=experiment,
            body="Is the variant copy final? The segment team would like to review it.",
        )


def retime_ideas(hypothesis_ids, rng) -> None:
    """Give each of these ideas a believable wait: logged some days before it was triaged,
    and triaged before its first experiment was drafted; the untriaged ones were logged in
    the past fortnight."""
    now = timezone.now()
    first_drafts: dict[int, dt.datetime] = {}
    for hypothesis_id, created in (
        Experiment.objects.filter(hypothesis_id__in=hypothesis_ids)
        .order_by("created_at")
        .values_list("hypothesis_id", "created_at")
    ):
        first_drafts.setdefault(hypothesis_id, created)
    ideas = Hypothesis.objects.filter(pk__in=hypothesis_ids).order_by("pk")
    for idea in ideas.filter(triaged_at__isnull=False):
        anchor = first_drafts.get(idea.pk, now - dt.timedelta(days=rng.randint(2, 20)))
        triaged = anchor - dt.timedelta(days=rng.randint(1, 12), hours=3)
        logged = triaged - dt.timedelta(days=rng.randint(1, 9))
        backdate_idea(idea.pk, logged=logged, triaged=triaged)
    for idea in ideas.filter(status=Hypothesis.Status.NEW):
        backdate_idea(idea.pk, logged=now - dt.timedelta(days=rng.randint(1, 15)))
