"""Agency commands and queries. Functions take the session first, then keyword arguments."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from hrsys.agencies.models import Agency
from hrsys.agencies.schemas import AgencyCreate, AgencyNode, AgencyOut, AgencyUpdate
from hrsys.core.copying import copied
from hrsys.core.db import lock_for_edit
from hrsys.core.errors import Conflict, Invalid, NotFound, check_version
from hrsys.core.lookups import contains_text
from hrsys.core.stamps import bump_version


def subtree_bounds(path: str) -> tuple[str, str]:
    """Range ``[lo, hi)`` of materialised paths inside the subtree at ``path`` (``'/'`` < ``'0'``)."""
    return path, path[:-1] + "0"


def subtree_ids_select(path: str) -> sa.Select[tuple[int]]:
    lo, hi = subtree_bounds(path)
    return sa.select(Agency.id).where(Agency.path >= lo, Agency.path < hi)


def to_out(agency: Agency, parent_code: str | None) -> AgencyOut:
    return copied(AgencyOut, agency, parent=parent_code)


def get_by_code(session: Session, code: str) -> Agency:
    agency = session.scalar(sa.select(Agency).where(Agency.code == code))
    if agency is None:
        raise NotFound("agency", code)
    return agency


def _parent_code(session: Session, agency: Agency) -> str | None:
    if agency.parent_id is None:
        return None
    return session.scalar(sa.select(Agency.code).where(Agency.id == agency.parent_id))


def read(session: Session, code: str) -> AgencyOut:
    agency = get_by_code(session, code)
    return to_out(agency, _parent_code(session, agency))


def list_agencies(
    session: Session, *, parent: str | None = None, kind: str | None = None, q: str | None = None
) -> list[AgencyOut]:
    parent_tbl = sa.orm.aliased(Agency)
    stmt = sa.select(Agency, parent_tbl.code).outerjoin(parent_tbl, parent_tbl.id == Agency.parent_id)
    if parent is not None:
        stmt = stmt.where(Agency.parent_id == get_by_code(session, parent).id)
    if kind is not None:
        stmt = stmt.where(Agency.kind == kind)
    if q:
        stmt = stmt.where(contains_text(q, Agency.name_en, Agency.name_th, Agency.code))
    rows = session.execute(stmt.order_by(Agency.path)).all()
    return [to_out(a, pc) for a, pc in rows]


def subtree(session: Session, code: str) -> AgencyNode:
    root = get_by_code(session, code)
    rows: Sequence[Agency] = session.scalars(
        sa.select(Agency)
        .where(Agency.id.in_(subtree_ids_select(root.path).scalar_subquery()))
        .order_by(Agency.depth, Agency.code)
    ).all()
    nodes = {
        a.id: AgencyNode(code=a.code, name_th=a.name_th, name_en=a.name_en, kind=a.kind, depth=a.depth, children=[])
        for a in rows
    }
    for a in rows:
        if a.id != root.id and a.parent_id in nodes:
            nodes[a.parent_id].children.append(nodes[a.id])
    return nodes[root.id]


def create(session: Session, data: AgencyCreate) -> AgencyOut:
    if session.scalar(sa.select(Agency.id).where(Agency.code == data.code)) is not None:
        raise Conflict(f"agency code {data.code} is taken", extra={"field": "code"})
    parent = None
    if data.parent is not None:
        parent = session.scalar(sa.select(Agency).where(Agency.code == data.parent))
        if parent is None:
            raise Invalid.one("parent", f"no agency with code {data.parent}")
    agency = Agency(
        code=data.code,
        name_th=data.name_th,
        name_en=data.name_en,
        kind=data.kind,
        parent_id=parent.id if parent else None,
        province=data.province,
        path="/",
        depth=(parent.depth + 1) if parent else 0,
    )
    session.add(agency)
    session.flush()
    path = f"{parent.path if parent else '/'}{agency.id}/"
    # The path needs the new id; set it without counting a second version of the row.
    session.execute(
        sa.update(Agency).where(Agency.id == agency.id).values(path=path).execution_options(synchronize_session=False)
    )
    set_committed_value(agency, "path", path)
    bump_version(session, "agencies")
    return to_out(agency, parent.code if parent else None)


def update(session: Session, code: str, data: AgencyUpdate) -> AgencyOut:
    agency = lock_for_edit(session, get_by_code(session, code))
    check_version("agency", code, agency.version, data.version)
    for field in ("name_th", "name_en", "kind", "province"):
        value = getattr(data, field)
        if value is not None:
            setattr(agency, field, value)
    if data.parent is not None:
        new_parent = session.scalar(sa.select(Agency).where(Agency.code == data.parent))
        if new_parent is None:
            raise Invalid.one("parent", f"no agency with code {data.parent}")
        if new_parent.path.startswith(agency.path):
            raise Invalid.one("parent", "an agency cannot move under itself or its own sub-agency")
        if new_parent.id != agency.parent_id:
            old_path, new_path = agency.path, f"{new_parent.path}{agency.id}/"
            depth_delta = new_parent.depth + 1 - agency.depth
            lo, hi = subtree_bounds(old_path)
            session.execute(
                sa.update(Agency)
                .where(Agency.path >= lo, Agency.path < hi, Agency.id != agency.id)
                .values(
                    path=sa.func.replace(Agency.path, old_path, new_path),  # prefix: ids are unique
                    depth=Agency.depth + depth_delta,
                    version=Agency.version + 1,
                )
                .execution_options(synchronize_session=False)
            )
            agency.parent_id = new_parent.id
            agency.path = new_path
            agency.depth = new_parent.depth + 1
    session.flush()
    bump_version(session, "agencies")
    return to_out(agency, _parent_code(session, agency))


HOLDERS: dict[str, Callable[[Session, int], bool]] = {}
"""Extension point: what may still belong to an agency that is to be deleted, by plural noun (``people``):
``held(session, agency_id)`` is True while some does. Registered by the domains (see :func:`register_holder`)."""


def register_holder(noun: str, held: Callable[[Session, int], bool]) -> None:
    """Declare rows of a domain that keep an agency from being deleted (``"people"``: its home agency)."""
    HOLDERS[noun] = held


def delete(session: Session, code: str) -> None:
    agency = get_by_code(session, code)
    children = session.scalar(sa.select(sa.func.count()).where(Agency.parent_id == agency.id)) or 0
    held = {noun: check(session, agency.id) for noun, check in HOLDERS.items()}
    if children or any(held.values()):
        kept = " and ".join(f"{'some' if some else 'no'} {noun}" for noun, some in held.items())
        raise Conflict(
            f"agency {code} still has {children} sub-agencies{' and ' + kept if kept else ''}; "
            "move or remove them first",
            rule="agency_not_empty",
        )
    session.delete(agency)
    session.flush()
    bump_version(session, "agencies")
