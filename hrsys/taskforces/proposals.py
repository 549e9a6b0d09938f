"""Team proposals: read the pool (:mod:`~hrsys.taskforces.pool`), call team assembly within the proposal's time,
store the result as an open proposal, show it as the reader may see it, accept it or discard it."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from fractions import Fraction
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.access import audit
from hrsys.access.identity import CurrentUser
from hrsys.agencies.models import Agency
from hrsys.allocation.service import ensure_capacity
from hrsys.core.copying import copied
from hrsys.core.db import read_engine
from hrsys.core.errors import Conflict, FieldError, NotFound, check
from hrsys.core.fiscal import months_in_period
from hrsys.skills.catalog.models import Skill
from hrsys.taskforces import consent, service
from hrsys.taskforces.assembly.solve import assemble
from hrsys.taskforces.assembly.structs import SATANG, Need, Options, Team, period_cost
from hrsys.taskforces.members import default_start, member_counts, members_out
from hrsys.taskforces.models import TaskForce, TaskForceMember, TaskForceNeed, TeamProposal
from hrsys.taskforces.pool import Pool, load_pool
from hrsys.taskforces.queries import Target
from hrsys.taskforces.schemas import MemberOut, ProposalListItem, ProposalOut, ProposalRequest
from hrsys.taskforces.states import HOLDING, PROPOSALS, MemberStatus, ProposalStatus
from hrsys.taskforces.visibility import cost_visible, mask_team, team_people
from hrsys.taskforces.walk import WALK_LIMIT

A = Agency.__table__
M = TaskForceMember.__table__

PROPOSAL_TIME_MS = 150.0
"""Time one proposal may take, reading and solving together: the solver's searches get what the reads left
(at least ``MIN_SOLVE_MS``); the greedy starts always run."""
MIN_SOLVE_MS = 40.0
PARTLY_READ_SOLVE_MS = 15.0
"""The least solving time when the pool was read in part (:func:`~hrsys.taskforces.walk.exact_pool`): no
proof can come of it, so the searches only polish the greedy team, whose people's cost is already the floor's
at national scale."""


def _agency_ids(session: Target, codes: list[str] | None) -> list[int] | None:
    """Ids of the agencies (with their subtrees) of ``codes``; 422 for an unknown code."""
    if codes is None:
        return None
    errors = []
    ids: set[int] = set()
    for i, code in enumerate(codes):
        path = session.scalar(sa.select(A.c.path).where(A.c.code == code))
        if path is None:
            errors.append(FieldError(f"agencies[{i}]", f"no agency with code {code}"))
            continue
        hi = path[:-1] + "0"
        ids.update(session.scalars(sa.select(A.c.id).where(A.c.path >= path, A.c.path < hi)))
    check(errors)
    return sorted(ids)


def to_options(data: ProposalRequest, agency_ids: list[int] | None, **kw: Any) -> Options:
    return Options(
        agencies=frozenset(agency_ids) if agency_ids is not None else None,
        prefer_internal=data.prefer_internal,
        external_penalty=data.external_penalty_baht,
        max_externals=data.max_externals,
        include=frozenset(data.include),
        exclude=frozenset(data.exclude),
        communication_cost=data.communication_cost_baht,
        **kw,
    )


def open_needs(conn: Target, taskforce_id: int) -> list[Need]:
    """The task force's needs with the headcount still to fill (a need already full has headcount 0)."""
    filled = member_counts(conn, taskforce_id)
    N, S = TaskForceNeed.__table__, Skill.__table__
    rows = conn.execute(
        sa.select(
            N.c.id, N.c.skill_id, N.c.min_level, N.c.headcount, N.c.allocation, N.c.essential, S.c.code, S.c.name_en
        )
        .join(S, S.c.id == N.c.skill_id)
        .where(N.c.taskforce_id == taskforce_id)
        .order_by(N.c.id)
    )
    return [
        Need(
            id=r.id,
            skill_id=r.skill_id,
            min_level=r.min_level,
            headcount=max(0, r.headcount - filled.get(r.id, 0)),
            allocation=r.allocation,
            essential=r.essential,
            label=f"{r.name_en} ({r.code})",
        )
        for r in rows
    ]


def proposal_period(tf: Any, on: dt.date) -> tuple[dt.date, dt.date]:
    """From today (or the start, if later) to the end of the task force; 409 once it has ended."""
    if on > tf.ends_on:
        raise Conflict(
            f"task force {tf.code} ended on {tf.ends_on}: there is no period left to staff", rule="period_over"
        )
    return default_start(tf, on), tf.ends_on


def build_team(
    session: Target,
    *,
    needs: list[Need],
    starts_on: dt.date,
    ends_on: dt.date,
    data: ProposalRequest,
    current_members: list[int],
    lead_id: int | None,
    search_budget: int | None = None,
    time_limit_ms: float | None = PROPOSAL_TIME_MS,
) -> Team:
    """Narrow, read and solve: the team for ``needs`` over the period (reads only), within ``time_limit_ms``
    for both (None: no limit, the solver's work budget alone)."""
    started = time.perf_counter()
    agency_ids = _agency_ids(session, data.agencies)
    months = float(months_in_period(starts_on, ends_on))
    # The suggestions (people short of a level, experts) serve only needs left uncovered: read them, and
    # solve again, only then. They change nothing else: the walk alone makes the reading exact or bounded.
    for suggestions in (False, True):
        pool = load_pool(
            session,
            needs=[n for n in needs if n.headcount > 0],
            starts_on=starts_on,
            ends_on=ends_on,
            agency_ids=agency_ids,
            include=list(data.include),
            exclude=list(data.exclude),
            current_members=current_members,
            lead_id=lead_id,
            options=to_options(data, agency_ids, months=months),
            walk_limit=WALK_LIMIT,  # this module's, looked up at each call
            suggestions=suggestions,
        )
        left = None
        if time_limit_ms is not None:
            least = MIN_SOLVE_MS if pool.exact else PARTLY_READ_SOLVE_MS
            left = max(least, time_limit_ms - (time.perf_counter() - started) * 1000)
        extra: dict[str, Any] = {"time_limit_ms": left, "months": months}
        if search_budget is not None:
            extra["search_budget"] = search_budget
        team = assemble(
            needs,
            pool.candidates,
            pool.graph,
            to_options(data, agency_ids, **extra),
            current=pool.current,
            courses=pool.courses,
        )
        if not any(u.missing for u in team.uncovered):
            break
    return team if pool.exact else partly_read(team, [n for n in needs if n.headcount > 0], pool, months)


def partly_read(team: Team, needs: list[Need], pool: Pool, months: float) -> Team:
    """The claims of a team chosen from a pool not read exactly (:func:`~hrsys.taskforces.walk.exact_pool`): no
    optimum over the whole eligible pool, and as the bound the floor of the people's cost, ``sum of h_j * c_j``
    with ``c_j`` the cost on need ``j`` of the cheapest eligible person with the level (the walk's first, or
    someone of the team), when every slot is covered (0 otherwise: a team covering fewer slots may cost less)."""
    team.optimal = False
    team.method = team.method.split(",")[0] + ", pool read in part (not proven optimal)"
    if any(u.missing for u in team.uncovered):
        team.lower_bound = 0.0
        return team
    frac = Fraction(months)
    floor = 0
    for j, nd in enumerate(needs):
        costs = [
            c.monthly_cost
            for c in pool.candidates
            if (sl := c.skills.get(nd.skill_id)) is not None and sl.level >= nd.min_level
        ]
        if j < len(pool.cheapest) and pool.cheapest[j] is not None:
            costs.append(pool.cheapest[j])  # type: ignore[arg-type]
        if costs:
            floor += nd.headcount * period_cost(min(costs), nd.allocation, frac)
    bound = round(floor / SATANG, 2)
    team.lower_bound = bound if team.cost.total is None else min(team.cost.total, bound)
    return team


def _current_members(conn: Target, taskforce_id: int) -> list[int]:
    return sorted(
        set(conn.scalars(sa.select(M.c.person_id).where(M.c.taskforce_id == taskforce_id, M.c.status.in_(HOLDING))))
    )


def create(
    session: Session, taskforce_id: int, data: ProposalRequest, *, on: dt.date | None = None, user_id: int | None = None
) -> TeamProposal:
    """Assemble a team for the needs still open and keep it as an open proposal.

    The reads and the solving happen on a separate read-only connection, so the write transaction (the
    request's) only lasts for storing the proposal: on SQLite, other writers are not held up while it solves.
    """
    on = on or service.today()
    T = TaskForce.__table__
    with read_engine(_engine_of(session)).connect() as conn:
        tf = conn.execute(
            sa.select(T.c.id, T.c.code, T.c.status, T.c.starts_on, T.c.ends_on, T.c.lead_id).where(
                T.c.id == taskforce_id
            )
        ).first()
        if tf is None:
            raise NotFound("task force", taskforce_id)
        service.require_editable(tf)
        starts_on, ends_on = proposal_period(tf, on)
        needs = open_needs(conn, taskforce_id)
        if not needs:
            raise Conflict(f"task force {tf.code} has no needs: state them first", rule="no_needs")
        team = build_team(
            conn,
            needs=needs,
            starts_on=starts_on,
            ends_on=ends_on,
            data=data,
            current_members=_current_members(conn, taskforce_id),
            lead_id=tf.lead_id,
        )
    locked = service.get(session, taskforce_id, lock=True)
    service.require_editable(locked)
    return service.added(
        session,
        TeamProposal(
            taskforce_id=taskforce_id,
            status=ProposalStatus.open,
            created_by_user_id=user_id,
            options=msgspec.to_builtins(data),
            result={
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
                "needs": [msgspec.to_builtins(n) for n in needs],
                "team": msgspec.to_builtins(team),
            },
        ),
    )


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def to_out(p: TeamProposal, session: Target | None = None, viewer: CurrentUser | None = None) -> ProposalOut:
    """The proposal as ``viewer`` may see it: the costs of people whose cost they may not see are None
    (:func:`hrsys.taskforces.visibility.mask_team`); a read of costs they may see leaves an audit event per
    person (as reading the person's record does)."""
    team = msgspec.convert(p.result["team"], Team)
    if session is not None and viewer is not None:
        people = team_people(team)
        visible = cost_visible(session, viewer, people)
        team = mask_team(team, visible)
        for pid in sorted(visible - {viewer.person_id}):
            audit.record(
                session,
                action="read",
                entity="person",
                entity_id=pid,
                person_id=pid,
                after={"view": "full", "fields": ["monthly_cost_baht"], "via": f"team proposal {p.id}"},
            )
    return copied(
        ProposalOut,
        p,
        allowed_moves=PROPOSALS.allowed(p.status),
        starts_on=dt.date.fromisoformat(p.result["starts_on"]),
        ends_on=dt.date.fromisoformat(p.result["ends_on"]),
        team=team,
        pending_consent=_pending_consent(session, p),
    )


def _pending_consent(session: Target | None, p: TeamProposal) -> list[int]:
    """The people of an accepted proposal whose memberships still wait for consent."""
    ids = p.result.get("member_ids") or []
    if session is None or not ids:
        return []
    return sorted(
        set(session.scalars(sa.select(M.c.person_id).where(M.c.id.in_(ids), M.c.status == MemberStatus.pending)))
    )


def read(session: Session, taskforce_id: int, proposal_id: int, viewer: CurrentUser | None = None) -> ProposalOut:
    tf = service.get(session, taskforce_id)
    return to_out(service.part_of(session, tf, TeamProposal, proposal_id, "proposal"), session, viewer)


def list_proposals(session: Session, taskforce_id: int, viewer: CurrentUser | None = None) -> list[ProposalListItem]:
    """Newest first; ``total_cost`` is None when a member's cost is masked for ``viewer`` (see ``to_out``)."""
    tf = service.get(session, taskforce_id)
    out = []
    proposals = list(
        session.scalars(
            sa.select(TeamProposal).where(TeamProposal.taskforce_id == tf.id).order_by(TeamProposal.id.desc())
        )
    )
    everyone = {m["person_id"] for p in proposals for m in p.result.get("team", {}).get("members", [])}
    visible = cost_visible(session, viewer, everyone)
    for p in proposals:
        team = p.result.get("team", {})
        masked = any(m["person_id"] not in visible for m in team.get("members", []))
        out.append(
            copied(
                ProposalListItem,
                p,
                members=len(team.get("members", [])),
                uncovered=sum(u.get("missing", 0) for u in team.get("uncovered", [])),
                total_cost=None if masked else team.get("cost", {}).get("total", 0.0),
                optimal=bool(team.get("optimal", False)),
            )
        )
    return out


def discard(session: Session, taskforce_id: int, proposal_id: int, viewer: CurrentUser | None = None) -> ProposalOut:
    tf = service.get(session, taskforce_id, lock=True)
    p = service.part_of(session, tf, TeamProposal, proposal_id, "proposal")
    p.status = PROPOSALS.next(p.status, ProposalStatus.discarded, subject=p.id)
    session.flush()
    return to_out(p, session, viewer)


def accept(
    session: Session,
    taskforce_id: int,
    proposal_id: int,
    *,
    on: dt.date | None = None,
    user: CurrentUser | None = None,
) -> list[MemberOut]:
    """Turn an open proposal into members, all or nothing.

    Under the task-force lock, every need must still exist unchanged with room for the
    proposed people, and every person must still be free: each is checked by the shared
    allocation rule (locked, in id order). If anyone is no longer free the answer is one
    409 listing all of them, and nothing is written. People outside ``user``'s scope
    become ``pending`` members, and consent is asked for (:mod:`hrsys.taskforces.consent`).
    """
    on = on or service.today()
    tf = service.get(session, taskforce_id, lock=True)
    service.require_editable(tf)
    p = service.part_of(session, tf, TeamProposal, proposal_id, "proposal")
    PROPOSALS.next(p.status, ProposalStatus.accepted, subject=p.id)
    period_start = dt.date.fromisoformat(p.result["starts_on"])
    ends_on = dt.date.fromisoformat(p.result["ends_on"])
    if on > ends_on:
        raise Conflict(f"proposal {p.id} was for a period that ended on {ends_on}", rule="proposal_stale")
    starts_on = max(period_start, default_start(tf, on))
    team = msgspec.convert(p.result["team"], Team)
    snapshot = {n["id"]: n for n in p.result["needs"]}
    filled = member_counts(session, tf.id)
    wanted: Counter[int] = Counter(f.need_id for m in team.members for f in m.fills)
    problems = []
    for need_id, count in sorted(wanted.items()):
        need = session.get(TaskForceNeed, need_id)
        was = snapshot.get(need_id)
        if need is None or need.taskforce_id != tf.id:
            problems.append(f"need {need_id} no longer exists")
            continue
        if was is not None and (need.skill_id, need.min_level, need.allocation) != (
            was["skill_id"],
            was["min_level"],
            was["allocation"],
        ):
            problems.append(f"need {need_id} changed since the proposal")
        if filled.get(need_id, 0) + count > need.headcount:
            problems.append(f"need {need_id} has room for {need.headcount - filled.get(need_id, 0)}, not {count}")
    for m in team.members:
        for f in m.fills:
            clash = session.scalar(
                sa.select(M.c.id).where(
                    M.c.taskforce_id == tf.id,
                    M.c.person_id == m.person_id,
                    M.c.need_id == f.need_id,
                    M.c.status.in_(HOLDING),
                )
            )
            if clash is not None:
                problems.append(f"person {m.person_id} already fills need {f.need_id}")
    if problems:
        raise Conflict(
            f"proposal {p.id} no longer fits the task force: " + "; ".join(problems) + ". Ask for a new proposal.",
            rule="proposal_stale",
            extra={"problems": problems},
        )
    busy = []
    for m in sorted(team.members, key=lambda m: m.person_id):
        try:
            ensure_capacity(session, m.person_id, starts_on, ends_on, m.allocation)
        except Conflict as exc:
            busy.append({"person_id": m.person_id, "name": m.name, **(exc.extra or {})})
        except NotFound:
            busy.append({"person_id": m.person_id, "name": m.name, "detail": "no longer exists"})
    if busy:
        names = ", ".join(f"{b['name'] or b['person_id']}" for b in busy)
        raise Conflict(
            f"{len(busy)} proposed member(s) are no longer free over {starts_on} to {ends_on}: {names}. "
            "Nothing was written; ask for a new proposal.",
            rule="allocation_capacity",
            extra={"people": busy},
        )
    created = []
    asks = []
    for m in team.members:
        parties = consent.consent_parties(session, user, tf, m.person_id)
        mine = []
        for f in m.fills:
            member = TaskForceMember(
                taskforce_id=tf.id,
                person_id=m.person_id,
                need_id=f.need_id,
                allocation=f.allocation,
                starts_on=starts_on,
                ends_on=ends_on,
                status=MemberStatus.active if parties is None else MemberStatus.pending,
                reason=f"Proposal {p.id}: {m.reason}",
            )
            session.add(member)
            mine.append(member)
        created += mine
        if parties is not None and user is not None and mine:
            asks.append((mine, parties))
    p.status = ProposalStatus.accepted
    session.flush()
    for mine, parties in asks:
        consent.ask(session, tf=tf, members=mine, parties=parties, user=user)  # type: ignore[arg-type]
    p.result = {**p.result, "member_ids": sorted(m.id for m in created)}
    session.flush()
    ids = {m.id for m in created}
    return [m for m in members_out(session, tf.id) if m.id in ids]
