"""Training-needs analysis for an agency subtree: aggregated gaps and the courses worth most per baht.

Each active civil servant in the subtree is compared with a role: their current
role (``against=current``) or the target role of their submitted, approved or
in-progress development plans (``against=target``). Two grouped queries count,
per (role, required skill, current level), how many people there are; the rest
is arithmetic on those counts (:mod:`hrsys.training.tna`, pure), so the cost depends on
the number of distinct (role, skill, level) triples, not on the number of people.

A course's value is the shortfall it would close if everyone short in its
skills took it: for a group of ``n`` people at level ``have`` against ``need``
and an outcome level ``L``, ``n * max(0, min(L, need) - have)`` levels. Courses
rank by shortfall closed per baht (free courses first).
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.agencies.models import Agency
from hrsys.careers import cache as career_cache
from hrsys.careers.models import RoleRequirement
from hrsys.core import tabular
from hrsys.core.copying import copied
from hrsys.core.db import read_engine
from hrsys.core.errors import Invalid
from hrsys.people.models import Person, PersonKind
from hrsys.skills.assessments.models import CurrentSkill
from hrsys.training import catalog as course_cache
from hrsys.training import flows
from hrsys.training.models import DevelopmentPlan
from hrsys.training.schemas import CourseValue, SkillNeed, TrainingNeedsOut
from hrsys.training.tna import aggregate, course_value

P, A, CS, DP = Person.__table__, Agency.__table__, CurrentSkill.__table__, DevelopmentPlan.__table__


def training_needs(
    engine: Engine, *, agency: str | None = None, against: str = "current", course_limit: int = 50
) -> TrainingNeedsOut:
    careers = career_cache.career_data(engine)
    catalog = course_cache.course_catalog(engine)
    with read_engine(engine).connect() as conn:
        conds: list[sa.ColumnElement[bool]] = [P.c.active, P.c.kind == PersonKind.civil_servant]
        if agency is not None:
            path = conn.scalar(sa.select(A.c.path).where(A.c.code == agency))
            if path is None:
                raise Invalid.one("agency", f"no agency with code {agency}")
            conds.append(P.c.agency_id.in_(sa.select(A.c.id).where(A.c.path >= path, A.c.path < path[:-1] + "0")))
        if against == "target":
            pairs = (
                sa.select(DP.c.person_id.label("person_id"), DP.c.target_role_id.label("role_id"))
                .select_from(DP.join(P, P.c.id == DP.c.person_id))
                .where(DP.c.status.in_(flows.PLAN_ACTIVE), DP.c.target_role_id.is_not(None), *conds)
                .distinct()
                .subquery()
            )
        else:
            pairs = (
                sa.select(P.c.id.label("person_id"), P.c.role_id.label("role_id"))
                .where(P.c.role_id.is_not(None), *conds)
                .subquery()
            )
        role_counts = dict(
            conn.execute(sa.select(pairs.c.role_id, sa.func.count()).group_by(pairs.c.role_id)).tuples().all()
        )
        RQ = RoleRequirement.__table__
        level_counts = conn.execute(
            sa.select(pairs.c.role_id, CS.c.skill_id, CS.c.level, sa.func.count())
            .select_from(
                pairs.join(RQ, RQ.c.role_id == pairs.c.role_id).join(
                    CS,
                    sa.and_(CS.c.person_id == pairs.c.person_id, CS.c.skill_id == RQ.c.skill_id),
                )
            )
            .group_by(pairs.c.role_id, CS.c.skill_id, CS.c.level)
        ).all()
    requirements = {
        rid: [(r.skill_id, r.level, r.essential) for r in careers.roles[rid].requirements]
        for rid in role_counts
        if rid in careers.roles
    }
    per_skill = aggregate(role_counts, [(r[0], r[1], r[2], r[3]) for r in level_counts], requirements)
    skills = []
    for sid, rec in per_skill.items():
        info = careers.skills.get(sid)
        if not rec.short:
            continue
        skills.append(
            SkillNeed(
                skill=info.ref if info else str(sid),
                name_en=info.name_en if info else "",
                name_th=info.name_th if info else None,
                people_short=rec.short,
                essential_short=rec.essential_short,
                total_shortfall=rec.shortfall,
                people_assessed=rec.assessed,
            )
        )
    skills.sort(key=lambda s: (-s.total_shortfall, s.skill))
    candidates: set[int] = set()
    for sid in per_skill:
        candidates.update(cid for cid, _ in catalog.by_skill.get(sid, ()))
    values = []
    for cid in candidates:
        course = catalog.info[cid]
        closed, helped = course_value(catalog.by_baht[cid].outcomes, per_skill)
        if not closed:
            continue
        per = None if course.cost_baht == 0 else round(closed * 100_000 / course.cost_baht, 3)
        values.append(copied(CourseValue, course, shortfall_closed=closed, people_helped=helped, per_100k_baht=per))
    values.sort(key=lambda v: (v.per_100k_baht is not None, -(v.per_100k_baht or 0), -v.shortfall_closed, v.code))
    return TrainingNeedsOut(
        agency=agency,
        against=against,  # type: ignore[arg-type]
        people=sum(role_counts.values()),
        skills=skills,
        courses=values[:course_limit],
    )


SKILL_COLUMNS = ["skill", "name_en", "name_th", "people_short", "essential_short", "total_shortfall", "people_assessed"]
COURSE_COLUMNS = ["code", "title_en", "provider", "cost_baht", "hours", "shortfall_closed", "people_helped",
                  "per_100k_baht"]  # fmt: skip


def _rows(items: Iterable[object], columns: list[str]) -> list[list[object]]:
    return [[getattr(i, c) for c in columns] for i in items]


def to_csv(report: TrainingNeedsOut, table: str = "skills") -> bytes:
    """One table of the report as UTF-8 CSV with a byte-order mark (Excel opens Thai text right)."""
    columns = SKILL_COLUMNS if table == "skills" else COURSE_COLUMNS
    rows = _rows(report.skills if table == "skills" else report.courses, columns)
    return tabular.csv_bytes([columns, *rows])  # text that would run as a formula neutralised


def to_xlsx(report: TrainingNeedsOut) -> bytes:
    """The report as a workbook: a summary sheet, the skill gaps and the courses."""
    from openpyxl import Workbook  # heavy to import: only when a workbook is asked for

    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    tabular.append(ws, ["Training-needs analysis"])
    tabular.append(ws, ["Agency subtree", report.agency or "(all agencies)"])
    tabular.append(ws, ["Compared against", f"{report.against} role"])
    tabular.append(ws, ["People", report.people])
    for title, columns, items in (
        ("Skill gaps", SKILL_COLUMNS, report.skills),
        ("Courses", COURSE_COLUMNS, report.courses),
    ):
        sheet = wb.create_sheet(title)
        tabular.append(sheet, columns)
        for row in _rows(items, columns):
            tabular.append(sheet, row)
        sheet.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
