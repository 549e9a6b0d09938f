"""What secondments tell task forces (:mod:`hrsys.taskforces.extensions`), registered at the import of this
package: knowledge-transfer counterparts are edges of the collaboration graph of team assembly, and an HR
officer may see the monthly cost of the external experts that agencies of their subtree host."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from hrsys.secondments.models import KnowledgeTransfer, Secondment
from hrsys.taskforces.extensions import (
    CollaborationSource,
    register_collaboration,
    register_expert_hosts,
)
from hrsys.taskforces.queries import Target, among

KT = KnowledgeTransfer.__table__
S = Secondment.__table__


def _history(target: Target, ids: Sequence[int]) -> list[sa.Select[Any]]:
    """Counterparts among ``ids``, and seconded people among them who have a counterpart."""
    return [
        sa.select(KT.c.counterpart_id).where(among(target, KT.c.counterpart_id, ids)),
        sa.select(S.c.person_id)
        .select_from(KT.join(S, S.c.id == KT.c.secondment_id))
        .where(among(target, S.c.person_id, ids)),
    ]


def _pairs(target: Target, ids: Sequence[int]) -> sa.Select[Any]:
    """(seconded person, counterpart) with either among ``ids``."""
    return (
        sa.select(S.c.person_id, KT.c.counterpart_id)
        .select_from(KT.join(S, S.c.id == KT.c.secondment_id))
        .where(sa.or_(among(target, S.c.person_id, ids), among(target, KT.c.counterpart_id, ids)))
    )


def _hosted(target: Target, experts: list[int], agencies: sa.Select[Any]) -> Iterable[int]:
    """Experts of ``experts`` seconded to one of ``agencies``."""
    return target.scalars(
        sa.select(S.c.person_id).where(S.c.person_id.in_(experts), S.c.host_agency_id.in_(agencies)).distinct()
    )


def register() -> None:
    register_collaboration(CollaborationSource(name="knowledge_transfer", history=_history, pairs=_pairs))
    register_expert_hosts("secondment_host", _hosted)


register()
