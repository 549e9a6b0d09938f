"""Individual development plans: a person, a target role, items, a status flow (I/O).

The flow is :data:`hrsys.training.flows.PLAN_FLOW`; an illegal move is a 409
naming the allowed ones. Items are added or removed while the plan is a draft;
their status changes once it is approved (the first change moves an approved
plan to in progress). A plan is done only when no item is left open. Progress
is derived from the items (:func:`hrsys.training.flows.progress`).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.careers.models import Role
from hrsys.core import clock
from hrsys.core.copying import copied
from hrsys.core.db import lock_for_edit, utcnow
from hrsys.core.errors import Conflict, FieldError, Invalid, NotFound, check, check_version
from hrsys.core.lookups import get_or_404, part_or_404
from hrsys.people.models import Person
from hrsys.requests.models import RequestKind, RequestStatus
from hrsys.training import asks, flows
from hrsys.training.enrolments import require_another_decider
from hrsys.training.models import (
    Course,
    DevelopmentPlan,
    DevelopmentPlanItem,
    Enrolment,
    EnrolmentStatus,
    PlanItemKind,
    PlanItemStatus,
    PlanStatus,
)
from hrsys.training.schemas import (
    PlanCreate,
    PlanFromTraining,
    PlanFromTrainingOut,
    PlanItemIn,
    PlanItemOut,
    PlanItemUpdate,
    PlanOut,
    PlanStatusChange,
    PlanUpdate,
)
from hrsys.training.training_plan import training_plan


def get_plan(session: Session, plan_id: int) -> DevelopmentPlan:
    return get_or_404(session, DevelopmentPlan, plan_id, "development plan")


def plan_out(session: Session, plan: DevelopmentPlan) -> PlanOut:
    items = session.execute(
        sa.select(DevelopmentPlanItem, Course.code)
        .outerjoin(Course, Course.id == DevelopmentPlanItem.course_id)
        .where(DevelopmentPlanItem.plan_id == plan.id)
        .order_by(DevelopmentPlanItem.position, DevelopmentPlanItem.id)
    ).all()
    role_code = (
        session.scalar(sa.select(Role.code).where(Role.id == plan.target_role_id)) if plan.target_role_id else None
    )
    pct, done, open_ = flows.progress(i.status.value for i, _ in items)
    return copied(
        PlanOut,
        plan,
        target_role=role_code,
        progress=pct,
        items_done=done,
        items_open=open_,
        allowed_next=flows.PLANS.allowed(plan.status.value),
        items=[copied(PlanItemOut, i, course=code) for i, code in items],
    )


def list_plans(engine_or_session: Session, *, person_id: int, status: PlanStatus | None = None) -> list[PlanOut]:
    session = engine_or_session
    stmt = sa.select(DevelopmentPlan).where(DevelopmentPlan.person_id == person_id)
    if status is not None:
        stmt = stmt.where(DevelopmentPlan.status == status)
    return [plan_out(session, p) for p in session.scalars(stmt.order_by(DevelopmentPlan.id)).all()]


def _role_id(session: Session, code: str | None, field: str = "target_role") -> int | None:
    if code is None:
        return None
    rid = session.scalar(sa.select(Role.id).where(Role.code == code))
    if rid is None:
        raise Invalid.one(field, f"no role with code {code}")
    return rid


def _item_rows(session: Session, items: Sequence[PlanItemIn], field: str = "items") -> list[dict]:  # type: ignore[type-arg]
    codes = {i.course for i in items if i.course}
    courses = {
        c.code: c for c in session.scalars(sa.select(Course).where(Course.code.in_(codes))).all()
    } if codes else {}  # fmt: skip
    errors = [
        FieldError(f"{field}[{n}].course", f"no course with code {i.course}")
        for n, i in enumerate(items)
        if i.course and i.course not in courses
    ]
    check(errors)
    rows = []
    for i in items:
        course = courses.get(i.course) if i.course else None
        rows.append(
            {
                "kind": i.kind,
                "course_id": course.id if course else None,
                "secondment_id": i.secondment_id,
                "description": i.description or (f"{course.code}: {course.title_en}" if course else ""),
                "due_on": i.due_on,
                "status": PlanItemStatus.todo,
            }
        )
    return rows


def _next_position(session: Session, plan_id: int) -> int:
    return (session.scalar(sa.select(sa.func.max(DevelopmentPlanItem.position)).where(
        DevelopmentPlanItem.plan_id == plan_id)) or 0) + 1  # fmt: skip


def create_plan(session: Session, data: PlanCreate) -> DevelopmentPlan:
    errors: list[FieldError] = []
    if session.get(Person, data.person_id) is None:
        errors.append(FieldError("person_id", f"no person {data.person_id}"))
    target = None
    try:
        target = _role_id(session, data.target_role)
    except Invalid as exc:
        errors += exc.errors
    try:
        rows = _item_rows(session, data.items)
    except Invalid as exc:
        errors += exc.errors
        rows = []
    check(errors)
    plan = DevelopmentPlan(
        person_id=data.person_id, target_role_id=target, title=data.title, notes=data.notes, status=PlanStatus.draft
    )
    session.add(plan)
    session.flush()
    for pos, row in enumerate(rows, start=1):
        session.add(DevelopmentPlanItem(plan_id=plan.id, position=pos, **row))
    session.flush()
    return plan


def _require_state(plan: DevelopmentPlan, states: Sequence[str], what: str) -> None:
    if plan.status.value not in states:
        raise Conflict(
            f"{what} is possible only while the plan is {' or '.join(states)}; it is {plan.status.value}",
            allowed=flows.PLANS.allowed(plan.status.value),
            rule="plan_flow",
        )


def update_plan(session: Session, plan_id: int, data: PlanUpdate) -> DevelopmentPlan:
    plan = lock_for_edit(session, get_plan(session, plan_id))
    check_version("plan", plan.id, plan.version, data.version if isinstance(data.version, int) else None)
    if plan.status.value in ("done", "cancelled"):
        _require_state(plan, ("draft", "submitted", "approved", "in_progress"), "changing the plan")
    if data.target_role is not msgspec.UNSET:
        _require_state(plan, flows.PLAN_EDITABLE, "changing the target role")
        plan.target_role_id = _role_id(session, data.target_role)
    if data.title is not msgspec.UNSET:
        plan.title = data.title
    if data.notes is not msgspec.UNSET:
        plan.notes = data.notes
    session.flush()
    return plan


def change_status(
    session: Session, plan_id: int, data: PlanStatusChange, *, actor_user_id: int | None = None
) -> DevelopmentPlan:
    """Move a plan along its flow (the direct route). Submitting opens a ``development_plan`` request to the
    HR officers of the person's agency; any move out of ``submitted`` closes it (no stale inbox item)."""
    plan = lock_for_edit(session, get_plan(session, plan_id))
    check_version("plan", plan.id, plan.version, data.version)
    was = plan.status
    move_plan(session, plan, data.status, actor_user_id=actor_user_id)
    if data.status == PlanStatus.submitted:
        asks.ask_plan_approval(session, plan, actor_user_id)
    elif was == PlanStatus.submitted:
        closed = {
            PlanStatus.approved: RequestStatus.approved,
            PlanStatus.draft: RequestStatus.returned,
        }.get(data.status, RequestStatus.cancelled)
        asks.close(session, RequestKind.development_plan, asks.PLAN, plan.id, closed, actor_user_id)
    return plan


def move_plan(
    session: Session, plan: DevelopmentPlan, new: PlanStatus, *, actor_user_id: int | None = None
) -> DevelopmentPlan:
    """The move itself, on a plan already locked: the flow, its rules and what approving does."""
    flows.PLANS.next(plan.status.value, new.value, subject=plan.id)
    if new == PlanStatus.submitted:
        n = session.scalar(sa.select(sa.func.count()).where(DevelopmentPlanItem.plan_id == plan.id)) or 0
        if not n:
            raise Conflict("a plan without items cannot be submitted; add at least one item", rule="plan_empty")
    if new == PlanStatus.done:
        open_items = session.scalars(
            sa.select(DevelopmentPlanItem.description).where(
                DevelopmentPlanItem.plan_id == plan.id,
                DevelopmentPlanItem.status.in_([PlanItemStatus.todo, PlanItemStatus.in_progress]),
            )
        ).all()
        if open_items:
            raise Conflict(
                f"{len(open_items)} items are still open; finish or cancel them first",
                rule="plan_items_open",
                extra={"open_items": list(open_items)[:50]},
            )
    if new == PlanStatus.submitted:
        plan.submitted_by_user_id = actor_user_id
    if new == PlanStatus.approved:
        _check_approver(session, plan, actor_user_id)
        plan.approved_at = utcnow()
        plan.approved_by_user_id = actor_user_id
        _tick_completed_courses(session, plan)
    plan.status = new
    session.flush()
    return plan


def _check_approver(session: Session, plan: DevelopmentPlan, actor_user_id: int | None) -> None:
    """Separation of duties: the requester never approves their own request. Neither the user who submitted
    the plan nor the plan's own person approves it (409 ``separation_of_duties``). Unknown users (commands,
    imports) are not compared."""
    require_another_decider(
        session,
        actor_user_id,
        requester=("submitted_by_user_id", plan.submitted_by_user_id),
        person_id=plan.person_id,
        requested="you submitted this development plan: another HR officer must approve it",
        own="this development plan is yours: another HR officer must approve it",
    )


def _tick_completed_courses(session: Session, plan: DevelopmentPlan) -> None:
    """On approval, course items the person has already completed are done."""
    done = sa.select(Enrolment.course_id).where(
        Enrolment.person_id == plan.person_id, Enrolment.status == EnrolmentStatus.completed
    )
    session.execute(
        sa.update(DevelopmentPlanItem)
        .where(
            DevelopmentPlanItem.plan_id == plan.id,
            DevelopmentPlanItem.kind == PlanItemKind.course,
            DevelopmentPlanItem.course_id.in_(done),
            DevelopmentPlanItem.status.in_([PlanItemStatus.todo, PlanItemStatus.in_progress]),
        )
        .values(status=PlanItemStatus.done)
        .execution_options(synchronize_session="fetch")
    )


def add_item(session: Session, plan_id: int, data: PlanItemIn) -> DevelopmentPlan:
    plan = get_plan(session, plan_id)
    _require_state(plan, flows.PLAN_EDITABLE, "adding items")
    [row] = _item_rows(session, [data], field="item")
    session.add(DevelopmentPlanItem(plan_id=plan.id, position=_next_position(session, plan.id), **row))
    plan.updated_at = utcnow()
    session.flush()
    return plan


def _get_item(session: Session, plan: DevelopmentPlan, item_id: int) -> DevelopmentPlanItem:
    item = part_or_404(session, DevelopmentPlanItem, item_id, "plan item", plan_id=plan.id)
    return item


def _completed(session: Session, person_id: int, course_id: int) -> bool:
    return (
        session.scalar(
            sa.select(Enrolment.id).where(
                Enrolment.person_id == person_id,
                Enrolment.course_id == course_id,
                Enrolment.status == EnrolmentStatus.completed,
            )
        )
        is not None
    )


def _refuse_course_done_by_hand(session: Session, plan: DevelopmentPlan, item: DevelopmentPlanItem) -> None:
    """A course item is done only through a completed enrolment (completing it ticks the item)."""
    assert item.course_id is not None
    if _completed(session, plan.person_id, item.course_id):
        return
    code = session.scalar(sa.select(Course.code).where(Course.id == item.course_id))
    raise Conflict(
        f"item {item.id} is the course {code}: it is done when the person's enrolment in it is completed, not by hand",
        rule="course_item_done_by_enrolment",
        allowed=["todo", "in_progress", "cancelled"],
        extra={"course": code, "message_th": f"รายการนี้คือหลักสูตร {code}: จะเสร็จเมื่อการลงเรียนหลักสูตรนี้สำเร็จเท่านั้น"},
    )


def update_item(session: Session, plan_id: int, item_id: int, data: PlanItemUpdate) -> DevelopmentPlan:
    plan = get_plan(session, plan_id)
    item = _get_item(session, plan, item_id)
    if data.status is not msgspec.UNSET and data.status != item.status:
        _require_state(plan, flows.PLAN_TRACKING, "working on items")
        if item.kind == PlanItemKind.course and data.status == PlanItemStatus.done:
            _refuse_course_done_by_hand(session, plan, item)
        item.status = data.status
        if plan.status == PlanStatus.approved:
            plan.status = PlanStatus.in_progress
    if data.due_on is not msgspec.UNSET or data.description is not msgspec.UNSET:
        _require_state(plan, ("draft", "submitted", "approved", "in_progress"), "changing items")
        if data.due_on is not msgspec.UNSET:
            item.due_on = data.due_on
        if data.description is not msgspec.UNSET:
            item.description = data.description
    plan.updated_at = utcnow()
    session.flush()
    return plan


def delete_item(session: Session, plan_id: int, item_id: int) -> DevelopmentPlan:
    plan = get_plan(session, plan_id)
    _require_state(plan, flows.PLAN_EDITABLE, "removing items")
    session.delete(_get_item(session, plan, item_id))
    plan.updated_at = utcnow()
    session.flush()
    return plan


def create_from_training_plan(
    session: Session, engine: Engine, person_id: int, data: PlanFromTraining
) -> PlanFromTrainingOut:
    """Compute the training plan and save it as a draft development plan, one course item per course, in order.

    Each item is due at the end of the course's next session with a free seat, when there is one.
    """
    if session.get(Person, person_id) is None:
        raise NotFound("person", person_id)
    tp = training_plan(
        engine, person_id, data.role, cost=data.cost, budget=data.budget, essential_only=data.essential_only
    )
    if not tp.courses:
        reason = "the person already meets the role's requirements" if not tp.no_course else (
            "no course teaches what is missing: " + ", ".join(g.skill for g in tp.no_course)
        )  # fmt: skip
        raise Conflict(f"nothing to plan toward {data.role}: {reason}", rule="nothing_to_plan")
    items = []
    for c in tp.courses:
        why = f"closes {', '.join(c.closes)}" if c.closes else "prerequisite of a later course"
        items.append(
            PlanItemIn(
                kind=PlanItemKind.course,
                course=c.code,
                description=f"{c.code}: {c.title_en} ({why})",
                due_on=c.next_session.ends_on if c.next_session else None,
            )
        )
    gaps_left = [g.skill for g in tp.no_course + tp.over_budget]
    notes = f"Created from a training plan ({tp.algorithm}; {tp.bound_note})."
    if gaps_left:
        notes += f" Not covered by these courses: {', '.join(gaps_left)}."
    plan = create_plan(
        session,
        PlanCreate(
            person_id=person_id,
            target_role=data.role,
            title=data.title or f"Toward {data.role} ({clock.today().isoformat()})",
            notes=notes,
            items=items,
        ),
    )
    return PlanFromTrainingOut(plan=plan_out(session, plan), training_plan=tp)
