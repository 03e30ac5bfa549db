"""Teams, operators' profiles and capacity: the CMO's writes, and the capacity warning.

A team owns segments (``Segment.owner_team``), so its writes live here rather than in the
roles app, which may not import segments. Every write checks ``teams.manage``, validates all
its input first, writes in one transaction and leaves an ``AuditEntry`` (field → before,
after). Capacity is enforced where it matters without blocking: a design beyond it is refused
at creation (``services._check_capacity``); submitting or starting beyond it is allowed, with a
warning (:func:`capacity_warning`) on the page, in the API's ``warnings`` and on the approval
queue's card.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from growthops.errors import ValidationFailed
from roles.capabilities import require
from roles.models import AuditEntry, Channel, OperatorProfile, Role, Team, User
from roles.services import audit_record as audit
from roles.services import audited_save

from .models import OCCUPIES_OPERATOR, Experiment, Segment

MAX_SPECIALITIES = 20
MAX_SPECIALITY_LENGTH = 100


# --- teams ------------------------------------------------------------------------------


def team_create(*, actor, name: str, members=(), segments=()) -> Team:
    """A new team with its members and the segments it takes over from other teams."""
    require(actor, "teams.manage")
    return _team_save(actor=actor, team=Team(), name=name, members=members, segments=segments)


def team_update(*, team_id: int, actor, **fields) -> Team:
    """Change a team's ``name``, ``members`` or ``segments`` (those given; the rest stay).

    A segment the new list leaves out would have no team, so it is refused: give it to
    another team first (a segment always has one owner)."""
    require(actor, "teams.manage")
    unknown = sorted(set(fields) - {"name", "members", "segments"})
    if unknown:
        raise ValidationFailed({field: "Not a team field." for field in unknown})
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team_id)
        return _team_save(actor=actor, team=team, **fields)


def _team_save(*, actor, team: Team, name=None, members=None, segments=None) -> Team:
    creating = team.pk is None
    before = _team_state(team) if not creating else {"name": "", "members": [], "segments": []}
    problems = {}
    if name is not None:
        team.name = name.strip() if isinstance(name, str) else name
    if members is not None:
        problems.update(_member_problems(members))
    if segments is not None and not creating:
        left = sorted(s.name for s in team.segments.exclude(pk__in=[s.pk for s in segments]))
        if left:
            problems["segments"] = (
                f"{', '.join(left)} would have no team; give it to another team first."
            )

    def then():
        if members is not None:
            team.members.set(members)
        if segments:
            Segment.objects.filter(pk__in=[s.pk for s in segments]).update(owner_team=team)

    return audited_save(
        team,
        actor=actor,
        subject=AuditEntry.Subject.TEAM,
        before=before,
        state=_team_state,
        problems=problems,
        taken=("name", "A team with this name already exists."),
        then=then,
    )


def _member_problems(members) -> dict:
    without_role = sorted(u.username for u in members if not u.role or not u.is_active)
    if without_role:
        return {"members": f"{', '.join(without_role)} cannot be on a team (no role or inactive)."}
    return {}


def _team_state(team: Team) -> dict:
    return {
        "name": team.name,
        "members": sorted(team.members.values_list("username", flat=True)),
        "segments": sorted(team.segments.values_list("pk", flat=True)),
    }


# --- operators' profiles ----------------------------------------------------------------

PROFILE_FIELDS = ("channels", "specialities", "capacity")


def operator_profile_create(*, actor, user: User, **fields) -> OperatorProfile:
    """An operator's profile: channels across, specialities deep, capacity."""
    require(actor, "teams.manage")
    if user.role != Role.OPERATOR:
        raise ValidationFailed({"user": f"{user.username} is not a growth operator."})
    if OperatorProfile.objects.filter(user=user).exists():
        raise ValidationFailed({"user": f"{user.username} already has a profile; edit it."})
    return _profile_save(actor=actor, profile=OperatorProfile(user=user), **fields)


def operator_profile_update(*, profile_id: int, actor, **fields) -> OperatorProfile:
    require(actor, "teams.manage")
    with transaction.atomic():
        profile = OperatorProfile.objects.select_for_update().get(pk=profile_id)
        return _profile_save(actor=actor, profile=profile, **fields)


def _profile_save(*, actor, profile: OperatorProfile, **fields) -> OperatorProfile:
    unknown = sorted(set(fields) - set(PROFILE_FIELDS))
    if unknown:
        raise ValidationFailed({field: "Not a profile field." for field in unknown})
    creating = profile.pk is None
    before = {f: getattr(profile, f) for f in PROFILE_FIELDS}
    problems = _profile_problems(fields)
    if problems:
        raise ValidationFailed(problems)
    for field, value in fields.items():
        setattr(profile, field, value)
    if "specialities" in fields:
        profile.specialities = [s.strip() for s in profile.specialities]
    try:
        profile.full_clean(exclude=["user"])
    except ValidationError as exc:
        raise ValidationFailed(exc.message_dict) from exc
    with transaction.atomic():
        try:
            profile.save()
        except IntegrityError as exc:  # a second profile for the user, written meanwhile
            raise ValidationFailed({"user": "This operator already has a profile."}) from exc
        after = {f: getattr(profile, f) for f in PROFILE_FIELDS}
        changes = {f: [before[f], after[f]] for f in PROFILE_FIELDS if before[f] != after[f]}
        if changes or creating:
            audit(
                actor=actor,
                subject=AuditEntry.Subject.OPERATOR,
                subject_id=profile.pk,
                action="created" if creating else "updated",
                changes=changes,
            )
    return profile


def _profile_problems(fields: dict) -> dict:
    problems = {}
    channels = fields.get("channels")
    if channels is not None:
        if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
            problems["channels"] = "Send a list of channels."
        elif unknown := sorted(set(channels) - set(Channel.values)):
            problems["channels"] = (
                f"Unknown channel(s): {', '.join(unknown)}; known: {', '.join(Channel.values)}."
            )
        elif len(set(channels)) != len(channels):
            problems["channels"] = "A channel is named twice."
    specialities = fields.get("specialities")
    if specialities is not None:
        if not isinstance(specialities, list) or not all(
            isinstance(s, str) and s.strip() for s in specialities
        ):
            problems["specialities"] = "Send a list of non-empty texts."
        elif len(specialities) > MAX_SPECIALITIES:
            problems["specialities"] = f"At most {MAX_SPECIALITIES} specialities."
        elif any(len(s.strip()) > MAX_SPECIALITY_LENGTH for s in specialities):
            problems["specialities"] = f"Each at most {MAX_SPECIALITY_LENGTH} characters."
    capacity = fields.get("capacity")
    if "capacity" in fields and (
        isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= 100
    ):
        problems["capacity"] = "A whole number of experiments from 1 to 100."
    return problems


# --- capacity ---------------------------------------------------------------------------


def capacity_load(owner_ids) -> dict[int, tuple[int, int]]:
    """Each operator's (experiments owned now, capacity), for those with a profile (two
    queries for any number of operators)."""
    capacities = dict(
        OperatorProfile.objects.filter(user_id__in=owner_ids).values_list("user_id", "capacity")
    )
    owned = dict.fromkeys(capacities, 0)
    rows = (
        Experiment.objects.filter(owner_id__in=capacities, status__in=OCCUPIES_OPERATOR)
        .values_list("owner_id")
        .order_by()
    )
    for (owner_id,) in rows:
        owned[owner_id] += 1
    return {pk: (owned[pk], capacities[pk]) for pk in capacities}


def capacity_warning(owner) -> str | None:
    """A warning when ``owner`` owns more experiments than their capacity, else None."""
    owned, capacity = capacity_load([owner.pk]).get(owner.pk, (0, None))
    if capacity is None or owned <= capacity:
        return None
    return (
        f"Over capacity: {owner} owns {owned} active experiments against a capacity of "
        f"{capacity}; the queue shows it."
    )


# Steps that put more of an operator's work in motion: taken beyond capacity, they warn.
CAPACITY_STEPS = ("submit", "start")


def step_warnings(step: str, experiment: Experiment) -> list[str]:
    """What to tell the person who just took ``step`` (never a refusal)."""
    if step not in CAPACITY_STEPS:
        return []
    warning = capacity_warning(experiment.owner)
    return [warning] if warning else []
