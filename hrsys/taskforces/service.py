"""Task-force commands and queries: task forces, needs, members, KPIs and budget.

Functions take the session first, then keyword arguments; each command is one
transaction (the request's). Commands that change who is in a task force lock
the task-force row first (``FOR NO KEY UPDATE`` on PostgreSQL; SQLite serialises
writers with ``BEGIN IMMEDIATE``) and then each person, in id order, through the
shared allocation rule (:func:`hrsys.allocation.service.ensure_capacity`): two
concurrent requests that together would over-book a person or a need give one
success and one 409.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.access.identity import CurrentUser
from hrsys.agencies.models import Agency
from hrsys.allocation.service import ensure_capacity
from hrsys.core import clock
from hrsys.core.db import read_engine
from hrsys.core.errors import Conflict, FieldError, Invalid, NotFound, check
from hrsys.core.fiscal import fiscal_year, fiscal_year_bounds
from hrsys.core.pagination import COUNT_CAP, MAX_LIMIT, Page
from hrsys.people.models import Person
from hrsys.skills.catalog.models import Framework, Skill
from hrsys.skills.catalog.refs import level_errors, lookup_skill, scale_of, skills_by_id
from hrsys.taskforces import states
from hrsys.taskforces.models import (
    Kpi,
    KpiActual,
    TaskForce,
    TaskForceBudget,
    TaskForceMember,
    TaskForceNeed,
    TeamProposal,
)
from hrsys.taskforces.report import ActualFact, BudgetFact, KpiFact, MemberFact, Report, TaskForceFact, build_report
from hrsys.taskforces.schemas import (
    ActualCreate,
    ActualOut,
    AgencyRef,
    BudgetOut,
    BudgetPut,
    KpiCreate,
    KpiOut,
    KpiUpdate,
    MemberCreate,
    MemberOut,
    MemberUpdate,
    NeedCreate,
    NeedOut,
    NeedUpdate,
    PersonRef,
    StatusChange,
    TaskForceCreate,
    TaskForceListItem,
    TaskForceOut,
    TaskForceUpdate,
)
from hrsys.taskforces.states import MemberStatus, ProposalStatus, TaskForceStatus

T = TaskForce.__table__
N = TaskForceNeed.__table__
M = TaskForceMember.__table__
A = Agency.__table__
P = Person.__table__

FY_MIN, FY_MAX = 2500, 2700


def today() -> dt.date:
    return clock.today()


# ---------------------------------------------------------------------------- task forces


def get(session: Session, taskforce_id: int, *, lock: bool = False) -> TaskForce:
    """The task force, locked against concurrent membership changes when ``lock``; 404 if unknown."""
    tf = session.get(TaskForce, taskforce_id, with_for_update={"key_share": True} if lock else None)
    if tf is None:
        raise NotFound("task force", taskforce_id)
    return tf


def require_editable(tf: Any) -> None:
    """409 unless the task force (a row or an object with ``status`` and ``code``) is forming or active."""
    if tf.status not in states.EDITABLE:
        raise Conflict(
            f"task force {tf.code} is {tf.status.value}: its needs, members and proposals can no longer change",
            rule="taskforce_closed",
            allowed=states.allowed_moves(tf.status),
        )


def _stale(tf: TaskForce, version: int | None) -> None:
    if version is not None and version != tf.version:
        raise Conflict(
            f"task force {tf.code} was changed by someone else (version {tf.version}, you sent {version})",
            rule="stale_edit",
        )


def _person_errors(session: Session, person_id: int, field: str) -> list[FieldError]:
    row = session.execute(sa.select(P.c.active).where(P.c.id == person_id)).first()
    if row is None:
        return [FieldError(field, f"no person with id {person_id}")]
    if not row.active:
        return [FieldError(field, f"person {person_id} is not active")]
    return []


def create(session: Session, data: TaskForceCreate) -> TaskForce:
    errors: list[FieldError] = data.check()
    agency_id = session.scalar(sa.select(A.c.id).where(A.c.code == data.agency))
    if agency_id is None:
        errors.append(FieldError("agency", f"no agency with code {data.agency}"))
    if data.lead_id is not None:
        errors += _person_errors(session, data.lead_id, "lead_id")
    check(errors)
    if session.scalar(sa.select(T.c.id).where(T.c.code == data.code)) is not None:
        raise Conflict(f"task force code {data.code} is taken", errors=[FieldError("code", "already in use")])
    tf = TaskForce(
        code=data.code,
        agency_id=agency_id,
        name_th=data.name_th,
        name_en=data.name_en,
        mission=data.mission,
        lead_id=data.lead_id,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        budget_baht=data.budget_baht,
        status=TaskForceStatus.forming,
    )
    session.add(tf)
    session.flush()
    return tf


def _members_outside(session: Session, tf: TaskForce, starts_on: dt.date, ends_on: dt.date) -> list[int]:
    return list(
        session.scalars(
            sa.select(M.c.id).where(
                M.c.taskforce_id == tf.id,
                M.c.status == MemberStatus.active,
                sa.or_(M.c.starts_on < starts_on, M.c.ends_on > ends_on),
            )
        )
    )


def update(session: Session, taskforce_id: int, data: TaskForceUpdate) -> TaskForce:
    tf = get(session, taskforce_id, lock=True)
    _stale(tf, data.version if isinstance(data.version, int) else None)
    changes = {
        f: v for f in msgspec.structs.asdict(data) if f != "version" and (v := getattr(data, f)) is not msgspec.UNSET
    }
    if tf.status == TaskForceStatus.closed and {"starts_on", "ends_on", "lead_id"} & set(changes):
        raise Conflict(
            f"task force {tf.code} is closed: its period and lead can no longer change",
            rule="taskforce_closed",
            allowed=[],
        )
    errors: list[FieldError] = []
    for field in ("name_th", "name_en", "budget_baht"):
        if field in changes and changes[field] is None:
            errors.append(FieldError(field, "cannot be empty"))
    if changes.get("lead_id") is not None:
        errors += _person_errors(session, changes["lead_id"], "lead_id")
    starts_on = changes.get("starts_on", tf.starts_on)
    ends_on = changes.get("ends_on", tf.ends_on)
    if ends_on <= starts_on:
        errors.append(FieldError("ends_on", f"must be after starts_on ({starts_on})"))
    check(errors)
    if "starts_on" in changes or "ends_on" in changes:
        outside = _members_outside(session, tf, starts_on, ends_on)
        if outside:
            raise Conflict(
                f"{len(outside)} active members serve outside {starts_on} to {ends_on}; change or end them first",
                rule="members_outside_period",
                extra={"members": outside},
            )
    for field, value in changes.items():
        setattr(tf, field, value)
    session.flush()
    return tf


def change_status(session: Session, taskforce_id: int, data: StatusChange, *, on: dt.date | None = None) -> TaskForce:
    """Move the task force along its state machine (409 with the allowed moves otherwise).

    Activating needs at least one active member. Closing ends the active members on
    ``on`` (default today: those who had not started yet are withdrawn) and discards
    open proposals.
    """
    on = on or today()
    tf = get(session, taskforce_id, lock=True)
    _stale(tf, data.version)
    target = data.status
    if not states.can_move(tf.status, target):
        allowed = states.allowed_moves(tf.status)
        raise Conflict(
            f"a task force cannot move from {tf.status.value} to {target.value}"
            + (f"; allowed: {', '.join(allowed)}" if allowed else f"; {tf.status.value} is final"),
            rule="illegal_transition",
            allowed=allowed,
        )
    if target == TaskForceStatus.active:
        has_member = session.scalar(
            sa.select(M.c.id).where(M.c.taskforce_id == tf.id, M.c.status == MemberStatus.active).limit(1)
        )
        if has_member is None:
            raise Conflict(
                f"task force {tf.code} has no active member: add people before activating", rule="no_members"
            )
    if target == TaskForceStatus.closed and tf.status == TaskForceStatus.forming:
        disbursed = session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(TaskForceBudget.disbursed_baht), 0)).where(
                TaskForceBudget.taskforce_id == tf.id
            )
        )
        if disbursed:
            raise Conflict(
                f"task force {tf.code} has {disbursed:,} baht disbursed: a task force cancelled before it started "
                "can have nothing disbursed (record the money returned first)",
                rule="cancelled_no_disbursement",
                extra={"disbursed_baht": disbursed},
            )
        tf.cancelled = True
    if target == TaskForceStatus.closed:
        for member in session.scalars(
            sa.select(TaskForceMember).where(
                TaskForceMember.taskforce_id == tf.id, TaskForceMember.status == MemberStatus.active
            )
        ):
            if member.starts_on > on:
                member.status = MemberStatus.withdrawn
            else:
                member.status = MemberStatus.ended
                member.ends_on = min(member.ends_on, on)
        for proposal in session.scalars(
            sa.select(TeamProposal).where(
                TeamProposal.taskforce_id == tf.id, TeamProposal.status == ProposalStatus.open
            )
        ):
            proposal.status = ProposalStatus.discarded
    tf.status = target
    session.flush()
    return tf


# ---------------------------------------------------------------------------- reading


def _person_ref(row: Any) -> PersonRef:
    return PersonRef(
        id=row.id,
        name_th=f"{row.first_name_th} {row.last_name_th}",
        name_en=f"{row.first_name_en} {row.last_name_en}",
        kind=str(row.kind.value if hasattr(row.kind, "value") else row.kind),
    )


def _people(session: Session, ids: set[int]) -> dict[int, PersonRef]:
    if not ids:
        return {}
    rows = session.execute(
        sa.select(P.c.id, P.c.first_name_th, P.c.last_name_th, P.c.first_name_en, P.c.last_name_en, P.c.kind).where(
            P.c.id.in_(sorted(ids))
        )
    )
    return {r.id: _person_ref(r) for r in rows}


def needs_out(session: Session, taskforce_id: int) -> list[NeedOut]:
    filled = (
        sa.select(sa.func.count()).where(M.c.need_id == N.c.id, M.c.status == MemberStatus.active).scalar_subquery()
    )
    S = Skill.__table__
    F = Framework.__table__
    rows = session.execute(
        sa.select(N, S.c.code, S.c.name_en, F.c.code.label("framework"), filled.label("filled"))
        .join(S, S.c.id == N.c.skill_id)
        .join(F, F.c.id == S.c.framework_id)
        .where(N.c.taskforce_id == taskforce_id)
        .order_by(N.c.id)
    )
    return [
        NeedOut(
            id=r.id,
            skill_id=r.skill_id,
            skill=f"{r.framework}:{r.code}",
            skill_code=r.code,
            skill_name=r.name_en,
            min_level=r.min_level,
            headcount=r.headcount,
            filled=r.filled,
            allocation=r.allocation,
            essential=r.essential,
        )
        for r in rows
    ]


def members_out(session: Session, taskforce_id: int) -> list[MemberOut]:
    rows = session.execute(sa.select(M).where(M.c.taskforce_id == taskforce_id).order_by(M.c.id)).all()
    people = _people(session, {r.person_id for r in rows})
    return [
        MemberOut(
            id=r.id,
            person=people[r.person_id],
            need_id=r.need_id,
            allocation=r.allocation,
            starts_on=r.starts_on,
            ends_on=r.ends_on,
            status=r.status,
            allowed_moves=states.allowed_member_moves(r.status),
            reason=r.reason,
        )
        for r in rows
    ]


def kpis_out(session: Session, taskforce_id: int) -> list[KpiOut]:
    kpis = session.scalars(sa.select(Kpi).where(Kpi.taskforce_id == taskforce_id).order_by(Kpi.id)).all()
    actuals: dict[int, list[ActualOut]] = defaultdict(list)
    if kpis:
        for a in session.scalars(
            sa.select(KpiActual)
            .where(KpiActual.kpi_id.in_([k.id for k in kpis]))
            .order_by(KpiActual.kpi_id, KpiActual.measured_on)
        ):
            actuals[a.kpi_id].append(ActualOut(id=a.id, measured_on=a.measured_on, value=a.value, note=a.note))
    return [
        KpiOut(
            id=k.id,
            kind=k.kind,
            name_en=k.name_en,
            name_th=k.name_th,
            unit=k.unit,
            baseline=k.baseline,
            target=k.target,
            due_on=k.due_on,
            higher_is_better=k.higher_is_better,
            actuals=actuals.get(k.id, []),
        )
        for k in kpis
    ]


def budget_out(session: Session, taskforce_id: int) -> list[BudgetOut]:
    rows = session.scalars(
        sa.select(TaskForceBudget)
        .where(TaskForceBudget.taskforce_id == taskforce_id)
        .order_by(TaskForceBudget.fiscal_year)
    )
    out = []
    for b in rows:
        lo, hi = fiscal_year_bounds(b.fiscal_year)
        out.append(
            BudgetOut(
                fiscal_year=b.fiscal_year,
                starts_on=lo,
                ends_on=hi,
                requested_baht=b.requested_baht,
                approved_baht=b.approved_baht,
                disbursed_baht=b.disbursed_baht,
                requested_by_user_id=b.requested_by_user_id,
                approved_by_user_id=b.approved_by_user_id,
                excess_approved_by_user_id=b.excess_approved_by_user_id,
            )
        )
    return out


def to_out(session: Session, tf: TaskForce, *, show_members: bool = True) -> TaskForceOut:
    agency = session.execute(sa.select(A.c.code, A.c.name_th, A.c.name_en).where(A.c.id == tf.agency_id)).one()
    lead = _people(session, {tf.lead_id}).get(tf.lead_id) if tf.lead_id else None
    return TaskForceOut(
        id=tf.id,
        code=tf.code,
        name_th=tf.name_th,
        name_en=tf.name_en,
        agency=AgencyRef(code=agency.code, name_th=agency.name_th, name_en=agency.name_en),
        mission=tf.mission,
        lead=lead,
        starts_on=tf.starts_on,
        ends_on=tf.ends_on,
        budget_baht=tf.budget_baht,
        status=tf.status,
        allowed_moves=states.allowed_moves(tf.status),
        version=tf.version,
        needs=needs_out(session, tf.id),
        members=members_out(session, tf.id) if show_members else None,
        kpis=kpis_out(session, tf.id),
        budget=budget_out(session, tf.id),
        created_at=tf.created_at,
        updated_at=tf.updated_at,
        cancelled=tf.cancelled,
    )


def list_taskforces(
    engine: Engine,
    *,
    agency: str | None = None,
    status: TaskForceStatus | None = None,
    q: str | None = None,
    active_on: dt.date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[TaskForceListItem]:
    """A page of task forces (newest first) with counts of needs and active members, in one round trip."""
    errors = []
    if not 1 <= limit <= MAX_LIMIT:
        errors.append(FieldError("limit", f"must be between 1 and {MAX_LIMIT}"))
    if offset < 0:
        errors.append(FieldError("offset", "must be 0 or more"))
    check(errors)
    conds: list[sa.ColumnElement[bool]] = []
    if agency is not None:
        root = sa.select(A.c.path).where(A.c.code == agency).scalar_subquery()
        hi = sa.func.substr(root, 1, sa.func.length(root) - 1) + sa.literal("0")
        conds.append(T.c.agency_id.in_(sa.select(A.c.id).where(A.c.path >= root, A.c.path < hi)))
    if status is not None:
        conds.append(T.c.status == status)
    if q:
        like = f"%{q.lower()}%"
        conds.append(
            sa.or_(
                sa.func.lower(T.c.name_en).like(like), T.c.name_th.like(f"%{q}%"), sa.func.lower(T.c.code).like(like)
            )
        )
    if active_on is not None:
        conds.append(sa.and_(T.c.starts_on <= active_on, T.c.ends_on >= active_on))
    n_needs = sa.select(sa.func.count()).where(N.c.taskforce_id == T.c.id).scalar_subquery()
    n_members = (
        sa.select(sa.func.count())
        .where(M.c.taskforce_id == T.c.id, M.c.status == MemberStatus.active)
        .scalar_subquery()
    )
    counted = sa.select(sa.func.count()).select_from(sa.select(T.c.id).where(*conds).limit(COUNT_CAP + 1).subquery())
    stmt = (
        sa.select(
            T.c.id,
            T.c.code,
            T.c.name_th,
            T.c.name_en,
            A.c.code.label("agency"),
            T.c.status,
            T.c.starts_on,
            T.c.ends_on,
            T.c.budget_baht,
            n_needs.label("needs"),
            n_members.label("members"),
            counted.scalar_subquery().label("total"),
        )
        .select_from(T.join(A, A.c.id == T.c.agency_id))
        .where(*conds)
        .order_by(T.c.starts_on.desc(), T.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    with read_engine(engine).connect() as conn:
        rows = conn.execute(stmt).all()
        total = rows[0].total if rows else (conn.scalar(counted) or 0)
        if not rows and agency is not None and conn.scalar(sa.select(A.c.id).where(A.c.code == agency)) is None:
            raise Invalid.one("agency", f"no agency with code {agency}")
    items = [
        TaskForceListItem(
            id=r.id,
            code=r.code,
            name_th=r.name_th,
            name_en=r.name_en,
            agency=r.agency,
            status=r.status,
            starts_on=r.starts_on,
            ends_on=r.ends_on,
            budget_baht=r.budget_baht,
            needs=r.needs,
            members=r.members,
        )
        for r in rows
    ]
    return Page(items=items, total=min(total, COUNT_CAP), total_exact=total <= COUNT_CAP, limit=limit, offset=offset)


# ---------------------------------------------------------------------------- needs


def _need(session: Session, tf: TaskForce, need_id: int) -> TaskForceNeed:
    need = session.get(TaskForceNeed, need_id)
    if need is None or need.taskforce_id != tf.id:
        raise NotFound("need", need_id)
    return need


def _filled(session: Session, need_id: int) -> int:
    return (
        session.scalar(sa.select(sa.func.count()).where(M.c.need_id == need_id, M.c.status == MemberStatus.active)) or 0
    )


def add_need(session: Session, taskforce_id: int, data: NeedCreate) -> TaskForceNeed:
    tf = get(session, taskforce_id, lock=True)
    require_editable(tf)
    skill, errors = lookup_skill(session, ref=data.skill, skill_id=data.skill_id)
    if skill is not None:
        if skill.retired:
            errors.append(FieldError("skill" if data.skill else "skill_id", f"skill {skill.ref.ref} is retired"))
        errors += level_errors(scale_of(session, skill.framework_id), skill, data.min_level, "min_level", lenient=True)
    check(errors)
    assert skill is not None
    need = TaskForceNeed(
        taskforce_id=tf.id,
        skill_id=skill.id,
        min_level=data.min_level,
        headcount=data.headcount,
        allocation=data.allocation,
        essential=data.essential,
    )
    session.add(need)
    session.flush()
    return need


def update_need(session: Session, taskforce_id: int, need_id: int, data: NeedUpdate) -> TaskForceNeed:
    """Change a need. Members already on it keep their own allocation; the headcount cannot go below them."""
    tf = get(session, taskforce_id, lock=True)
    require_editable(tf)
    need = _need(session, tf, need_id)
    if isinstance(data.min_level, int):
        skill = skills_by_id(session, [need.skill_id])[need.skill_id]
        check(level_errors(scale_of(session, skill.framework_id), skill, data.min_level, "min_level", lenient=True))
    if isinstance(data.headcount, int):
        filled = _filled(session, need.id)
        if data.headcount < filled:
            raise Conflict(
                f"{filled} active members fill need {need.id}: the headcount cannot go below that",
                rule="headcount_below_members",
                extra={"filled": filled},
            )
    for field in ("min_level", "allocation", "headcount", "essential"):
        value = getattr(data, field)
        if value is not msgspec.UNSET:
            setattr(need, field, value)
    session.flush()
    return need


def delete_need(session: Session, taskforce_id: int, need_id: int) -> None:
    tf = get(session, taskforce_id, lock=True)
    require_editable(tf)
    need = _need(session, tf, need_id)
    filled = _filled(session, need.id)
    if filled:
        raise Conflict(
            f"{filled} active members fill need {need.id}; end or withdraw them first", rule="need_has_members"
        )
    session.delete(need)
    session.flush()


# ---------------------------------------------------------------------------- members


def default_start(tf: Any, on: dt.date) -> dt.date:
    """Members join from the task force's start, or from ``on`` if it has already started."""
    return on if tf.starts_on < on <= tf.ends_on else tf.starts_on


def _period_field_errors(tf: TaskForce, starts_on: dt.date, ends_on: dt.date) -> list[FieldError]:
    errors = []
    if starts_on < tf.starts_on or starts_on > tf.ends_on:
        errors.append(
            FieldError("starts_on", f"must be within the task force's period ({tf.starts_on} to {tf.ends_on})")
        )
    if ends_on > tf.ends_on or ends_on < tf.starts_on:
        errors.append(FieldError("ends_on", f"must be within the task force's period ({tf.starts_on} to {tf.ends_on})"))
    if ends_on < starts_on:
        errors.append(FieldError("ends_on", "must be on or after starts_on"))
    return errors


def _check_need_room(session: Session, need: TaskForceNeed, adding: int = 1) -> None:
    filled = _filled(session, need.id)
    if filled + adding > need.headcount:
        raise Conflict(
            f"need {need.id} already has {filled} of {need.headcount} people; raise its headcount first",
            rule="need_full",
            extra={"need_id": need.id, "filled": filled, "headcount": need.headcount},
        )


def _check_not_already(session: Session, tf: TaskForce, person_id: int, need_id: int | None) -> None:
    clash = session.scalar(
        sa.select(M.c.id).where(
            M.c.taskforce_id == tf.id,
            M.c.person_id == person_id,
            M.c.status == MemberStatus.active,
            M.c.need_id.is_(None) if need_id is None else M.c.need_id == need_id,
        )
    )
    if clash is not None:
        raise Conflict(
            f"person {person_id} is already an active member for this need (membership {clash})",
            rule="already_member",
            extra={"member_id": clash},
        )


def add_member(
    session: Session, taskforce_id: int, data: MemberCreate, *, on: dt.date | None = None
) -> TaskForceMember:
    """Appoint a person; 409 if it would take them past 100% on any day, or the need is full."""
    on = on or today()
    tf = get(session, taskforce_id, lock=True)
    require_editable(tf)
    errors = data.check() + _person_errors(session, data.person_id, "person_id")
    need = None
    if data.need_id is not None:
        need = session.get(TaskForceNeed, data.need_id)
        if need is None or need.taskforce_id != tf.id:
            errors.append(FieldError("need_id", f"task force {tf.code} has no need {data.need_id}"))
            need = None
    if data.need_id is None and data.allocation is None:
        errors.append(FieldError("allocation", "is required for a member who fills no need"))
    allocation = data.allocation if data.allocation is not None else (need.allocation if need else 0)
    starts_on = data.starts_on or default_start(tf, on)
    ends_on = data.ends_on or tf.ends_on
    reported = {e.field for e in errors}
    errors += [e for e in _period_field_errors(tf, starts_on, ends_on) if e.field not in reported]
    check(errors)
    if need is not None:
        _check_need_room(session, need)
    _check_not_already(session, tf, data.person_id, data.need_id)
    ensure_capacity(session, data.person_id, starts_on, ends_on, allocation)
    member = TaskForceMember(
        taskforce_id=tf.id,
        person_id=data.person_id,
        need_id=data.need_id,
        allocation=allocation,
        starts_on=starts_on,
        ends_on=ends_on,
        status=MemberStatus.active,
        reason=data.reason,
    )
    session.add(member)
    session.flush()
    return member


def _member(session: Session, tf: TaskForce, member_id: int) -> TaskForceMember:
    member = session.get(TaskForceMember, member_id)
    if member is None or member.taskforce_id != tf.id:
        raise NotFound("member", member_id)
    return member


def update_member(
    session: Session, taskforce_id: int, member_id: int, data: MemberUpdate, *, on: dt.date | None = None
) -> TaskForceMember:
    """Change a membership's allocation or period (checked again against the allocation rule), or end it."""
    on = on or today()
    tf = get(session, taskforce_id, lock=True)
    require_editable(tf)
    member = _member(session, tf, member_id)
    target = data.status if isinstance(data.status, MemberStatus) else member.status
    if target != member.status and not states.can_move_member(member.status, target):
        raise Conflict(
            f"a membership cannot move from {member.status.value} to {target.value}",
            rule="illegal_transition",
            allowed=states.allowed_member_moves(member.status),
        )
    if member.status != MemberStatus.active:
        raise Conflict(f"membership {member.id} is {member.status.value}: it can no longer change", rule="member_final")
    allocation = data.allocation if isinstance(data.allocation, int) else member.allocation
    starts_on = data.starts_on if isinstance(data.starts_on, dt.date) else member.starts_on
    ends_on = data.ends_on if isinstance(data.ends_on, dt.date) else member.ends_on
    if target == MemberStatus.ended and not isinstance(data.ends_on, dt.date):
        ends_on = min(member.ends_on, max(member.starts_on, on))
    check(_period_field_errors(tf, starts_on, ends_on))
    grows = allocation > member.allocation or starts_on < member.starts_on or ends_on > member.ends_on
    if target == MemberStatus.active and grows:
        ensure_capacity(session, member.person_id, starts_on, ends_on, allocation, exclude_member_id=member.id)
    member.allocation = allocation
    member.starts_on = starts_on
    member.ends_on = ends_on
    member.status = target
    if data.reason is not msgspec.UNSET:
        member.reason = data.reason
    session.flush()
    return member


# ---------------------------------------------------------------------------- KPIs


def _kpi(session: Session, tf: TaskForce, kpi_id: int) -> Kpi:
    kpi = session.get(Kpi, kpi_id)
    if kpi is None or kpi.taskforce_id != tf.id:
        raise NotFound("KPI", kpi_id)
    return kpi


def add_kpi(session: Session, taskforce_id: int, data: KpiCreate) -> Kpi:
    tf = get(session, taskforce_id)
    kpi = Kpi(
        taskforce_id=tf.id,
        kind=data.kind,
        name_en=data.name_en,
        name_th=data.name_th,
        unit=data.unit,
        baseline=data.baseline,
        target=data.target,
        due_on=data.due_on,
        higher_is_better=data.higher_is_better,
    )
    session.add(kpi)
    session.flush()
    return kpi


def update_kpi(session: Session, taskforce_id: int, kpi_id: int, data: KpiUpdate) -> Kpi:
    tf = get(session, taskforce_id)
    kpi = _kpi(session, tf, kpi_id)
    changes = {f: v for f in msgspec.structs.asdict(data) if (v := getattr(data, f)) is not msgspec.UNSET}
    errors = [
        FieldError(f, "cannot be empty")
        for f in ("kind", "name_en", "unit", "baseline", "target", "higher_is_better")
        if f in changes and changes[f] is None
    ]
    check(errors)
    target = changes.get("target", kpi.target)
    baseline = changes.get("baseline", kpi.baseline)
    hib = changes.get("higher_is_better", kpi.higher_is_better)
    if target == baseline:
        errors.append(FieldError("target", "must differ from the baseline"))
    elif (target > baseline) != hib:
        errors.append(FieldError("target", f"must be {'above' if hib else 'below'} the baseline"))
    check(errors)
    for field, value in changes.items():
        setattr(kpi, field, value)
    session.flush()
    return kpi


def delete_kpi(session: Session, taskforce_id: int, kpi_id: int) -> None:
    tf = get(session, taskforce_id)
    kpi = _kpi(session, tf, kpi_id)
    session.execute(sa.delete(KpiActual).where(KpiActual.kpi_id == kpi.id))
    session.delete(kpi)
    session.flush()


def add_actual(
    session: Session, taskforce_id: int, kpi_id: int, data: ActualCreate, *, on: dt.date | None = None
) -> KpiActual:
    """Record a dated actual value; one per KPI and day (409 for a second), never in the future (422)."""
    on = on or today()
    tf = get(session, taskforce_id)
    kpi = _kpi(session, tf, kpi_id)
    if data.measured_on > on:
        raise Invalid.one("measured_on", f"is in the future (today is {on})")
    existing = session.scalar(
        sa.select(KpiActual.id).where(KpiActual.kpi_id == kpi.id, KpiActual.measured_on == data.measured_on)
    )
    if existing is not None:
        raise Conflict(
            f"KPI {kpi.id} already has a value measured on {data.measured_on} (actual {existing}); "
            "delete it to record another",
            errors=[FieldError("measured_on", "already recorded")],
            extra={"actual_id": existing},
        )
    actual = KpiActual(kpi_id=kpi.id, measured_on=data.measured_on, value=data.value, note=data.note)
    session.add(actual)
    session.flush()
    return actual


def delete_actual(session: Session, taskforce_id: int, kpi_id: int, actual_id: int) -> None:
    tf = get(session, taskforce_id)
    kpi = _kpi(session, tf, kpi_id)
    actual = session.get(KpiActual, actual_id)
    if actual is None or actual.kpi_id != kpi.id:
        raise NotFound("KPI actual", actual_id)
    session.delete(actual)
    session.flush()


# ---------------------------------------------------------------------------- budget


def _budget_rule(message: str, rule: str, **extra: Any) -> Conflict:
    return Conflict(message, rule=rule, extra=extra or None)


def put_budget(
    session: Session, taskforce_id: int, year: int, data: BudgetPut, *, user_id: int | None = None
) -> list[BudgetOut]:
    """Set the money of one Thai fiscal year (BE). The year must touch the task force's period (or be the year
    after it ends, when late payments are disbursed).

    Separation of duties, by signed-in user (``user_id``; None for commands, which are not compared):

    - whoever changes ``requested_baht`` becomes the requester, and the requester never approves: a change of
      ``approved_baht`` by them is a 409 ``separation_of_duties``;
    - ``approved_baht`` above the request needs a second approver: one user approves the request in full,
      then a different user (neither the requester nor that approver) raises it above; otherwise a 409
      ``excess_needs_second_approver``. A new request forgets the excess approval, and an approval that the
      request no longer covers is a 409 ``approved_exceeds_requested``;
    - nothing is disbursed for a task force cancelled before it started (409 ``cancelled_no_disbursement``).
    """
    tf = get(session, taskforce_id, lock=True)
    first, last = fiscal_year(tf.starts_on), fiscal_year(tf.ends_on) + 1
    if not FY_MIN <= year <= FY_MAX:
        raise Invalid.one("fiscal_year", f"must be a Buddhist Era year between {FY_MIN} and {FY_MAX}")
    if not first <= year <= last:
        raise Invalid.one(
            "fiscal_year", f"task force {tf.code} runs in fiscal years {first} to {last - 1} (payments until {last})"
        )
    row = session.scalar(
        sa.select(TaskForceBudget).where(TaskForceBudget.taskforce_id == tf.id, TaskForceBudget.fiscal_year == year)
    )
    if row is None:
        row = TaskForceBudget(taskforce_id=tf.id, fiscal_year=year, requested_baht=0, approved_baht=0)
        session.add(row)
    if tf.cancelled and data.disbursed_baht > 0:
        raise _budget_rule(
            f"task force {tf.code} was cancelled before it started: nothing can be disbursed for it",
            "cancelled_no_disbursement",
        )
    requested_by, approved_by, excess_by = (
        row.requested_by_user_id,
        row.approved_by_user_id,
        row.excess_approved_by_user_id,
    )
    if data.requested_baht != row.requested_baht:
        requested_by, excess_by = user_id, None
    if data.approved_baht != row.approved_baht:
        if user_id is not None and user_id == requested_by:
            raise _budget_rule(
                f"you requested the money of fiscal year {year}: someone else must approve it",
                "separation_of_duties",
                requested_by_user_id=requested_by,
            )
        if data.approved_baht <= data.requested_baht:
            approved_by, excess_by = (user_id if data.approved_baht else None), None
        else:
            covered = row.approved_baht >= data.requested_baht and approved_by is not None
            if user_id is not None and (not covered or approved_by == user_id):
                raise _budget_rule(
                    f"approving {data.approved_baht:,} baht against {data.requested_baht:,} requested needs two "
                    "approvers: one approves the request in full, then another approves the excess",
                    "excess_needs_second_approver",
                    requested_baht=data.requested_baht,
                    approved_by_user_id=approved_by if covered else None,
                )
            excess_by = user_id
    if data.approved_baht > data.requested_baht and excess_by is None and user_id is not None:
        raise _budget_rule(
            f"{data.approved_baht:,} baht approved would exceed the {data.requested_baht:,} requested without an "
            "approval of the excess: lower the approval first, or have a second approver approve the excess",
            "approved_exceeds_requested",
            requested_baht=data.requested_baht,
            approved_baht=data.approved_baht,
        )
    row.requested_baht = data.requested_baht
    row.approved_baht = data.approved_baht
    row.disbursed_baht = data.disbursed_baht
    row.requested_by_user_id, row.approved_by_user_id, row.excess_approved_by_user_id = (
        requested_by,
        approved_by,
        excess_by,
    )
    session.flush()
    return budget_out(session, tf.id)


def delete_budget(session: Session, taskforce_id: int, year: int) -> None:
    tf = get(session, taskforce_id)
    row = session.scalar(
        sa.select(TaskForceBudget).where(TaskForceBudget.taskforce_id == tf.id, TaskForceBudget.fiscal_year == year)
    )
    if row is None:
        raise NotFound("budget of fiscal year", year)
    session.delete(row)
    session.flush()


def member_counts(session: Session | sa.Connection, taskforce_id: int) -> Counter[int]:
    """Active members per need id."""
    rows = session.execute(
        sa.select(M.c.need_id, sa.func.count())
        .where(M.c.taskforce_id == taskforce_id, M.c.status == MemberStatus.active, M.c.need_id.is_not(None))
        .group_by(M.c.need_id)
    )
    return Counter({r[0]: r[1] for r in rows})


# ---------------------------------------------------------------------------- report


def report(
    session: Session, taskforce_id: int, *, as_of: dt.date | None = None, viewer: CurrentUser | None = None
) -> Report:
    """The monitoring report (see :mod:`hrsys.taskforces.report` for the rules), with the costs of members
    whose cost ``viewer`` may not see masked (:mod:`hrsys.taskforces.visibility`)."""
    from hrsys.taskforces.visibility import cost_visible

    as_of = as_of or today()
    tf = get(session, taskforce_id)
    agency = session.scalar(sa.select(A.c.code).where(A.c.id == tf.agency_id)) or ""
    facts = TaskForceFact(
        id=tf.id,
        code=tf.code,
        name_en=tf.name_en,
        name_th=tf.name_th,
        agency=agency,
        status=tf.status.value,
        starts_on=tf.starts_on,
        ends_on=tf.ends_on,
        budget_baht=tf.budget_baht,
    )
    kpis = [
        KpiFact(
            id=k.id,
            kind=k.kind.value,
            name_en=k.name_en,
            name_th=k.name_th,
            unit=k.unit,
            baseline=k.baseline,
            target=k.target,
            due_on=k.due_on,
            higher_is_better=k.higher_is_better,
            actuals=tuple(ActualFact(a.measured_on, a.value, a.note) for a in k.actuals),
        )
        for k in kpis_out(session, tf.id)
    ]
    budgets = [
        BudgetFact(
            fiscal_year=b.fiscal_year, requested=b.requested_baht, approved=b.approved_baht, disbursed=b.disbursed_baht
        )
        for b in budget_out(session, tf.id)
    ]
    rows = session.execute(
        sa.select(
            M.c.person_id,
            M.c.allocation,
            M.c.starts_on,
            M.c.ends_on,
            M.c.status,
            P.c.first_name_th,
            P.c.last_name_th,
            P.c.kind,
            P.c.monthly_cost_baht,
        )
        .join(P, P.c.id == M.c.person_id)
        .where(M.c.taskforce_id == tf.id)
        .order_by(M.c.id)
    )
    members = [
        MemberFact(
            person_id=r.person_id,
            name=f"{r.first_name_th} {r.last_name_th}",
            kind=str(getattr(r.kind, "value", r.kind)),
            allocation=r.allocation,
            starts_on=r.starts_on,
            ends_on=r.ends_on,
            status=str(getattr(r.status, "value", r.status)),
            monthly_cost=r.monthly_cost_baht,
        )
        for r in rows
    ]
    visible = cost_visible(session, viewer, {m.person_id for m in members})
    members = [m if m.person_id in visible else msgspec.structs.replace(m, masked=True) for m in members]
    return build_report(facts, kpis, budgets, members, as_of)
