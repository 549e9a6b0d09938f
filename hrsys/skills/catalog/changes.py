"""What the catalog tells the parts of hrsys built on it when an import changes it.

The catalog sits below the assessments (``hrsys.skills.assessments`` imports the catalog, never the
reverse), but a changed equivalence changes people's current levels: an assessment of one skill counts for
its equivalents. So a catalog import calls the functions registered here with the skills whose
equivalences it added or removed, in its transaction; :mod:`hrsys.skills.assessments` registers the
rebuild of the profiles of those skills when its package is imported (which importing any part of
``hrsys.skills`` does).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

EquivalencesChanged = Callable[[Session, set[int]], None]

_listeners: list[EquivalencesChanged] = []


def on_equivalences_changed(listener: EquivalencesChanged) -> None:
    """Call ``listener(session, skill_ids)`` after each import that adds or removes equivalences (once each)."""
    if listener not in _listeners:
        _listeners.append(listener)


def equivalences_changed(session: Session, skill_ids: set[int]) -> None:
    for listener in _listeners:
        listener(session, skill_ids)
