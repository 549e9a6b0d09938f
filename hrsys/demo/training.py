"""Demo step: course sessions, enrolments in every state and development plans for the demo staff.

Runs after the skills step (which loads the shipped roles and example courses and gives
the staff roles and profiles). Completions go through the real service, so they record
``training`` assessments and update profiles; a few learners have reported a completion
that waits for an HR officer; a few staff have development plans made from their training
plan toward the role their current role leads to.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.careers import cache as career_cache
from hrsys.careers.service import load_profile
from hrsys.core import clock
from hrsys.demo.context import Demo
from hrsys.training import catalog as course_cache
from hrsys.training import completions, enrolments, plans
from hrsys.training.models import Course, CoursePrerequisite, CourseSession, EnrolmentStatus, PlanStatus
from hrsys.training.plan import solve
from hrsys.training.plan_instance import Need
from hrsys.training.schemas import (
    CompletionReport,
    EnrolmentCreate,
    EnrolmentStatusChange,
    PlanCreate,
    PlanItemIn,
    PlanStatusChange,
)


def load(session: Session, demo: Demo) -> str:
    courses = list(session.scalars(sa.select(Course).where(Course.active).order_by(Course.code)))
    if not courses or not demo.staff:
        return ""
    rng = demo.rng
    today = clock.today()
    sessions: dict[int, list[CourseSession]] = {}
    for c in courses:
        for k in range(rng.choice((1, 2))):
            start = today + dt.timedelta(days=rng.randint(7, 150) + 60 * k)
            s = CourseSession(
                course_id=c.id,
                starts_on=start,
                ends_on=start + dt.timedelta(days=rng.choice((0, 1, 2))),
                capacity=rng.choice((20, 25, 30)),
                location=rng.choice(("Bangkok", "Online", "Chiang Mai", "Khon Kaen")),
            )
            session.add(s)
            sessions.setdefault(c.id, []).append(s)
    session.flush()
    learners = rng.sample(demo.staff, k=min(40, len(demo.staff)))
    counts = {"completed": 0, "pending": 0, "enrolled": 0, "planned": 0}
    # Courses anyone may enrol in directly (prerequisites are checked on enrolment).
    needs_none = set(
        session.scalars(sa.select(Course.id).where(~Course.id.in_(sa.select(CoursePrerequisite.course_id))))
    )
    open_courses = [c for c in courses if c.id in needs_none] or courses
    for i, person in enumerate(learners):
        course = rng.choice(open_courses)
        if i % 8 == 7:
            enrolments.create_enrolment(session, EnrolmentCreate(person_id=person.id, course=course.code))
            counts["planned"] += 1
            continue
        slot = sessions[course.id][0]
        reports = i % 4 == 1 and counts["pending"] < 4
        if i % 4 == 0 or reports:  # a past session, so that the completion comes after it starts
            done_on = today - dt.timedelta(days=3 if reports else rng.randint(10, 200))
            slot = CourseSession(
                course_id=course.id,
                starts_on=done_on - dt.timedelta(days=rng.choice((0, 1, 2))),
                ends_on=done_on,
                capacity=rng.choice((20, 25, 30)),
                location=rng.choice(("Bangkok", "Online")),
            )
            session.add(slot)
            session.flush()
        e = enrolments.create_enrolment(
            session, EnrolmentCreate(person_id=person.id, course=course.code, session_id=slot.id)
        )
        if i % 4 == 0:
            completions.change_enrolment_status(
                session, e.id, EnrolmentStatusChange(status=EnrolmentStatus.completed, completed_on=done_on)
            )
            counts["completed"] += 1
        elif reports:
            completions.report_completion(session, e.id, CompletionReport(completed_on=done_on))
            counts["pending"] += 1
        else:
            counts["enrolled"] += 1
    n_plans = _plans(session, demo, rng)
    return (
        f"training: {sum(len(v) for v in sessions.values())} course sessions; enrolments: "
        f"{counts['completed']} completed (assessments recorded), {counts['pending']} awaiting HR confirmation, "
        f"{counts['enrolled']} enrolled, {counts['planned']} planned; {n_plans} development plans"
    )


def _plans(session: Session, demo: Any, rng: Any) -> int:
    """Plans made from the training plan toward a next role, in the session's transaction."""
    conn = session.connection()
    careers = career_cache.load(conn)
    catalog = course_cache.load(conn)
    made = 0
    statuses = [PlanStatus.draft, PlanStatus.submitted, PlanStatus.approved, PlanStatus.approved, PlanStatus.draft]
    for person in demo.staff:
        if made >= len(statuses):
            break
        if person.role_id is None or person.role_id not in careers.graph:
            continue
        nxt = sorted(careers.graph.successors(person.role_id))
        if not nxt:
            continue
        target = careers.roles[rng.choice(nxt)]
        profile = load_profile(conn, person.id)
        needs = [
            Need(r.skill_id, r.level, profile.get(r.skill_id, 0), r.essential, r.weight) for r in target.requirements
        ]
        result = solve(needs, catalog.by_baht, by_skill=catalog.by_skill)
        if not result.course_ids:
            continue
        items = [PlanItemIn(kind="course", course=catalog.info[c].code) for c in result.course_ids]  # type: ignore[arg-type]
        items.append(PlanItemIn(kind="mentoring", description=f"Monthly mentoring by a {target.title_en.lower()}"))  # type: ignore[arg-type]
        plan = plans.create_plan(
            session,
            PlanCreate(person_id=person.id, target_role=target.code, title=f"Toward {target.title_en}", items=items),
        )
        status = statuses[made]
        if status != PlanStatus.draft:
            plans.change_status(session, plan.id, PlanStatusChange(status=PlanStatus.submitted))
        if status == PlanStatus.approved:
            plans.change_status(session, plan.id, PlanStatusChange(status=PlanStatus.approved))
        made += 1
    return made
