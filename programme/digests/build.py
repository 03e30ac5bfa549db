"""One person's digest: their role's sections over a period, as plain data."""

from dataclasses import dataclass, field

from . import sections, sections_followups  # noqa: F401  (sections register on import)
from .period import Period
from .registry import sections_for


@dataclass
class Digest:
    user: object
    period: Period
    sections: list[dict] = field(default_factory=list)  # {"key", "title", "items"}

    @property
    def is_empty(self) -> bool:
        return not self.sections

    @property
    def subject(self) -> str:
        when = "weekly" if self.period.frequency == "weekly" else "daily"
        return f"Your {when} GrowthOps digest, {self.period.start:%-d %b %Y}"


def digest_build(*, user, period: Period) -> Digest:
    """What ``user``'s role should hear about over ``period``; sections with nothing to say are
    left out (a digest without sections is not sent)."""
    digest = Digest(user=user, period=period)
    for section in sections_for(user.role):
        items = section.read(user, period)
        if items:
            digest.sections.append({"key": section.key, "title": section.title, "items": items})
    return digest
