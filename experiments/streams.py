"""Which hypotheses form a stream (docs/streams.md): an idea and the iterations built on it.

A hypothesis iterates on another when it names it (``iterates_on_hypothesis``) or names one of
its experiments (``iterates_on_experiment``; the ``iterate`` decision's follow-up names both).
Following those links up from any hypothesis reaches the stream's **root**, the idea that
started it; the stream is the root and every hypothesis below it. A stream is known by its
root's id, and exists once the root has at least one iteration.

One query reads every link (:func:`stream_parents`); the rest is walking that map, so a page
of streams costs the same whatever their depth. What a stream is worth and what to test next is
the programme's (``programme/streams.py``).
"""

from django.db.models import Q

from .models import Hypothesis


def stream_parents() -> dict[int, int]:
    """Each iterating hypothesis → the hypothesis it iterates on (one query)."""
    rows = Hypothesis.objects.filter(
        Q(iterates_on_hypothesis__isnull=False) | Q(iterates_on_experiment__isnull=False)
    ).values_list("pk", "iterates_on_hypothesis_id", "iterates_on_experiment__hypothesis_id")
    parents = {}
    for pk, parent, parent_of_experiment in rows:
        parent = parent or parent_of_experiment
        if parent is not None and parent != pk:
            parents[pk] = parent
    return parents


def stream_root(hypothesis_id: int, parents: dict[int, int]) -> int:
    """The idea at the top of ``hypothesis_id``'s links; for links that loop back on
    themselves, the loop's oldest (lowest id) hypothesis, whichever member asks."""
    path = [hypothesis_id]
    while path[-1] in parents:
        parent = parents[path[-1]]
        if parent in path:
            return min(path[path.index(parent) :])
        path.append(parent)
    return path[-1]


def stream_children(parents: dict[int, int]) -> dict[int, list[int]]:
    """Each hypothesis with iterations → its iterations, oldest (lowest id) first."""
    children: dict[int, list[int]] = {}
    for child, parent in sorted(parents.items()):
        children.setdefault(parent, []).append(child)
    return children


def stream_roots(parents: dict[int, int]) -> list[int]:
    """The roots of every stream, newest first."""
    return sorted({stream_root(child, parents) for child in parents}, reverse=True)


def stream_members(root_id: int, parents: dict[int, int]) -> list[int]:
    """The root and every hypothesis below it, each before its iterations."""
    children = stream_children(parents)
    members, queue, seen = [], [root_id], {root_id}
    while queue:
        current = queue.pop(0)
        members.append(current)
        for child in children.get(current, []):
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return members


def stream_of(hypothesis_id: int, parents: dict[int, int] | None = None) -> int | None:
    """The root of the stream ``hypothesis_id`` belongs to; None when it is in none (it
    neither iterates on another idea nor has an iteration)."""
    parents = stream_parents() if parents is None else parents
    if hypothesis_id not in parents and hypothesis_id not in set(parents.values()):
        return None
    return stream_root(hypothesis_id, parents)
