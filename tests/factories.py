"""Small builders for test data, through the ORM (services are tested through the API)."""

from __future__ import annotations

import itertools
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.agencies.models import Agency, AgencyKind
from hrsys.config import AccessSettings
from hrsys.core import clock
from hrsys.people.models import Person, PersonKind, PositionLevel, PositionType

_seq = itertools.count(1)


TEST_ACCESS = AccessSettings(argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1)
"""Cheap password hashing in tests (production keeps RFC 9106's 64 MiB); hashes record their own cost."""


def agency(session: Session, code: str | None = None, parent: Agency | None = None, **kw: Any) -> Agency:
    code = code or f"AG{next(_seq)}"
    a = Agency(
        code=code,
        name_th=kw.pop("name_th", f"หน่วยงาน {code}"),
        name_en=kw.pop("name_en", f"Agency {code}"),
        kind=kw.pop("kind", AgencyKind.department if parent else AgencyKind.ministry),
        parent_id=parent.id if parent else None,
        path="/",
        depth=(parent.depth + 1) if parent else 0,
        **kw,
    )
    session.add(a)
    session.flush()
    a.path = f"{parent.path if parent else '/'}{a.id}/"
    session.commit()
    return a


def person(session: Session, agency: Agency | None = None, **kw: Any) -> Person:
    n = next(_seq)
    kind = kw.pop("kind", PersonKind.civil_servant if agency else PersonKind.external_expert)
    p = Person(
        kind=kind,
        first_name_th=kw.pop("first_name_th", f"ทดสอบ{n}"),
        last_name_th=kw.pop("last_name_th", "ใจดี"),
        first_name_en=kw.pop("first_name_en", f"Test{n}"),
        last_name_en=kw.pop("last_name_en", "Jaidee"),
        agency_id=agency.id if agency else None,
        organisation=kw.pop("organisation", None if agency else "Example Co., Ltd."),
        position_type=kw.pop("position_type", PositionType.knowledge_worker if agency else None),
        position_level=kw.pop("position_level", PositionLevel.practitioner if agency else None),
        **kw,
    )
    session.add(p)
    session.commit()
    return p


def people(session: Session, agency: Agency, n: int) -> list[int]:
    """``n`` civil servants of ``agency`` in one insert; their ids in order."""
    first = next(_seq)
    rows = [
        {
            "kind": PersonKind.civil_servant,
            "first_name_th": f"ทดสอบ{first}x{i}",
            "last_name_th": "ใจดี",
            "first_name_en": f"Test{first}x{i}",
            "last_name_en": "Jaidee",
            "agency_id": agency.id,
            "position_type": PositionType.knowledge_worker,
            "position_level": PositionLevel.practitioner,
        }
        for i in range(n)
    ]
    session.execute(sa.insert(Person), rows)
    session.commit()
    return list(session.scalars(sa.select(Person.id).where(Person.agency_id == agency.id).order_by(Person.id)))


# --- skills catalog and assessments (issue 4) -------------------------------------------------------


def shipped_catalog(session: Session) -> list[Any]:
    """Import the shipped frameworks (``skills_catalog/``: TH-DG and DDAT); returns the import reports."""
    from pathlib import Path

    from hrsys.skills.catalog.importer import import_catalog

    reports = import_catalog(session, Path(__file__).resolve().parents[1] / "skills_catalog")
    session.commit()
    return reports


def assessment(session: Session, person: Person, skill: str, level: int, source: str = "self", **kw: Any) -> Any:
    """Record an assessment through the service (so the current profile follows). ``skill`` is ``FRAMEWORK:CODE``."""
    import datetime as dt

    from hrsys.skills.assessments.schemas import AssessmentCreate
    from hrsys.skills.assessments.service import record_assessment

    data = AssessmentCreate(
        skill=skill,
        level=level,
        source=source,  # type: ignore[arg-type]
        assessed_on=kw.pop("assessed_on", clock.today() - dt.timedelta(days=30)),
        **kw,
    )
    out = record_assessment(session, person.id, data)
    session.commit()
    return out


# --- secondments (issue 7) ------------------------------------------------------------------------


def kt_skills(session: Session, codes: list[str], *, framework: str = "KT", levels: int = 4) -> dict[str, Any]:
    """Skills ``codes`` in a framework (created if missing) whose scale runs 1..``levels``: ``{code: Skill}``."""
    import sqlalchemy as sa

    from hrsys.skills.catalog.models import Framework, ProficiencyLevel, Skill

    fw = session.scalar(sa.select(Framework).where(Framework.code == framework))
    if fw is None:
        fw = Framework(code=framework, name_th=f"กรอบ {framework}", name_en=f"Framework {framework}", version="1")
        session.add(fw)
        session.flush()
        for level in range(1, levels + 1):
            session.add(
                ProficiencyLevel(
                    framework_id=fw.id,
                    level=level,
                    code=f"L{level}",
                    label_th=f"ระดับ {level}",
                    label_en=f"Level {level}",
                )
            )
    out = {}
    for code in codes:
        s = Skill(framework_id=fw.id, code=code, name_en=f"Skill {code}", name_th=f"ทักษะ {code}")
        session.add(s)
        out[code] = s
    session.commit()
    return out


def secondment(session: Session, person: Person, host: Agency, starts_on: Any, ends_on: Any, **kw: Any) -> Any:
    """A secondment row written directly (history for rule tests); default ``completed``, 100%, no cost."""
    from hrsys.secondments.models import Secondment, SecondmentStatus

    s = Secondment(
        person_id=person.id,
        host_agency_id=host.id,
        sending_organisation=kw.pop("sending_organisation", person.organisation or "Home agency"),
        sending_agency_id=kw.pop("sending_agency_id", None),
        starts_on=starts_on,
        ends_on=ends_on,
        first_ends_on=kw.pop("first_ends_on", ends_on),
        allocation=kw.pop("allocation", 100),
        host_share_pct=kw.pop("host_share_pct", 100),
        sender_share_pct=kw.pop("sender_share_pct", 0),
        monthly_cost_baht=kw.pop("monthly_cost_baht", 0),
        status=kw.pop("status", SecondmentStatus.completed),
        extensions=kw.pop("extensions", 0),
        **kw,
    )
    session.add(s)
    session.commit()
    return s


# --- careers and training (issue 5) ---------------------------------------------------------------


def career_skills(session: Session, codes: list[str], framework: str = "TF") -> dict[str, Any]:
    """A framework (created if missing) and skills ``codes`` in it: ``{code: Skill}``. Refs are ``TF:CODE``."""
    import sqlalchemy as sa

    from hrsys.skills.catalog.models import Framework, Skill

    fw = session.scalar(sa.select(Framework).where(Framework.code == framework))
    if fw is None:
        fw = Framework(code=framework, name_th=f"กรอบ {framework}", name_en=f"Framework {framework}", version="1")
        session.add(fw)
        session.flush()
    out = {}
    for code in codes:
        s = Skill(framework_id=fw.id, code=code, name_en=f"Skill {code}", name_th=f"ทักษะ {code}")
        session.add(s)
        out[code] = s
    session.commit()
    return out


def set_skill_level(session: Session, person: Person, skill: Any, level: int, **kw: Any) -> None:
    """Give ``person`` ``level`` in ``skill``: a manager assessment and its ``current_skill`` row."""
    import datetime as dt

    from hrsys.skills.assessments.models import Assessment, AssessmentSource, CurrentSkill

    on = kw.pop("assessed_on", dt.date(2025, 1, 1))
    a = Assessment(
        person_id=person.id, skill_id=skill.id, level=level, source=AssessmentSource.manager, assessed_on=on, **kw
    )
    session.add(a)
    session.flush()
    session.merge(
        CurrentSkill(
            person_id=person.id,
            skill_id=skill.id,
            level=level,
            source=AssessmentSource.manager,
            assessment_id=a.id,
            assessed_on=on,
            valid_until=kw.get("valid_until"),
        )
    )
    session.commit()


def career_role(
    session: Session,
    code: str,
    *,
    track: str = "data",
    level: int = 1,
    requirements: list[tuple[Any, int, bool, float]] | None = None,
    **kw: Any,
) -> Any:
    """A role; ``requirements`` are ``(skill, level, essential, weight)``. Bumps the career-graph stamp."""
    from hrsys.careers.models import Role, RoleRequirement, Track
    from hrsys.core.stamps import bump_version

    r = Role(
        code=code,
        title_th=kw.pop("title_th", f"ตำแหน่ง {code}"),
        title_en=kw.pop("title_en", f"Role {code}"),
        track=Track(track),
        level=level,
        position_levels=kw.pop("position_levels", []),
        **kw,
    )
    session.add(r)
    session.flush()
    for skill, lv, essential, weight in requirements or []:
        session.add(RoleRequirement(role_id=r.id, skill_id=skill.id, level=lv, essential=essential, weight=weight))
    bump_version(session, "career_graph")
    session.commit()
    return r


def career_transition(session: Session, source: Any, target: Any, kind: str = "promotion", min_years: float = 0) -> Any:
    from hrsys.careers.models import RoleTransition, TransitionKind
    from hrsys.core.stamps import bump_version

    t = RoleTransition(from_role_id=source.id, to_role_id=target.id, kind=TransitionKind(kind), min_years=min_years)
    session.add(t)
    bump_version(session, "career_graph")
    session.commit()
    return t


def career_course(
    session: Session,
    code: str,
    *,
    outcomes: list[tuple[Any, int]] | None = None,
    prerequisites: list[Any] | None = None,
    cost_baht: int = 1000,
    hours: float = 6,
    **kw: Any,
) -> Any:
    """A course with ``outcomes`` ``(skill, level)`` and ``prerequisites`` (courses). Bumps the course stamp."""
    from hrsys.core.stamps import bump_version
    from hrsys.training.models import Course, CourseMode, CourseOutcome, CoursePrerequisite

    c = Course(
        code=code,
        title_th=kw.pop("title_th", f"หลักสูตร {code}"),
        title_en=kw.pop("title_en", f"Course {code}"),
        provider=kw.pop("provider", "Digital Government Academy"),
        hours=hours,
        cost_baht=cost_baht,
        mode=CourseMode(kw.pop("mode", "online")),
        **kw,
    )
    session.add(c)
    session.flush()
    for skill, level in outcomes or []:
        session.add(CourseOutcome(course_id=c.id, skill_id=skill.id, level=level))
    for p in prerequisites or []:
        session.add(CoursePrerequisite(course_id=c.id, prerequisite_id=p.id))
    bump_version(session, "training_catalog")
    session.commit()
    return c


def user(
    session: Session,
    role: str = "staff",
    *,
    username: str | None = None,
    password: str | None = None,
    agency: Agency | None = None,
    person: Person | None = None,
    **kw: Any,
) -> Any:
    """A user with a known password (kept on ``.password``). HR officers need ``agency``; staff a ``person``."""
    from hrsys.access.models import User, UserRole

    n = next(_seq)
    password = password or f"correct-horse-{n}-battery"
    u = User(
        username=username or f"{role.replace('_', '-')}-{n}",
        password_hash=TEST_ACCESS.hasher.hash(password),
        role=UserRole(role),
        agency_id=agency.id if agency else None,
        person_id=person.id if person else None,
        active=kw.pop("active", True),
        token_generation=0,
        failed_logins=0,
        **kw,
    )
    session.add(u)
    session.commit()
    u.password = password  # type: ignore[attr-defined]
    return u


# --- task forces (issue 6) ------------------------------------------------------------------------


def taskforce(session: Session, agency: Agency, starts_on: Any, ends_on: Any, **kw: Any) -> Any:
    """A task force written directly (status ``forming`` unless told), owned by ``agency``."""
    from hrsys.taskforces.models import TaskForce, TaskForceStatus

    n = next(_seq)
    tf = TaskForce(
        code=kw.pop("code", f"TF{n}"),
        agency_id=agency.id,
        name_th=kw.pop("name_th", f"คณะทำงาน {n}"),
        name_en=kw.pop("name_en", f"Task force {n}"),
        starts_on=starts_on,
        ends_on=ends_on,
        status=kw.pop("status", TaskForceStatus.forming),
        **kw,
    )
    session.add(tf)
    session.commit()
    return tf


def taskforce_need(session: Session, tf: Any, skill: Any, min_level: int = 2, **kw: Any) -> Any:
    from hrsys.taskforces.models import TaskForceNeed

    need = TaskForceNeed(
        taskforce_id=tf.id,
        skill_id=skill.id,
        min_level=min_level,
        headcount=kw.pop("headcount", 1),
        allocation=kw.pop("allocation", 50),
        essential=kw.pop("essential", True),
    )
    session.add(need)
    session.commit()
    return need


def taskforce_member(session: Session, tf: Any, person: Person, allocation: int = 50, **kw: Any) -> Any:
    """A membership written directly (no allocation check: for history and collaboration graphs)."""
    from hrsys.taskforces.models import MemberStatus, TaskForceMember

    m = TaskForceMember(
        taskforce_id=tf.id,
        person_id=person.id,
        need_id=kw.pop("need_id", None),
        allocation=allocation,
        starts_on=kw.pop("starts_on", tf.starts_on),
        ends_on=kw.pop("ends_on", tf.ends_on),
        status=kw.pop("status", MemberStatus.active),
        **kw,
    )
    session.add(m)
    session.commit()
    return m
