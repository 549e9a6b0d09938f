"""Synthetic national-scale training data for ``hrsys generate`` (after people, skills and careers).

1. The shipped example courses (``skills_catalog/roles/courses.toml``).
2. Synthetic courses up to :data:`TARGET_COURSES`: one to three outcomes each on the
   assessed skills (TH-DG, DDAT) at levels 1 to 4; about 40% of the courses above
   level 1 require an earlier course that teaches the level below (so the
   prerequisites form a DAG by construction); a fifth are free; one or two
   sessions each in fiscal year 2570 with 20 to 60 seats.
3. Enrolments for about a tenth of the staff, in every status, never more than a
   session's seats. Completed ones carry no assessment of their own here (the
   skills step already generated ``training`` assessments) and no session (they
   predate the fiscal year's sessions).
4. Development plans for one person in fifty, toward a role their current role
   leads to, with two or three course items; each course item that is done comes
   with a completed enrolment in its course (the only way such an item is done).

Everything is written with ``executemany`` in chunks of 5,000 rows. Deterministic for a given seed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.careers.models import RoleRequirement, RoleTransition
from hrsys.core.stamps import bump_version
from hrsys.generate.context import GenerateContext
from hrsys.people.models import Person
from hrsys.skills.catalog.models import Framework, Skill
from hrsys.training.catalog_import import import_roles
from hrsys.training.models import (
    Course,
    CourseOutcome,
    CoursePrerequisite,
    CourseSession,
    DevelopmentPlan,
    DevelopmentPlanItem,
    Enrolment,
)

CATALOG = Path(__file__).resolve().parents[2] / "skills_catalog" / "roles"
TARGET_COURSES = 5_000
CHUNK = 5_000
FY_START = dt.date(2026, 10, 1)
PROVIDERS = [
    "Synthetic Digital Academy", "Synthetic University Extension", "Synthetic Cyber Institute",
    "Synthetic Data School", "Synthetic Leadership College", "Synthetic Online Learning",
]  # fmt: skip
TOPICS = ["Foundations of", "Working with", "Applied", "Advanced", "Leading"]


def _insert(conn: sa.Connection, table: Any, rows: list[dict[str, Any]]) -> int:
    for i in range(0, len(rows), CHUNK):
        conn.execute(sa.insert(table), rows[i : i + CHUNK])
    return len(rows)


def generate(ctx: GenerateContext) -> int:
    """Courses, outcomes, prerequisites, sessions, enrolments and development plans; returns rows written."""
    with Session(ctx.engine) as session:
        if not session.scalar(sa.select(sa.func.count()).select_from(Course)):
            import_roles(session, CATALOG)
        session.commit()
    rng = ctx.rng("training")
    written = 0
    now = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    with ctx.engine.begin() as conn:
        skills = list(
            conn.scalars(
                sa.select(Skill.id)
                .join(Framework, Framework.id == Skill.framework_id)
                .where(Framework.code.in_(["TH-DG", "DDAT"]))
                .order_by(Skill.id)
            )
        )
        if not skills:
            return 0
        existing = conn.scalar(sa.select(sa.func.count()).select_from(Course)) or 0
        next_id = (conn.scalar(sa.select(sa.func.max(Course.id))) or 0) + 1
        courses: list[dict[str, Any]] = []
        outcomes: list[dict[str, Any]] = []
        prereqs: list[dict[str, Any]] = []
        teaches: dict[tuple[int, int], list[int]] = defaultdict(list)
        for n in range(max(0, ctx.info.get("courses", TARGET_COURSES) - existing)):
            cid = next_id + n
            k = rng.choice((1, 1, 2, 2, 3))
            picked = rng.sample(skills, k)
            top = 1
            pre: set[int] = set()
            for sid in picked:
                level = rng.choices((1, 2, 3, 4), (0.3, 0.35, 0.25, 0.1))[0]
                top = max(top, level)
                outcomes.append({"course_id": cid, "skill_id": sid, "level": level})
                below = teaches.get((sid, level - 1))
                if below and rng.random() < 0.4:
                    pre.add(rng.choice(below))
                teaches[(sid, level)].append(cid)
            prereqs.extend({"course_id": cid, "prerequisite_id": p} for p in sorted(pre))
            free = rng.random() < 0.2
            courses.append(
                {
                    "id": cid,
                    "code": f"SYN-C{cid:05d}",
                    "title_en": f"{TOPICS[top - 1]} skill {picked[0]} (course {cid})",
                    "title_th": f"หลักสูตรสังเคราะห์ {cid}",
                    "provider": PROVIDERS[cid % len(PROVIDERS)],
                    "hours": float(rng.choice((3, 6, 12, 18, 24, 30, 40, 60))),
                    "cost_baht": 0 if free else rng.randrange(1_000, 60_000, 500),
                    "mode": rng.choice(("online", "classroom", "blended")),
                    "description": "Synthetic course for national-scale benchmarks.",
                    "certified_v6": rng.random() < 0.15,
                    "active": rng.random() > 0.02,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        written += _insert(conn, Course.__table__, courses)
        written += _insert(conn, CourseOutcome.__table__, outcomes)
        written += _insert(conn, CoursePrerequisite.__table__, prereqs)
        ctx.progress("courses", len(courses), len(courses))
        all_courses = list(conn.scalars(sa.select(Course.id).where(Course.active).order_by(Course.id)))
        sessions: list[dict[str, Any]] = []
        sid = (conn.scalar(sa.select(sa.func.max(CourseSession.id))) or 0) + 1
        for cid in all_courses:
            for _ in range(rng.choice((1, 1, 2))):
                start = FY_START + dt.timedelta(days=rng.randint(0, 330))
                sessions.append(
                    {
                        "id": sid,
                        "course_id": cid,
                        "starts_on": start,
                        "ends_on": start + dt.timedelta(days=rng.choice((0, 1, 2, 4))),
                        "capacity": rng.randint(20, 60),
                        "location": rng.choice(("Bangkok", "Online", "Chiang Mai", "Khon Kaen", "Songkhla")),
                    }
                )
                sid += 1
        written += _insert(conn, CourseSession.__table__, sessions)
        written += _enrolments(conn, ctx, rng, all_courses, sessions, now)
        written += _plans(conn, ctx, rng, teaches, now)
        if conn.dialect.name == "postgresql":
            for table in ("course", "course_outcome", "course_session", "enrolment", "development_plan",
                          "development_plan_item"):  # fmt: skip
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
        with Session(bind=conn) as s:
            bump_version(s, "training_catalog")
            s.flush()
    ctx.info["training"] = {"courses": existing + len(courses), "sessions": len(sessions)}
    return written


def _enrolments(
    conn: sa.Connection,
    ctx: GenerateContext,
    rng: Any,
    courses: list[int],
    sessions: list[dict[str, Any]],
    now: dt.datetime,
) -> int:
    by_course: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for s in sessions:
        by_course[s["course_id"]].append(s)
    taken: dict[int, int] = defaultdict(int)
    first, last = conn.execute(sa.select(sa.func.min(Person.id), sa.func.max(Person.id))).one()
    if first is None:
        return 0
    rows: list[dict[str, Any]] = []
    seen: set[tuple[int, int]] = set()
    for _ in range(max(1, ctx.staff // 10)):
        pid = rng.randint(first, last)
        cid = rng.choice(courses)
        if (pid, cid) in seen:
            continue
        seen.add((pid, cid))
        status = rng.choices(
            ("planned", "enrolled", "completed", "failed", "withdrawn"), (0.25, 0.4, 0.25, 0.05, 0.05)
        )[0]
        session_id = None
        # Completions predate the fiscal year's sessions, so they name none (a completion never precedes its session).
        if status not in ("planned", "completed"):
            for s in by_course.get(cid, []):
                if taken[s["id"]] < s["capacity"]:
                    session_id = s["id"]
                    if status != "withdrawn":
                        taken[s["id"]] += 1
                    break
        rows.append(
            {
                "person_id": pid,
                "course_id": cid,
                "session_id": session_id,
                "status": status,
                "completed_on": FY_START - dt.timedelta(days=rng.randint(1, 700)) if status == "completed" else None,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    return _insert(conn, Enrolment.__table__, rows)


def _plans(
    conn: sa.Connection, ctx: GenerateContext, rng: Any, teaches: dict[tuple[int, int], list[int]], now: dt.datetime
) -> int:
    successors: dict[int, list[int]] = defaultdict(list)
    stmt = sa.select(RoleTransition.from_role_id, RoleTransition.to_role_id).order_by(RoleTransition.id)
    for a, b in conn.execute(stmt):
        successors[a].append(b)
    needs: dict[int, list[tuple[int, int]]] = defaultdict(list)
    req = RoleRequirement
    for rid, sid, level in conn.execute(sa.select(req.role_id, req.skill_id, req.level).order_by(req.id)):
        needs[rid].append((sid, level))
    people = conn.execute(
        sa.select(Person.id, Person.role_id).where(Person.id % 50 == 0, Person.role_id.is_not(None)).order_by(Person.id)
    ).all()
    plan_rows: list[dict[str, Any]] = []
    item_rows: list[dict[str, Any]] = []
    done_rows: list[dict[str, Any]] = []
    plan_id = (conn.scalar(sa.select(sa.func.max(DevelopmentPlan.id))) or 0) + 1
    for pid, role_id in people:
        targets = successors.get(role_id)
        if not targets:
            continue
        target = rng.choice(targets)
        status = rng.choices(("draft", "submitted", "approved", "in_progress", "done"), (0.2, 0.2, 0.2, 0.3, 0.1))[0]
        plan_rows.append(
            {
                "id": plan_id,
                "person_id": pid,
                "target_role_id": target,
                "title": "Development plan (synthetic)",
                "status": status,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        position = 1
        for sid, level in needs.get(target, [])[:3]:
            options = teaches.get((sid, level))
            if not options:
                continue
            course_id = rng.choice(options)
            item_status = "done" if status == "done" else rng.choice(("todo", "todo", "in_progress", "done"))
            item_rows.append(
                {
                    "plan_id": plan_id,
                    "kind": "course",
                    "course_id": course_id,
                    "description": "Course toward the target role",
                    "due_on": FY_START + dt.timedelta(days=rng.randint(30, 360)),
                    "status": item_status,
                    "position": position,
                }
            )
            if item_status == "done":  # a course item is done only through a completed enrolment
                done_rows.append(
                    {
                        "person_id": pid,
                        "course_id": course_id,
                        "session_id": None,
                        "status": "completed",
                        "completed_on": FY_START - dt.timedelta(days=rng.randint(1, 365)),
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            position += 1
        plan_id += 1
    return (
        _insert(conn, DevelopmentPlan.__table__, plan_rows)
        + _insert(conn, DevelopmentPlanItem.__table__, item_rows)
        + _insert(conn, Enrolment.__table__, done_rows)
    )
