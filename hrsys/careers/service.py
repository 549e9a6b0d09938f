"""The career questions asked of the roles graph: the graph itself (JSON, SVG), a person's gap, paths and next
moves (reads).

Reads use the per-process cache of :mod:`hrsys.careers.cache` and one or two Core
queries for the person.
"""

from __future__ import annotations

import datetime as dt

import msgspec
import networkx as nx
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.careers import cache
from hrsys.careers.gap import Gap, compute_gap
from hrsys.careers.models import Track, TransitionKind
from hrsys.careers.paths import (
    NoPathError,
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
)
from hrsys.careers.svg import SvgEdge, SvgNode, render_svg
from hrsys.core import clock
from hrsys.core.copying import copied
from hrsys.core.db import read_engine
from hrsys.core.errors import AppError, Invalid, NotFound
from hrsys.people.models import Person
from hrsys.skills.assessments.models import CurrentSkill

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
        copied(GraphNode, r, track=Track(r.track), critical=r.id in data.critical)
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
            copied(
                GapItemOut,
                i,
                skill=info.ref if info else str(i.skill_id),
                name_en=info.name_en if info else "",
                name_th=info.name_th if info else None,
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
    return copied(
        GapOut,
        gap,
        person_id=person_id,
        role=role.code,
        role_title_en=role.title_en,
        role_title_th=role.title_th,
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
