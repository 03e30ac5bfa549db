"""Who hears that experiments changed: the apps above this one register listeners here.

A lifecycle step, an upload's fresh results or an acknowledgement changes what the apps
above read (the programme's roll-ups and insights, the open alerts). This app may not import
them, so they hand over a listener when they are ready (``AppConfig.ready``), and the writers
call :func:`experiments_changed` inside their transaction. A listener decides what to do: the
analytics app resolves the alerts whose cause ended, in the same transaction; the programme
queues its recompute after commit (``programme/freshness.py``).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    """What happened: ``cause`` is a step's name (``conclude``, ``kill`` …), ``results`` (a
    new look was analysed), ``srm_acknowledged``, ``observations`` or ``economics`` (a segment's
    economics arrived; the ids are its experiments')."""

    experiment_ids: tuple[int, ...]
    cause: str


Listener = Callable[[Change], None]
_listeners: list[Listener] = []


def register_change_listener(listener: Listener) -> None:
    """Call ``listener`` on every change; registering the same one twice is a no-op."""
    if listener not in _listeners:
        _listeners.append(listener)


def experiments_changed(experiment_ids: Iterable[int], *, cause: str) -> None:
    """Tell every listener; call it inside the transaction that made the change."""
    change = Change(experiment_ids=tuple(sorted(set(experiment_ids))), cause=cause)
    if not change.experiment_ids:
        return
    for listener in _listeners:
        listener(change)
