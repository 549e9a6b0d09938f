"""Needs of a task force: what skill at what level, how many people and how much of their time; and the list
of them with how many members fill each."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.core.copying import changes, columns, copied
from hrsys.core.errors import Conflict, FieldError, check
from hrsys.skills.catalog.models import Framework, Skill
from hrsys.skills.catalog.refs import level_errors, lookup_skill, scale_of, skills_by_id
from hrsys.taskforces.members import filled_count
from hrsys.taskforces.models import TaskForceMember, TaskForceNeed
from hrsys.taskforces.schemas import NeedCreate, NeedOut, NeedUpdate
from hrsys.taskforces.service import added, get, part_of, require_editable
from hrsys.taskforces.states import HOLDING, MemberStatus

N = TaskForceNeed.__table__
M = TaskForceMember.__table__


def needs_out(session: Session, taskforce_id: int) -> list[NeedOut]:
    filled = sa.select(sa.func.count()).where(M.c.need_id == N.c.id, M.c.status.in_(HOLDING)).scalar_subquery()
    pending = (
        sa.select(sa.func.count()).where(M.c.need_id == N.c.id, M.c.status == MemberStatus.pending).scalar_subquery()
    )
    S = Skill.__table__
    F = Framework.__table__
    rows = session.execute(
        sa.select(
            N, S.c.code, S.c.name_en, F.c.code.label("framework"), filled.label("filled"), pending.label("pending")
        )
        .join(S, S.c.id == N.c.skill_id)
        .join(F, F.c.id == S.c.framework_id)
        .where(N.c.taskforce_id == taskforce_id)
        .order_by(N.c.id)
    )
    return [copied(NeedOut, r, skill=f"{r.framework}:{r.code}", skill_code=r.code, skill_name=r.name_en) for r in rows]


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
    return added(session, TaskForceNeed(taskforce_id=tf.id, **columns(data, "skill", "skill_id"), skill_id=skill.id))


def update_need(session: Session, taskforce_id: int, need_id: int, data: NeedUpdate) -> TaskForceNeed:
    """Change a need. Members already on it keep their own allocation; the headcount cannot go below them."""
    tf = get(session, taskforce_id, lock=True)
    require_editable(tf)
    need = part_of(session, tf, TaskForceNeed, need_id, "need")
    if isinstance(data.min_level, int):
        skill = skills_by_id(session, [need.skill_id])[need.skill_id]
        check(level_errors(scale_of(session, skill.framework_id), skill, data.min_level, "min_level", lenient=True))
    if isinstance(data.headcount, int):
        filled = filled_count(session, need.id)
        if data.headcount < filled:
            raise Conflict(
                f"{filled} active members fill need {need.id}: the headcount cannot go below that",
                rule="headcount_below_members",
                extra={"filled": filled},
            )
    for field, value in changes(data).items():
        setattr(need, field, value)
    session.flush()
    return need


def delete_need(session: Session, taskforce_id: int, need_id: int) -> None:
    tf = get(session, taskforce_id, lock=True)
    require_editable(tf)
    need = part_of(session, tf, TaskForceNeed, need_id, "need")
    filled = filled_count(session, need.id)
    if filled:
        raise Conflict(
            f"{filled} active members fill need {need.id}; end or withdraw them first", rule="need_has_members"
        )
    session.delete(need)
    session.flush()
