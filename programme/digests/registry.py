"""Each role's digest sections, in the order they are shown.

A section is a small read over the database, ``(user, period) -> list of items``, each item a
dict of plain values with a ``text`` (the line a reader sees) and, where it has one, a ``path``
(the page to open). The renderers (text, HTML, Slack) show the same items. An empty list says
nothing and the section is left out. Later work adds sections with :func:`register_section`.
"""

from collections.abc import Callable
from dataclasses import dataclass

from .period import Period

SectionRead = Callable[..., list[dict]]


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    read: SectionRead


SECTIONS: dict[str, list[Section]] = {}


def register_section(*roles: str, key: str, title: str):
    """Add the decorated read to each role's digest (after the sections already there)."""

    def register(read: SectionRead) -> SectionRead:
        for role in roles:
            sections = SECTIONS.setdefault(role, [])
            if any(section.key == key for section in sections):
                raise ValueError(f"The {role} digest already has a section {key!r}.")
            sections.append(Section(key=key, title=title, read=read))
        return read

    return register


def sections_for(role: str) -> list[Section]:
    """The role's sections, once their modules are imported (``build`` imports them)."""
    return SECTIONS.get(role, [])


__all__ = ["Period", "SECTIONS", "Section", "register_section", "sections_for"]
