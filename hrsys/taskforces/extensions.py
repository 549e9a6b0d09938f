"""Extension points of task forces, for what the layers above them know.

Task forces sit below secondments (a secondment may name a task force), so they do not read secondments'
tables. Two facts of team assembly come from there, and secondments registers them here at the import of
its package (``hrsys/secondments/taskforce_hooks.py``):

- :class:`CollaborationSource`: more edges of the collaboration graph (knowledge-transfer counterparts).
  Team proposals ask every source which of the people read have an edge (:func:`hrsys.taskforces.walk.exact_pool`
  needs it for its proof) and for the edges around the pool (:func:`hrsys.taskforces.pool.collaboration_graph`).
- :data:`ExpertHosts`: which external experts are hosted by agencies of an HR officer's subtree, whose
  monthly cost that officer may see (:func:`hrsys.taskforces.visibility.cost_visible`).

Each source gives statements, not rows, so that task forces put them in their own queries (one ``UNION ALL``
with the task-force part) and the SQL is the same whatever registers. Registration is by name, so a repeated
import registers nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import msgspec
import sqlalchemy as sa

from hrsys.taskforces.queries import Target


class CollaborationSource(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    history: Callable[[Target, Sequence[int]], list[sa.Select[Any]]]
    """Statements of one column, the people among the ids who have an edge of this source."""
    pairs: Callable[[Target, Sequence[int]], sa.Select[Any]]
    """A statement of two columns, the edges of this source with at least one end among the ids."""


ExpertHosts = Callable[[Target, list[int], sa.Select[Any]], Iterable[int]]
"""``(target, external experts' person ids, a statement of agency ids) -> those hosted by one of the agencies``."""

_COLLABORATION: dict[str, CollaborationSource] = {}
_EXPERT_HOSTS: dict[str, ExpertHosts] = {}


def register_collaboration(source: CollaborationSource) -> None:
    _COLLABORATION[source.name] = source


def register_expert_hosts(name: str, hosts: ExpertHosts) -> None:
    _EXPERT_HOSTS[name] = hosts


def collaboration_sources() -> list[CollaborationSource]:
    """The registered sources, in the order of registration."""
    return list(_COLLABORATION.values())


def expert_hosts() -> list[ExpertHosts]:
    return list(_EXPERT_HOSTS.values())
