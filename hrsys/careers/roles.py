"""Roles, their requirements and the transitions between them: the commands and their reads (I/O).

Commands take the request's session and run in its transaction; every one that
changes the graph bumps the ``career_graph`` version stamp. A move that would let
someone come back to where they started (a cycle) is refused unless it is lateral.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
import networkx as nx
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.careers import extensions
from hrsys.careers.models import Role, RoleRequirement, RoleTransition, Track, TransitionKind
from hrsys.careers.paths import (
    cycle_if_added,
)
from hrsys.careers.schemas import (
    RequirementIn,
    RequirementOut,
    RoleCreate,
    RoleListItem,
    RoleOut,
    RoleUpdate,
    TransitionCreate,
    TransitionOut,
    TransitionUpdate,
)
from hrsys.core import clock
from hrsys.core.db import lock_for_edit
from hrsys.core.errors import Conflict, FieldError, Invalid, NotFound, check, check_version
from hrsys.core.lookups import contains_text, get_or_404
from hrsys.core.stamps import bump_version
from hrsys.people.models import Person
from hrsys.skills.catalog.format import parse_skill_ref
from hrsys.skills.catalog.models import Framework, Skill

GRAPH_STAMP = "career_graph"


# --- skills ---------------------------------------------------------------------------------------


def resolve_skills(session: Session | sa.Connection, refs: Iterable[str]) -> dict[str, int]:
    """``{"FRAMEWORK:CODE": skill_id}`` for the refs that exist (unknown ones are left out)."""
    pairs = {ref: parse_skill_ref(ref) for ref in set(refs)}
    wanted = {p for p in pairs.values() if p is not None}
    if not wanted:
        return {}
    rows = session.execute(
        sa.select(Framework.code, Skill.code, Skill.id)
        .join(Framework, Framework.id == Skill.framework_id)
        .where(sa.tuple_(Framework.code, Skill.code).in_(list(wanted)))
    ).all()
    by_pair = {(fw, code): sid for fw, code, sid in rows}
    return {ref: by_pair[p] for ref, p in pairs.items() if p is not None and p in by_pair}


def _requirement_rows(
    session: Session, reqs: Sequence[RequirementIn], field: str = "requirements"
) -> list[dict[str, Any]]:
    ids = resolve_skills(session, (r.skill for r in reqs))
    errors = [
        FieldError(f"{field}[{i}].skill", f"no skill {r.skill} in the catalog")
        for i, r in enumerate(reqs)
        if r.skill not in ids
    ]
    check(errors)
    return [{"skill_id": ids[r.skill], "level": r.level, "essential": r.essential, "weight": r.weight} for r in reqs]


# --- roles ----------------------------------------------------------------------------------------


def get_role(session: Session, code: str) -> Role:
    role = session.scalar(sa.select(Role).where(Role.code == code))
    if role is None:
        raise NotFound("role", code)
    return role


def _transition_out(t: RoleTransition, codes: dict[int, str]) -> TransitionOut:
    return TransitionOut(
        id=t.id, from_role=codes[t.from_role_id], to_role=codes[t.to_role_id], kind=t.kind, min_years=t.min_years
    )


def _listed(role: Role) -> dict[str, Any]:
    """The fields a role shows in lists and when read alone."""
    return {
        "id": role.id, "code": role.code, "title_th": role.title_th, "title_en": role.title_en, "track": role.track,
        "level": role.level, "position_levels": list(role.position_levels or []), "critical": role.critical,
        "retired": role.retired,
    }  # fmt: skip


def role_out(session: Session, role: Role) -> RoleOut:
    Q, S, F = RoleRequirement, Skill, Framework
    reqs = session.execute(
        sa.select(Q.skill_id, Q.level, Q.essential, Q.weight, F.code, S.code, S.name_en, S.name_th)
        .join(S, S.id == Q.skill_id)
        .join(F, F.id == S.framework_id)
        .where(Q.role_id == role.id)
        .order_by(Q.essential.desc(), Q.id)
    ).all()
    moves = session.scalars(
        sa.select(RoleTransition).where(
            sa.or_(RoleTransition.from_role_id == role.id, RoleTransition.to_role_id == role.id)
        )
    ).all()
    ids = {role.id} | {t.from_role_id for t in moves} | {t.to_role_id for t in moves}
    codes = dict(session.execute(sa.select(Role.id, Role.code).where(Role.id.in_(ids))).tuples().all())
    return RoleOut(
        **_listed(role),
        description=role.description,
        version=role.version,
        requirements=[
            RequirementOut(
                skill=f"{fw}:{code}",
                skill_id=sid,
                name_en=name_en,
                name_th=name_th,
                level=level,
                essential=essential,
                weight=weight,
            )
            for sid, level, essential, weight, fw, code, name_en, name_th in reqs
        ],
        moves_from=sorted(
            (_transition_out(t, codes) for t in moves if t.from_role_id == role.id), key=lambda t: t.to_role
        ),
        moves_into=sorted(
            (_transition_out(t, codes) for t in moves if t.to_role_id == role.id), key=lambda t: t.from_role
        ),
    )


def list_roles(
    session: Session,
    *,
    track: Track | None = None,
    level: int | None = None,
    q: str | None = None,
    include_retired: bool = False,
    critical: bool | None = None,
) -> list[RoleListItem]:
    n_reqs = sa.select(sa.func.count()).where(RoleRequirement.role_id == Role.id).correlate(Role).scalar_subquery()
    stmt = sa.select(Role, n_reqs)
    if track is not None:
        stmt = stmt.where(Role.track == track)
    if level is not None:
        stmt = stmt.where(Role.level == level)
    if critical is not None:
        stmt = stmt.where(Role.critical == critical)
    if not include_retired:
        stmt = stmt.where(Role.retired.is_(False))
    if q:
        stmt = stmt.where(contains_text(q, Role.code, Role.title_en, Role.title_th))
    rows = session.execute(stmt.order_by(Role.track, Role.level, Role.code)).all()
    return [RoleListItem(**_listed(r), requirements=n or 0) for r, n in rows]


def _columns(data: RoleCreate | RoleUpdate) -> dict[str, Any]:
    """The role's own columns that ``data`` gives (position levels as their codes; requirements are rows)."""
    out = {
        k: v for k, v in msgspec.structs.asdict(data).items()
        if k not in ("requirements", "version") and v is not msgspec.UNSET
    }  # fmt: skip
    if "position_levels" in out:
        out["position_levels"] = [str(p) for p in out["position_levels"]]
    return out


def create_role(session: Session, data: RoleCreate) -> Role:
    if session.scalar(sa.select(Role.id).where(Role.code == data.code)) is not None:
        raise Conflict(f"role code {data.code} is taken", errors=[FieldError("code", "already in use")])
    rows = _requirement_rows(session, data.requirements)
    role = Role(**_columns(data))
    session.add(role)
    session.flush()
    if rows:
        session.execute(sa.insert(RoleRequirement), [{"role_id": role.id, **r} for r in rows])
    bump_version(session, GRAPH_STAMP)
    return role


def update_role(session: Session, code: str, data: RoleUpdate) -> Role:
    role = lock_for_edit(session, get_role(session, code))
    check_version("role", code, role.version, data.version)
    for name, value in _columns(data).items():
        setattr(role, name, value)
    if data.requirements is not msgspec.UNSET:
        rows = _requirement_rows(session, data.requirements)
        session.execute(sa.delete(RoleRequirement).where(RoleRequirement.role_id == role.id))
        if rows:
            session.execute(sa.insert(RoleRequirement), [{"role_id": role.id, **r} for r in rows])
        role.updated_at = clock.now()  # counts as a change of the role (version moves)
    session.flush()
    bump_version(session, GRAPH_STAMP)
    return role


def delete_role(session: Session, code: str) -> None:
    """Delete a role nobody holds or plans toward (plans: as training registers them in
    :mod:`hrsys.careers.extensions`); otherwise 409 (retire it instead)."""
    role = get_role(session, code)
    holders = session.scalar(sa.select(sa.func.count()).where(Person.role_id == role.id)) or 0
    plans = extensions.role_targets(session, role.id)
    if holders or plans:
        raise Conflict(
            f"role {code} is held by {holders} people and targeted by {plans} development plans; "
            "set retired to true instead of deleting",
            rule="role_in_use",
        )
    session.delete(role)
    session.flush()
    bump_version(session, GRAPH_STAMP)


# --- transitions ----------------------------------------------------------------------------------


def _graph_in_transaction(session: Session) -> nx.DiGraph:
    """The transition graph as this transaction sees it (not the cache: it may hold uncommitted edges)."""
    g = nx.DiGraph()
    for f, t, kind in session.execute(
        sa.select(RoleTransition.from_role_id, RoleTransition.to_role_id, RoleTransition.kind)
    ):
        g.add_edge(f, t, kind=kind)
    return g


def _refuse_cycle(session: Session, graph: nx.DiGraph, from_id: int, to_id: int, kind: TransitionKind) -> None:
    if kind == TransitionKind.lateral:
        return
    cycle = cycle_if_added(graph, from_id, to_id)
    if cycle is None:
        return
    codes = dict(session.execute(sa.select(Role.id, Role.code).where(Role.id.in_(set(cycle)))).tuples().all())
    names = " -> ".join(codes[c] for c in cycle)
    raise Invalid(
        f"this {kind.value} would close the cycle {names}; only a lateral move may close a cycle",
        errors=[FieldError("kind", f"a {kind.value} may not close a cycle ({names}); use lateral")],
        extra={"cycle": [codes[c] for c in cycle]},
    )


def transition_out(session: Session, t: RoleTransition) -> TransitionOut:
    codes = dict(
        session.execute(sa.select(Role.id, Role.code).where(Role.id.in_({t.from_role_id, t.to_role_id}))).tuples().all()
    )
    return _transition_out(t, codes)


def list_transitions(
    session: Session, *, from_role: str | None = None, to_role: str | None = None
) -> list[TransitionOut]:
    stmt = sa.select(RoleTransition)
    if from_role is not None:
        stmt = stmt.where(RoleTransition.from_role_id == get_role(session, from_role).id)
    if to_role is not None:
        stmt = stmt.where(RoleTransition.to_role_id == get_role(session, to_role).id)
    rows = session.scalars(stmt).all()
    ids = {t.from_role_id for t in rows} | {t.to_role_id for t in rows}
    codes = dict(session.execute(sa.select(Role.id, Role.code).where(Role.id.in_(ids))).tuples().all())
    return sorted((_transition_out(t, codes) for t in rows), key=lambda t: (t.from_role, t.to_role))


def get_transition(session: Session, transition_id: int) -> RoleTransition:
    return get_or_404(session, RoleTransition, transition_id, "transition")


def create_transition(session: Session, data: TransitionCreate) -> RoleTransition:
    ids = dict(
        session.execute(sa.select(Role.code, Role.id).where(Role.code.in_([data.from_role, data.to_role])))
        .tuples()
        .all()
    )
    check(
        [
            FieldError(field, f"no role with code {code}")
            for field, code in (("from_role", data.from_role), ("to_role", data.to_role))
            if code not in ids
        ]
    )
    from_id, to_id = ids[data.from_role], ids[data.to_role]
    existing = session.scalar(
        sa.select(RoleTransition.id).where(RoleTransition.from_role_id == from_id, RoleTransition.to_role_id == to_id)
    )
    if existing is not None:
        raise Conflict(
            f"a transition from {data.from_role} to {data.to_role} exists already (id {existing})",
            extra={"id": existing},
        )
    _refuse_cycle(session, _graph_in_transaction(session), from_id, to_id, data.kind)
    t = RoleTransition(from_role_id=from_id, to_role_id=to_id, kind=data.kind, min_years=data.min_years)
    session.add(t)
    session.flush()
    bump_version(session, GRAPH_STAMP)
    return t


def update_transition(session: Session, transition_id: int, data: TransitionUpdate) -> RoleTransition:
    t = get_transition(session, transition_id)
    if data.kind is not msgspec.UNSET and data.kind != t.kind:
        g = _graph_in_transaction(session)
        g.remove_edge(t.from_role_id, t.to_role_id)
        _refuse_cycle(session, g, t.from_role_id, t.to_role_id, data.kind)
        t.kind = data.kind
    if data.min_years is not msgspec.UNSET:
        t.min_years = data.min_years
    session.flush()
    bump_version(session, GRAPH_STAMP)
    return t


def delete_transition(session: Session, transition_id: int) -> None:
    t = get_transition(session, transition_id)
    session.delete(t)
    session.flush()
    bump_version(session, GRAPH_STAMP)
