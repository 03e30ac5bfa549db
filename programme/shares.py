"""Read-outs shared by link (docs/communication.md): one experiment's design, results, charts and
decision, opened without an account.

A link is the share's id signed with the site's secret (``django.core.signing``), so it cannot be
guessed or altered; expiry and revocation live on the row, so a link dies the moment it is
revoked. Opening one writes a ``ReadoutView``.
"""

import datetime as dt

from django.core import signing
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from experiments.models import Experiment
from growthops.errors import NotPermitted, ValidationFailed
from roles.capabilities import require

from .models import ReadoutShare, ReadoutView

DEFAULT_DAYS = 30
MAX_DAYS = 365
_SALT = "programme.readout-share"


def share_token(share: ReadoutShare) -> str:
    """The link's secret part: the share's id, signed."""
    return signing.dumps(share.pk, salt=_SALT, compress=False)


def share_from_token(token: str) -> ReadoutShare | None:
    """The share a token names, if the signature holds (whatever its state)."""
    try:
        share_id = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(share_id, int):
        return None
    return ReadoutShare.objects.select_related("experiment").filter(pk=share_id).first()


def readout_share_create(*, experiment_id: int, actor, days: int = DEFAULT_DAYS) -> ReadoutShare:
    """A new link to the experiment's read-out, open for ``days`` days."""
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
        raise ValidationFailed({"days": [f"A link lasts between 1 and {MAX_DAYS} days."]})
    experiment = Experiment.objects.get(pk=experiment_id)
    require(actor, "experiments.share", experiment)
    now = timezone.now()
    return ReadoutShare.objects.create(
        experiment=experiment,
        created_by=actor,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )


@transaction.atomic
def readout_share_revoke(*, share_id: int, actor) -> ReadoutShare:
    """Close the link for good. Revoking a revoked link changes nothing."""
    # Locked so that two revocations record one time and one person.
    share = ReadoutShare.objects.select_for_update().select_related("experiment").get(pk=share_id)
    require(actor, "experiments.share", share.experiment)
    if share.revoked_at is None:
        share.revoked_at, share.revoked_by = timezone.now(), actor
        share.save(update_fields=["revoked_at", "revoked_by"])
    return share


def readout_open(*, token: str, address: str | None, user_agent: str = "") -> ReadoutShare:
    """The share behind a link that still opens, with the view logged; ``NotPermitted`` with
    the reason (unknown, expired or revoked) otherwise."""
    share = share_from_token(token)
    if share is None:
        raise NotPermitted("This link is not valid.")
    state = share.state_at(timezone.now())
    if state != "active":
        raise NotPermitted(f"This link has {'expired' if state == 'expired' else 'been revoked'}.")
    ReadoutView.objects.create(share=share, address=address, user_agent=user_agent[:300])
    return share


def shares_of(experiment: Experiment):
    """The experiment's links, newest first, with how often each was opened."""
    return experiment.shares.select_related("created_by", "revoked_by").annotate(
        view_count=Count("views"), last_viewed_at=Max("views__viewed_at")
    )
