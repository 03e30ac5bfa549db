"""The demo organisation: its people, teams, metrics, segments and objectives."""

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from analytics.ingest.economics import economics_ingest
from experiments.models import Metric, Objective, Segment
from experiments.services import objective_create
from experiments.teams import operator_profile_create, team_create
from roles.backends import DEMO_PASSWORD
from roles.models import Channel, Partner, Role, Team, User
from roles.partners import partner_create

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

# The agency partners the CMO works with, and one sign-in for each (README, demo users).
PARTNERS = [
    # name, contract start, monthly fee, media billing, markup %, contact, username, first, last
    ("Northwind Growth Partners", dt.date(2025, 6, 1), Decimal("6500"), "marked_up",
     Decimal("12"), "Nora Lind", "northwind", "Nils", "Berg"),
    ("Brightline Digital", dt.date(2025, 9, 1), Decimal("2800"), "pass_through", None,
     "Ben Hart", "brightline", "Bea", "Hale"),
]  # fmt: skip

TEAMS = [
    ("SMB tiger team", ["operator", "marketer"]),
    ("Mid-market tiger team", ["operator2", "marketer", "analyst"]),
    ("Enterprise tiger team", ["operator2"]),
]


@dataclass(frozen=True)
class Organisation:
    """What the rest of the demo builds on, by name."""

    users: dict[str, User]
    partners: dict[str, Partner]
    metrics: dict[str, Metric]
    segments: dict[str, Segment]
    objectives: list[Objective]

    @property
    def cmo(self) -> User:
        return self.users["cmo"]


def demo_is_loaded() -> bool:
    return User.objects.filter(username="cmo").exists()


def seed_organisation(rng: random.Random) -> Organisation:
    users = _users()
    partners = _partners(users)
    teams = _teams(users)
    metrics = {
        key: Metric.objects.create(key=key, name=name, kind=kind, direction=direction, unit=unit)
        for key, name, kind, direction, unit in METRICS
    }
    return Organisation(
        users=users,
        partners=partners,
        metrics=metrics,
        segments=_segments(teams, rng, users["analyst"]),
        objectives=_objectives(users["cmo"]),
    )


def _users() -> dict[str, User]:
    # One hash for all: each costs half a second, and the password is published anyway.
    password = make_password(DEMO_PASSWORD)
    users = {
        username: User.objects.create(
            username=username,
            password=password,
            first_name=first,
            last_name=last,
            email=f"{username}@example.com",
            role=role,
            is_staff=username == "admin",
            is_superuser=username == "admin",
            is_demo=True,
        )
        for username, first, last, role in DEMO_USERS
    }
    # The CMO sets the operators' profiles up as on the team page (audited).
    operator_profile_create(
        actor=users["cmo"],
        user=users["operator"],
        channels=[Channel.WEB, Channel.EMAIL, Channel.PAID, Channel.SEO, Channel.LIFECYCLE],
        specialities=["pricing and checkout tests", "sequential testing"],
        capacity=8,
    )
    operator_profile_create(
        actor=users["cmo"],
        user=users["operator2"],
        channels=[Channel.CONTENT, Channel.SOCIAL, Channel.EMAIL, Channel.WEB],
        specialities=["lifecycle messaging", "CUPED and variance reduction"],
        capacity=8,
    )
    return users


def _partners(users) -> dict[str, Partner]:
    """The CMO adds each partner (audited, as on the partners page) and one of its people."""
    partners = {}
    password = make_password(DEMO_PASSWORD)
    for name, start, fee, billing, markup, contact, username, first, last in PARTNERS:
        partner = partner_create(
            actor=users["cmo"],
            name=name,
            contract_start=start,
            monthly_fee=fee,
            media_billing=billing,
            media_markup=markup,
            contact_name=contact,
            contact_email=f"{contact.split()[0].lower()}@{name.split()[0].lower()}.example.com",
        )
        users[username] = User.objects.create(
            username=username,
            password=password,
            first_name=first,
            last_name=last,
            email=f"{username}@example.com",
            role=Role.PARTNER,
            partner=partner,
            is_demo=True,
        )
        partners[name] = partner
    return partners


def _teams(users) -> dict[str, Team]:
    teams = {}
    for name, members in TEAMS:
        teams[name] = team_create(
            actor=users["cmo"], name=name, members=[users[m] for m in members]
        )
    return teams


def _segments(teams, rng, analyst) -> dict[str, Segment]:
    """The segment tree, launched between seven and two years ago, with three months of
    economics each."""
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
        rows = []
        for months_ago in (3, 2, 1):
            start = (today.replace(day=1) - dt.timedelta(days=30 * months_ago)).replace(day=1)
            customers = max(5, int(reach * rng.uniform(0.004, 0.012)))
            cac = Decimal(rng.randint(120, 900))
            value = (cac * Decimal(rng.uniform(1.5, 4.5))).quantize(Decimal("1")) * customers
            rows.append(
                {
                    "period_start": start.isoformat(),
                    "period_end": (start + dt.timedelta(days=27)).isoformat(),
                    "customers_acquired": customers,
                    "acquisition_cost": str(cac * customers),
                    "customer_value": str(value),
                }
            )
        # The analyst uploads them, as from the segment page.
        economics_ingest(segment_id=segment.pk, actor=analyst, rows=rows)
    return segments


OBJECTIVES = [
    {
        "name": "Grow net new ARR",
        "kpi": "Net new ARR",
        "unit": Objective.Unit.CURRENCY,
        "baseline": Decimal("12000000"),
        "target": Decimal("15000000"),
        "description": "Add €3M of net new annual recurring revenue through self-serve and "
        "sales-assisted growth.",
    },
    {
        "name": "Win more paying customers",
        "kpi": "New paying customers per year",
        "unit": Objective.Unit.COUNT,
        "baseline": Decimal("4000"),
        "target": Decimal("5500"),
        "description": "Impact here is counted in customers: each extra conversion is worth 1.",
    },
    {
        "name": "Grow self-serve expansion revenue",
        "kpi": "Expansion revenue",
        "unit": Objective.Unit.CURRENCY,
        "baseline": Decimal("1800000"),
        "target": Decimal("2400000"),
    },
]


def _objectives(cmo) -> list[Objective]:
    year_end = dt.date(timezone.localdate().year + 1, 12, 31)
    return [objective_create(actor=cmo, target_date=year_end, **fields) for fields in OBJECTIVES]
