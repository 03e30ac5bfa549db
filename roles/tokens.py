"""Service tokens: the secret's shape, its hash, and the scope each ability needs.

A secret reads ``go_<prefix>_<random>``; the prefix finds the row, the SHA-256 of the whole
secret must match its ``digest``. A random 256-bit secret needs no slow hash (no dictionary to
guess from), and a plain digest keeps each request to one indexed read.
"""

import hashlib
import secrets

from rest_framework.permissions import SAFE_METHODS

from .models import Scope

SECRET_START = "go_"

# The scope each ability needs when a service token uses it for a write (a non-safe method).
# ``None``: no service token may use it, whatever its scopes.
ABILITY_SCOPES: dict[str, str | None] = {
    "results.read": Scope.STEPS,  # a write under the read ability: a step, a preference …
    "experiments.read": Scope.STEPS,  # the same for what a partner's people may read
    "data.upload": Scope.UPLOAD,
    "holdouts.data": Scope.UPLOAD,
    "objectives.measure": Scope.UPLOAD,
    "segments.economics": Scope.UPLOAD,
    "webhooks.manage": Scope.ADMIN,
    "tokens.manage": None,
    **{
        ability: Scope.STEPS
        for ability in (
            "objectives.manage", "segments.manage", "holdouts.manage", "hypotheses.create",
            "hypotheses.triage", "hypotheses.follow_own", "experiments.create",
            "experiments.design", "experiments.run", "experiments.review", "experiments.kill",
            "experiments.conclude", "templates.manage", "experiments.cost",
            "results.acknowledge_srm", "experiments.share", "postmortems.write",
            "comments.create", "reports.build", "teams.manage", "metrics.define",
            "metrics.official", "warehouse.refresh", "warehouse.sources", "partners.manage",
            "partners.scorecard", "experiments.all_partners", "postmortems.oversee",
        )
    },
}  # fmt: skip


def new_secret() -> tuple[str, str]:
    """A fresh ``(prefix, secret)``."""
    prefix = secrets.token_hex(6)  # 48 bits: a clash on the unique prefix is not a worry
    return prefix, f"{SECRET_START}{prefix}_{secrets.token_urlsafe(32)}"


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def prefix_of(secret: str) -> str | None:
    """The public prefix of a well-formed secret, or None."""
    if not secret.startswith(SECRET_START):
        return None
    prefix, _, rest = secret[len(SECRET_START) :].partition("_")
    return prefix if prefix and rest else None


def scope_needed(ability: str, method: str, override: str | None = None) -> str | None:
    """The scope a service token needs to use ``ability`` with ``method``.

    Reads need ``read``, except reads of webhooks (``admin``: they show signing secrets and
    deliveries). A write needs the scope of its ability, or the view's ``override``.
    """
    scope = ABILITY_SCOPES[ability]
    if scope is None:
        return None
    if method in SAFE_METHODS:
        return Scope.ADMIN if scope == Scope.ADMIN else Scope.READ
    return override or scope
