"""The pool a team proposal solves over, read from the database: the people of :func:`~hrsys.taskforces.walk.exact_pool`
(and, for suggestions, per need up to ``NEAR_PER_NEED`` civil servants one or two levels short and up to
``EXPERTS_PER_NEED`` external experts with the level), their levels in every needed skill (primary key), their
free time over the period (:func:`hrsys.allocation.service.free_capacities`), the collaboration graph around
them (past task forces they served in, with everyone who served there, and the edges of the registered
collaboration sources: enough to know every distance up to two hops exactly) and the courses that raise the
needed skills. About ten indexed round trips, whatever the size of the civil service.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import msgspec
import networkx as nx
import sqlalchemy as sa

from hrsys.agencies.models import Agency
from hrsys.allocation.service import free_capacities
from hrsys.people.models import Person, PersonKind
from hrsys.taskforces.assembly.structs import Candidate, CourseOption, Need, Options, SkillLevel, TeamMate
from hrsys.taskforces.extensions import collaboration_sources
from hrsys.taskforces.models import TaskForceMember
from hrsys.taskforces.queries import CS, Target, among, valid_on
from hrsys.taskforces.states import SERVED
from hrsys.taskforces.walk import DEFAULT_MONTHLY_COST, PoolRead, exact_pool
from hrsys.training.models import Course, CourseOutcome

P = Person.__table__
A = Agency.__table__
M = TaskForceMember.__table__

NEAR_PER_NEED = 8
EXPERTS_PER_NEED = 8


class Pool(msgspec.Struct, kw_only=True):
    """What team assembly needs, read from the database."""

    candidates: list[Candidate]
    graph: nx.Graph
    current: list[TeamMate]
    courses: list[CourseOption]
    exact: bool = True
    """An optimal team over the whole eligible pool exists among ``candidates`` (``walk.exact_pool``)."""
    cheapest: list[int | None] = []
    """Per need, the least monthly cost of anyone eligible with the level (None: nobody besides the team)."""


def _narrow_statement(
    needs: list[Need], on: dt.date, agency_ids: list[int] | None, exclude: list[int]
) -> sa.CompoundSelect:
    parts = []
    for nd in needs:
        base = (
            sa.select(CS.c.person_id)
            .select_from(CS.join(P, P.c.id == CS.c.person_id))
            .where(CS.c.skill_id == nd.skill_id, P.c.active, valid_on(on))
        )
        if exclude:
            base = base.where(CS.c.person_id.not_in(exclude))
        internal_ok = P.c.agency_id.in_(agency_ids) if agency_ids is not None else sa.true()
        near = (
            base.where(
                CS.c.level < nd.min_level,
                CS.c.level >= max(0, nd.min_level - 2),
                P.c.kind == PersonKind.civil_servant,
                internal_ok,
            )
            .order_by(CS.c.level.desc(), CS.c.person_id.desc())  # one direction: a backward index scan, no sort
            .limit(NEAR_PER_NEED)
        )
        # External experts are few: walk them (index on kind, id) and look each one's level up by primary key,
        # rather than walk every holder of the skill looking for experts.
        has_level = (
            sa.select(CS.c.person_id)
            .where(CS.c.person_id == P.c.id, CS.c.skill_id == nd.skill_id, CS.c.level >= nd.min_level, valid_on(on))
            .exists()
        )
        experts = (
            sa.select(P.c.id.label("person_id"))
            .where(P.c.kind == PersonKind.external_expert, P.c.active, has_level)
            .order_by(P.c.kind, P.c.id)
            .limit(EXPERTS_PER_NEED)
        )
        if exclude:
            experts = experts.where(P.c.id.not_in(exclude))
        parts += [sa.select(q.subquery().c.person_id) for q in (near, experts)]
    return sa.union_all(*parts)


def _evidence(source: Any, assessed_on: dt.date, valid_until: dt.date | None) -> str:
    text = f"{getattr(source, 'value', source)}, {assessed_on.isoformat()}"
    if valid_until is not None:
        text += f" (valid until {valid_until.isoformat()})"
    return text


def load_pool(
    session: Target,
    *,
    needs: list[Need],
    starts_on: dt.date,
    ends_on: dt.date,
    agency_ids: list[int] | None,
    include: list[int],
    exclude: list[int],
    current_members: list[int],
    lead_id: int | None,
    options: Options | None = None,
    whole: bool = False,
    walk_limit: int | None = None,
    suggestions: bool = True,
) -> Pool:
    """Read the narrowed candidate pool, the collaboration graph around it and the courses (see the module docstring).

    ``whole``: every active person with the level of a need instead of ``walk.exact_pool`` (for the benchmark
    that checks the narrowing loses nothing). ``suggestions``: also the people short of a level and the
    external experts with it that an uncovered need names (:func:`_narrow_statement`)."""
    ids: set[int] = set(include)
    walked = PoolRead(ids=set())
    team_ids = set(current_members) | ({lead_id} if lead_id else set())
    if needs and whole:
        for nd in needs:
            q = (
                sa.select(CS.c.person_id)
                .select_from(CS.join(P, P.c.id == CS.c.person_id))
                .where(CS.c.skill_id == nd.skill_id, CS.c.level >= nd.min_level, valid_on(starts_on), P.c.active)
            )
            if agency_ids is not None:
                q = q.where(sa.or_(P.c.kind == PersonKind.external_expert, P.c.agency_id.in_(agency_ids)))
            ids.update(session.scalars(q))
        ids.difference_update(exclude)
    if needs and suggestions:
        ids.update(session.scalars(_narrow_statement(needs, starts_on, agency_ids, exclude)))
    if needs and not whole:
        walked = exact_pool(
            session,
            needs,
            on=starts_on,
            ends_on=ends_on,
            agency_ids=agency_ids,
            exclude=exclude,
            team_ids=team_ids,
            options=options or Options(),
            walk_limit=walk_limit,
        )
        ids |= walked.ids
    ids |= team_ids  # the lead and current members may take a need (no new pairs): always read
    ids.difference_update(set(exclude) - team_ids)
    skills = sorted({nd.skill_id for nd in needs})
    people_ids = sorted(ids | team_ids)
    people: dict[int, Any] = {}
    if people_ids:
        for r in session.execute(
            sa.select(
                P.c.id,
                P.c.kind,
                P.c.first_name_th,
                P.c.last_name_th,
                P.c.first_name_en,
                P.c.last_name_en,
                P.c.agency_id,
                P.c.organisation,
                P.c.monthly_cost_baht,
                P.c.active,
                A.c.code,
            )
            .select_from(P.outerjoin(A, A.c.id == P.c.agency_id))
            .where(among(session, P.c.id, people_ids))
        ):
            people[r.id] = r
    levels: dict[int, dict[int, SkillLevel]] = defaultdict(dict)
    cand_ids = sorted(i for i in ids if i in people and people[i].active)
    if cand_ids and skills:
        for r in session.execute(
            sa.select(CS.c.person_id, CS.c.skill_id, CS.c.level, CS.c.source, CS.c.assessed_on, CS.c.valid_until).where(
                among(session, CS.c.person_id, cand_ids), CS.c.skill_id.in_(skills), valid_on(starts_on)
            )
        ):
            levels[r.person_id][r.skill_id] = SkillLevel(
                level=r.level, evidence=_evidence(r.source, r.assessed_on, r.valid_until)
            )
    free = free_capacities(session, cand_ids, starts_on, ends_on)
    candidates = []
    for pid in cand_ids:
        r = people[pid]
        internal = r.kind == PersonKind.civil_servant
        cost = r.monthly_cost_baht
        candidates.append(
            Candidate(
                person_id=pid,
                name=f"{r.first_name_th} {r.last_name_th}",
                internal=internal,
                agency_id=r.agency_id,
                monthly_cost=cost if cost is not None else DEFAULT_MONTHLY_COST[PersonKind(r.kind)],
                cost_estimated=cost is None,
                free=free.get(pid, 100),
                skills=levels.get(pid, {}),
                note=(r.code or "") if internal else (r.organisation or "external expert"),
            )
        )
    current = [
        TeamMate(
            person_id=pid,
            name=f"{people[pid].first_name_th} {people[pid].last_name_th}" if pid in people else "",
            internal=pid not in people or people[pid].kind == PersonKind.civil_servant,
            member=pid in current_members,
        )
        for pid in sorted(team_ids)
    ]
    graph = collaboration_graph(session, sorted(set(cand_ids) | team_ids))
    courses = []
    if skills:
        for r in session.execute(
            sa.select(
                Course.id,
                Course.code,
                Course.title_en,
                CourseOutcome.skill_id,
                CourseOutcome.level,
                Course.hours,
                Course.cost_baht,
            )
            .join(CourseOutcome, CourseOutcome.course_id == Course.id)
            .where(CourseOutcome.skill_id.in_(skills), Course.active)
        ):
            courses.append(
                CourseOption(
                    course_id=r[0], code=r[1], title=r[2], skill_id=r[3], level=r[4], hours=float(r[5]), cost=r[6]
                )
            )
    return Pool(
        candidates=candidates,
        graph=graph,
        current=current,
        courses=courses,
        exact=walked.exact,
        cheapest=walked.cheapest,
    )


def collaboration_graph(session: Target, person_ids: list[int]) -> nx.Graph:
    """People linked when they served in the same task force (active or ended: not withdrawn, pending or
    released) or by an edge of a registered source (knowledge-transfer counterparts:
    :mod:`hrsys.taskforces.extensions`), around ``person_ids``: their task forces with every member, so
    distances up to two hops between them are exact."""
    g = nx.Graph()
    g.add_nodes_from(person_ids)
    if not person_ids:
        return g
    served = M.c.status.in_(SERVED)
    tf_ids = sorted(
        set(
            session.scalars(
                sa.select(M.c.taskforce_id).where(among(session, M.c.person_id, person_ids), served).distinct()
            )
        )
    )
    if tf_ids:
        teams: dict[int, set[int]] = defaultdict(set)
        for tf_id, pid in session.execute(
            sa.select(M.c.taskforce_id, M.c.person_id).where(among(session, M.c.taskforce_id, tf_ids), served)
        ):
            teams[tf_id].add(pid)
        for members in teams.values():
            ordered = sorted(members)
            g.add_nodes_from(ordered)
            for i, u in enumerate(ordered):
                for v in ordered[i + 1 :]:
                    g.add_edge(u, v)
    for source in collaboration_sources():
        for u, v in session.execute(source.pairs(session, person_ids)):
            if u != v:
                g.add_edge(u, v)
    return g
