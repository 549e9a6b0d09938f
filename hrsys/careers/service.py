"""Roles, requirements and transitions (commands), and the career questions asked of them (reads).

Commands take the request's session and run in its transaction; every one that
changes the graph bumps the ``career_graph`` version stamp. Reads (gap, paths,
next moves, the graph itself) use the per-process cache of :mod:`hrsys.careers.cache`
and one or two Core queries for the person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
import networkx as nx
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.careers import cache, extensions
from hrsys.careers.gap import Gap, compute_gap
from hrsys.careers.models import Role, RoleRequirement, RoleTransition, Track, TransitionKind
from hrsys.careers.paths import (
    NoPathError,
    cycle_if_added,
    k_best_paths,
    neighbourhood,
    next_moves,
)
from hrsys.careers.schemas import (
    GapItemOut,
    GapOut,
    GraphEdge,
    GraphNode,
    GraphOut,
    NextMoveOut,
    NextMovesOut,
    PathOut,
    PathsOut,
    PathStepOut,
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
from hrsys.careers.svg import SvgEdge, SvgNode, render_svg
from hrsys.core import clock
from hrsys.core.db import lock_for_edit, read_engine
from hrsys.core.errors import AppError, Conflict, FieldError, Invalid, NotFound, check
from hrsys.people.models import Person
from hrsys.skills.catalog_format import parse_skill_ref
from hrsys.skills.models import CurrentSkill, Framework, Skill
from hrsys.system.service import bump_version

GRAPH_STAMP = "career_graph"
READINESS_FORMULA = (
    "attainment of a requirement = min(have, need) / need; E, D = weighted mean attainment of the essential and "
    "desirable requirements (1 if none); readiness = 0.75 + 0.25 * D when every essential requirement is met, "
    "else 0.75 * (0.9 * E + 0.1 * D): meeting every essential requirement always ranks above missing one"
)
PATH_COST = (
    "sum over the steps of: weighted level shortfall still to close at the next role (crediting the levels the "
    "previous role required) + years_weight * minimum years still to serve"
)
TRACK_LABELS = {
    Track.data: "Data · ข้อมูล",
    Track.digital_service: "Digital service · บริการดิจิทัล",
    Track.digital_technology: "Digital technology · เทคโนโลยีดิจิทัล",
    Track.cyber_security: "Cyber security · ความมั่นคงปลอดภัยไซเบอร์",
    Track.digital_leadership: "Digital leadership · ผู้นำดิจิทัล",
    Track.product_delivery: "Product and delivery",
    Track.architecture: "Architecture",
    Track.user_centred_design: "User-centred design",
    Track.it_operations: "IT operations",
    Track.software_development: "Software development",
    Track.general: "General · สายงานทั่วไป",
}


TRACK_ORDER = [
    Track.general.value,  # where people start from
    Track.data.value,
    Track.digital_service.value,
    Track.user_centred_design.value,
    Track.product_delivery.value,
    Track.digital_technology.value,
    Track.software_development.value,
    Track.architecture.value,
    Track.it_operations.value,
    Track.cyber_security.value,
    Track.digital_leadership.value,
]
"""Left-to-right order of the track bands in the SVG."""


class NoCareerPath(AppError):
    """404: both roles exist but no sequence of transitions joins them."""

    status = 404
    title = "No career path"
    slug = "no-career-path"


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
        id=role.id,
        code=role.code,
        title_th=role.title_th,
        title_en=role.title_en,
        track=role.track,
        level=role.level,
        description=role.description,
        position_levels=list(role.position_levels or []),
        critical=role.critical,
        retired=role.retired,
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
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(Role.code).like(like),
                sa.func.lower(Role.title_en).like(like),
                Role.title_th.like(f"%{q}%"),
            )
        )
    rows = session.execute(stmt.order_by(Role.track, Role.level, Role.code)).all()
    return [
        RoleListItem(
            id=r.id,
            code=r.code,
            title_th=r.title_th,
            title_en=r.title_en,
            track=r.track,
            level=r.level,
            position_levels=list(r.position_levels or []),
            critical=r.critical,
            retired=r.retired,
            requirements=n or 0,
        )
        for r, n in rows
    ]


def create_role(session: Session, data: RoleCreate) -> Role:
    if session.scalar(sa.select(Role.id).where(Role.code == data.code)) is not None:
        raise Conflict(f"role code {data.code} is taken", errors=[FieldError("code", "already in use")])
    rows = _requirement_rows(session, data.requirements)
    role = Role(
        code=data.code,
        title_th=data.title_th,
        title_en=data.title_en,
        track=data.track,
        level=data.level,
        description=data.description,
        position_levels=[str(p) for p in data.position_levels],
        critical=data.critical,
    )
    session.add(role)
    session.flush()
    if rows:
        session.execute(sa.insert(RoleRequirement), [{"role_id": role.id, **r} for r in rows])
    bump_version(session, GRAPH_STAMP)
    return role


def update_role(session: Session, code: str, data: RoleUpdate) -> Role:
    role = lock_for_edit(session, get_role(session, code))
    if data.version is not msgspec.UNSET and data.version != role.version:
        raise Conflict(
            f"role {code} was changed by someone else (version {role.version}, you sent {data.version})",
            rule="stale_edit",
        )
    for name in ("title_th", "title_en", "track", "level", "description", "critical", "retired"):
        value = getattr(data, name)
        if value is not msgspec.UNSET:
            setattr(role, name, value)
    if data.position_levels is not msgspec.UNSET:
        role.position_levels = [str(p) for p in data.position_levels]
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
    t = session.get(RoleTransition, transition_id)
    if t is None:
        raise NotFound("transition", transition_id)
    return t


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


# --- the graph ------------------------------------------------------------------------------------


def _subgraph(data: cache.CareerData, around: str | None, radius: int) -> nx.DiGraph:
    if around is None:
        return data.graph
    rid = data.by_code.get(around)
    if rid is None:
        raise Invalid.one("around", f"no role with code {around}")
    return neighbourhood(data.graph, rid, radius)


def graph(
    engine: Engine, *, around: str | None = None, radius: int = 1, track: Track | None = None,
    include_retired: bool = True,
) -> GraphOut:  # fmt: skip
    data = cache.career_data(engine)
    g = _subgraph(data, around, radius)
    nodes = [
        GraphNode(
            code=r.code,
            title_th=r.title_th,
            title_en=r.title_en,
            track=Track(r.track),
            level=r.level,
            critical=r.id in data.critical,
            retired=r.retired,
        )
        for r in sorted((data.roles[n] for n in g), key=lambda r: (r.track, r.level, r.code))
        if (track is None or r.track == track) and (include_retired or not r.retired)
    ]
    keep = {n.code for n in nodes}
    edges = [
        GraphEdge(
            id=d.get("id") or 0,
            from_role=data.roles[u].code,
            to_role=data.roles[v].code,
            kind=TransitionKind(d["kind"]),
            min_years=d["min_years"],
        )
        for u, v, d in g.edges(data=True)
        if data.roles[u].code in keep and data.roles[v].code in keep
    ]
    edges.sort(key=lambda e: (e.from_role, e.to_role))
    return GraphOut(nodes=nodes, edges=edges, version=data.version, around=around, radius=radius if around else None)


def graph_svg(
    engine: Engine, *, around: str | None = None, radius: int = 1, track: Track | None = None,
    lang: str = "en", include_retired: bool = True,
) -> str:  # fmt: skip
    out = graph(engine, around=around, radius=radius, track=track, include_retired=include_retired)
    svg_nodes = [
        SvgNode(
            id=i,
            code=n.code,
            title=n.title_th if lang == "th" else n.title_en,
            track=n.track.value,
            level=n.level,
            highlight=n.code == around,
            retired=n.retired,
        )
        for i, n in enumerate(out.nodes)
    ]
    ids = {n.code: n.id for n in svg_nodes}
    svg_edges = [SvgEdge(ids[e.from_role], ids[e.to_role], e.kind.value, e.min_years) for e in out.edges]
    title = f"Career paths around {around}" if around else "Career paths"
    return render_svg(
        svg_nodes,
        svg_edges,
        track_order=TRACK_ORDER,
        track_labels={t.value: label for t, label in TRACK_LABELS.items()},
        title=title,
    )


# --- person x role --------------------------------------------------------------------------------


class PersonFacts(msgspec.Struct, frozen=True):
    id: int
    role_id: int | None
    role_since: dt.date | None
    agency_id: int | None

    def years_in_role(self, today: dt.date | None = None) -> float:
        if self.role_since is None:
            return 0.0
        days = ((today or clock.today()) - self.role_since).days
        return max(0.0, days / 365.25)


def person_facts(conn: sa.Connection | Session, person_id: int) -> PersonFacts:
    row = conn.execute(
        sa.select(Person.id, Person.role_id, Person.role_since, Person.agency_id).where(Person.id == person_id)
    ).first()
    if row is None:
        raise NotFound("person", person_id)
    return PersonFacts(*row)


def load_profile(conn: sa.Connection | Session, person_id: int) -> dict[int, int]:
    """The person's current levels ``{skill_id: level}``: their ``current_skill`` rows, as the skills package
    maintains them (equivalent skills already count for each other; lapsed certifications leave at the daily
    ``hrsys assessments refresh-expired``)."""
    cs = CurrentSkill.__table__
    rows = conn.execute(sa.select(cs.c.skill_id, cs.c.level).where(cs.c.person_id == person_id))
    return {sid: level for sid, level in rows}


def gap_items(data: cache.CareerData, gap: Gap, only_unmet: bool = False) -> list[GapItemOut]:
    out = []
    for i in gap.items:
        if only_unmet and i.met:
            continue
        info = data.skills.get(i.skill_id)
        out.append(
            GapItemOut(
                skill=info.ref if info else str(i.skill_id),
                skill_id=i.skill_id,
                name_en=info.name_en if info else "",
                name_th=info.name_th if info else None,
                need=i.need,
                have=i.have,
                shortfall=i.shortfall,
                essential=i.essential,
                weight=i.weight,
                met=i.met,
            )
        )
    return out


def _role_or_422(data: cache.CareerData, code: str, field: str) -> int:
    rid = data.by_code.get(code)
    if rid is None:
        raise Invalid.one(field, f"no role with code {code}")
    return rid


def person_gap(engine: Engine, person_id: int, role_code: str | None) -> GapOut:
    with read_engine(engine).connect() as conn:
        data = cache.career_data(engine, conn)
        person = person_facts(conn, person_id)
        profile = load_profile(conn, person_id)
    if role_code is None:
        if person.role_id is None:
            raise Invalid.one("role", "the person has no current role; name the role to compare with")
        rid = person.role_id
    else:
        rid = _role_or_422(data, role_code, "role")
    role = data.roles[rid]
    gap = compute_gap(role.requirements, profile)
    return GapOut(
        person_id=person_id,
        role=role.code,
        role_title_en=role.title_en,
        role_title_th=role.title_th,
        readiness=gap.readiness,
        ready_now=gap.ready_now,
        essentials_met=gap.essentials_met,
        essentials_total=gap.essentials_total,
        total_shortfall=gap.total_shortfall,
        weighted_shortfall=gap.weighted_shortfall,
        items=gap_items(data, gap),
        formula=READINESS_FORMULA,
    )


def _start_role(data: cache.CareerData, person: PersonFacts, from_role: str | None) -> tuple[int, float]:
    """The role to start from and the years already served in it."""
    if from_role is not None:
        rid = _role_or_422(data, from_role, "from")
        return rid, person.years_in_role() if rid == person.role_id else 0.0
    if person.role_id is None:
        raise Invalid.one("from", "the person has no current role; name a role to start from")
    return person.role_id, person.years_in_role()


def person_paths(
    engine: Engine, person_id: int, to_role: str, *, k: int = 3, from_role: str | None = None,
    years_weight: float = 1.0,
) -> PathsOut:  # fmt: skip
    with read_engine(engine).connect() as conn:
        data = cache.career_data(engine, conn)
        person = person_facts(conn, person_id)
        profile = load_profile(conn, person_id)
    target = _role_or_422(data, to_role, "to")
    source, served = _start_role(data, person, from_role)
    if source == target:
        raise Invalid.one("to", f"{to_role} is the role the path starts from")
    try:
        paths = k_best_paths(data.graph, source, target, profile, k=k, years_weight=years_weight, years_served=served)
    except NoPathError as exc:
        raise NoCareerPath(
            exc.reason,
            extra={
                "from": data.roles[source].code,
                "to": to_role,
                "roles_leading_to_target": [data.roles[r].code for r in exc.entry_role_ids],
            },
        ) from exc
    out = []
    for p in paths:
        steps = []
        for s in p.steps:
            role = data.roles[s.role_id]
            steps.append(
                PathStepOut(
                    from_role=data.roles[s.from_role_id].code,
                    role=role.code,
                    title_en=role.title_en,
                    title_th=role.title_th,
                    kind=TransitionKind(s.kind),
                    min_years=s.min_years,
                    remaining_years=s.remaining_years,
                    cost=s.cost,
                    readiness=s.gap.readiness,
                    ready_now=s.gap.ready_now,
                    weighted_shortfall=s.gap.weighted_shortfall,
                    gap=gap_items(data, s.gap),
                )
            )
        out.append(
            PathOut(
                roles=[data.roles[r].code for r in p.role_ids],
                cost=p.cost,
                total_shortfall=p.total_shortfall,
                total_min_years=p.total_min_years,
                steps=steps,
            )
        )
    return PathsOut(
        person_id=person_id,
        from_role=data.roles[source].code,
        to_role=to_role,
        k=k,
        years_weight=years_weight,
        cost=PATH_COST,
        paths=out,
    )


def person_next_moves(engine: Engine, person_id: int, *, from_role: str | None = None) -> NextMovesOut:
    with read_engine(engine).connect() as conn:
        data = cache.career_data(engine, conn)
        person = person_facts(conn, person_id)
        profile = load_profile(conn, person_id)
    source, served = _start_role(data, person, from_role)
    moves = []
    for m in next_moves(data.graph, source, profile, years_served=served):
        role = data.roles[m.role_id]
        moves.append(
            NextMoveOut(
                role=role.code,
                title_en=role.title_en,
                title_th=role.title_th,
                track=Track(role.track),
                level=role.level,
                kind=TransitionKind(m.kind),
                min_years=m.min_years,
                remaining_years=m.remaining_years,
                readiness=m.gap.readiness,
                ready_now=m.gap.ready_now,
                essentials_met=m.gap.essentials_met,
                essentials_total=m.gap.essentials_total,
                total_shortfall=m.gap.total_shortfall,
                missing=gap_items(data, m.gap, only_unmet=True),
            )
        )
    return NextMovesOut(person_id=person_id, from_role=data.roles[source].code, moves=moves)
