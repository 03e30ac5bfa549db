"""Who may do what: the one capability table, and the checks that read it.

Each ability names the roles that hold it and, for abilities on an object with an owner,
how ownership matters: ``OWNER_ONLY`` (operators run the experiments they own) or
``NOT_OWNER`` (the CMO never approves an experiment they own). Views, the API permission
class, admin actions and services all ask :func:`can` / :func:`require`; nothing else decides.
"""

from dataclasses import dataclass
from enum import Enum

from growthops.errors import NotPermitted

from .models import Partner, Role


class Ownership(Enum):
    ANY = "any"
    OWNER_ONLY = "owner_only"
    NOT_OWNER = "not_owner"


@dataclass(frozen=True)
class Ability:
    roles: frozenset[str]
    ownership: Ownership = Ownership.ANY
    description: str = ""
    owner_only_roles: frozenset[str] = (
        frozenset()
    )  # roles that may use it on their own objects only

    def ownership_for(self, role: str) -> Ownership:
        return Ownership.OWNER_ONLY if role in self.owner_only_roles else self.ownership


def _ability(
    *roles: str, ownership: Ownership = Ownership.ANY, description: str = "", owner_only_for=()
) -> Ability:
    return Ability(frozenset(roles), ownership, description, frozenset(owner_only_for))


EVERYONE = (Role.CMO, Role.OPERATOR, Role.MARKETER, Role.ANALYST)
# An agency partner's people: their partner's experiments only (see ``refusal``).
PARTNER = Role.PARTNER

CAPABILITIES: dict[str, Ability] = {
    # Objectives and segments: the CMO's strategy.
    "objectives.manage": _ability(Role.CMO, description="create and edit objectives and targets"),
    "segments.manage": _ability(Role.CMO, description="launch and sunset segments"),
    "objectives.measure": _ability(
        Role.CMO, Role.ANALYST, description="record an objective's measured KPI"
    ),
    "segments.economics": _ability(
        *EVERYONE,
        owner_only_for=[Role.CMO, Role.OPERATOR, Role.MARKETER],
        description="upload a segment's economics (analysts, or the segment's team)",
    ),
    "teams.manage": _ability(Role.CMO, description="create and edit teams and operators' profiles"),
    "partners.manage": _ability(
        Role.CMO, description="add and edit agency partners and their users"
    ),
    "partners.scorecard": _ability(
        Role.CMO, PARTNER, description="read an agency partner's scorecard (a partner: its own)"
    ),
    "holdouts.manage": _ability(Role.CMO, description="keep a programme holdout"),
    "holdouts.data": _ability(
        Role.CMO, Role.ANALYST, description="upload a programme holdout's data"
    ),
    # Hypotheses: everyone logs; operators and the CMO triage and score.
    "hypotheses.create": _ability(*EVERYONE, PARTNER, description="log a hypothesis"),
    "hypotheses.triage": _ability(
        Role.CMO, Role.OPERATOR, description="move to backlog, reject, and score hypotheses"
    ),
    "hypotheses.follow_own": _ability(
        Role.MARKETER, description="follow the ideas they logged from the home page"
    ),
    # Experiments: operators design and run their own; the CMO reviews and decides.
    "experiments.create": _ability(Role.OPERATOR, PARTNER, description="design a new experiment"),
    "experiments.design": _ability(
        Role.OPERATOR,
        PARTNER,
        ownership=Ownership.OWNER_ONLY,
        description="edit and submit the design",
    ),
    "experiments.run": _ability(
        Role.OPERATOR,
        PARTNER,
        ownership=Ownership.OWNER_ONLY,
        description="start, pause, resume, complete",
    ),
    "experiments.review": _ability(
        Role.CMO, ownership=Ownership.NOT_OWNER, description="approve or send back"
    ),
    "experiments.kill": _ability(Role.CMO, description="kill an experiment"),
    "experiments.conclude": _ability(Role.CMO, description="record the final decision"),
    "templates.manage": _ability(
        Role.CMO, Role.OPERATOR, description="create and edit test templates (protocols)"
    ),
    "experiments.cost": _ability(
        Role.CMO,
        Role.OPERATOR,
        owner_only_for=[Role.OPERATOR],
        description="record what an experiment cost",
    ),
    # Data and reading.
    "data.upload": _ability(
        Role.ANALYST,
        Role.OPERATOR,
        PARTNER,
        owner_only_for=[Role.OPERATOR, PARTNER],
        description="upload or stream result data",
    ),
    "results.read": _ability(*EVERYONE, description="read experiments, results and roll-ups"),
    # What a partner may read too: experiments, their data and results, and the objectives,
    # segments and hypotheses they serve, scoped to its own by the selectors.
    "experiments.read": _ability(
        *EVERYONE, PARTNER, description="read experiments, their data and results"
    ),
    "experiments.all_partners": _ability(
        *EVERYONE,
        description="read and design the in-house team's and every agency partner's experiments",
    ),
    "results.acknowledge_srm": _ability(
        Role.CMO,
        Role.OPERATOR,
        PARTNER,
        owner_only_for=[Role.OPERATOR, PARTNER],
        description="acknowledge a sample-ratio mismatch and read the results anyway",
    ),
    "experiments.share": _ability(
        Role.CMO,
        Role.OPERATOR,
        PARTNER,
        owner_only_for=[Role.OPERATOR, PARTNER],
        description="share an experiment's read-out by link and revoke the link",
    ),
    "postmortems.write": _ability(
        Role.CMO,
        Role.OPERATOR,
        owner_only_for=[Role.OPERATOR],
        description="write an experiment's post-mortem and its actions",
    ),
    "postmortems.oversee": _ability(
        Role.CMO, description="follow every overdue post-mortem and action in the programme"
    ),
    "comments.create": _ability(
        *EVERYONE, PARTNER, description="comment on hypotheses and experiments"
    ),
    "webhooks.manage": _ability(Role.CMO, description="register webhooks and see their deliveries"),
    "tokens.manage": _ability(
        *EVERYONE, PARTNER, description="create and revoke their own service tokens"
    ),
    # Warehouse-native metrics (docs/warehouse.md).
    "warehouse.sources": _ability(
        Role.CMO, Role.ANALYST, description="add and edit data sources and test their connection"
    ),
    "metrics.define": _ability(
        Role.CMO, Role.ANALYST, description="create and edit metrics and their SQL definitions"
    ),
    "metrics.official": _ability(Role.CMO, description="mark a metric's version official"),
    "warehouse.refresh": _ability(
        Role.CMO,
        Role.ANALYST,
        Role.OPERATOR,
        owner_only_for=[Role.OPERATOR],
        description="set an experiment's exposure source and refresh it from the warehouse",
    ),
    "reports.build": _ability(
        Role.CMO, Role.ANALYST, description="build the board pack (monthly or quarterly report)"
    ),
}

# Each lifecycle step and the ability it needs (the transitions themselves live in
# experiments.lifecycle; this is only the "who").
STEP_ABILITIES: dict[str, str] = {
    "submit": "experiments.design",
    "approve": "experiments.review",
    "request_changes": "experiments.review",
    "start": "experiments.run",
    "pause": "experiments.run",
    "resume": "experiments.run",
    "complete": "experiments.run",
    "conclude": "experiments.conclude",
    "kill": "experiments.kill",
}


def can(user, ability: str, obj=None) -> bool:
    """Whether ``user`` holds ``ability`` (on ``obj``, whose ``owner_id`` decides ownership)."""
    return refusal(user, ability, obj) is None


def require(user, ability: str, obj=None) -> None:
    """Raise :class:`NotPermitted` with the reason when ``user`` lacks ``ability``."""
    reason = refusal(user, ability, obj)
    if reason is not None:
        raise NotPermitted(reason)


def refusal(user, ability: str, obj=None) -> str | None:
    """The human reason ``user`` may not use ``ability``, or None when they may."""
    spec = CAPABILITIES[ability]  # a KeyError here is a typo in the caller, not a refusal
    if user is None or not user.is_authenticated or not user.is_active:
        return "Sign in first."
    if user.role not in spec.roles:
        who = ", ".join(Role(r).label for r in sorted(spec.roles))
        return f"Only {who} may {spec.description or ability}."
    if user.role == Role.PARTNER:
        return _partner_refusal(user, spec, ability, obj)
    ownership = spec.ownership_for(user.role)
    if obj is not None and ownership is not Ownership.ANY:
        members = getattr(obj, "member_ids", None)  # an object a team owns (a segment)
        is_owner = (
            user.pk in members if members is not None else getattr(obj, "owner_id", None) == user.pk
        )
        if ownership is Ownership.OWNER_ONLY and not is_owner:
            owner = f"members of {obj.owner_team}" if members is not None else None
            owner = owner or f"the owner ({obj.owner})"
            return f"Only {owner} may {spec.description or ability}."
        if ownership is Ownership.NOT_OWNER and is_owner:
            return f"You own this experiment, so someone else must {spec.description or ability}."
    return None


def partner_of(obj):
    """The agency partner id an object belongs to (an experiment's, or the experiment's of a
    share, a post-mortem, a result…), ``None`` for the in-house team's; ``NO_PARTNER_FIELD``
    for an object outside any experiment (a segment, an objective)."""
    if isinstance(obj, Partner):
        return obj.pk
    if hasattr(obj, "partner_id") and hasattr(obj, "executed_by"):
        return obj.partner_id
    experiment = getattr(obj, "experiment", None)
    if experiment is not None and hasattr(experiment, "partner_id"):
        return experiment.partner_id
    return NO_PARTNER_FIELD


NO_PARTNER_FIELD = object()


def _partner_refusal(user, spec: Ability, ability: str, obj) -> str | None:
    """A partner's people act on their partner's experiments only; owning one is being that
    partner. An object outside any experiment is read only (writes need an experiment)."""
    if obj is None:
        return None
    partner_id = partner_of(obj)
    if partner_id is NO_PARTNER_FIELD:
        if spec.ownership_for(user.role) is Ownership.ANY:
            return None
        return f"Only the in-house team may {spec.description or ability}."
    if partner_id is None or partner_id != user.partner_id:
        if isinstance(obj, Partner):
            return f"Only the CMO and {obj}'s own people may {spec.description or ability}."
        return f"Only the experiment's own team may {spec.description or ability}."
    return None


def abilities_of(user) -> set[str]:
    """Every ability the user's role holds, ignoring ownership (for menus and buttons)."""
    if user is None or not user.is_authenticated:
        return set()
    return {name for name, spec in CAPABILITIES.items() if user.role in spec.roles}
