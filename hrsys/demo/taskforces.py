"""Demo step: one Digital Transformation task force led by the demo lead, with needs and KPIs.

It gives the task-force lead's pages something to show: needs to cover (a team can be proposed and
accepted from the demo staff), and two KPIs with actual values, one of them behind its target.
Dates are relative to the day the demo is loaded, so the task force is always running.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.demo.context import Demo
from hrsys.skills.assessments.models import CurrentSkill
from hrsys.skills.catalog.models import Skill
from hrsys.taskforces import monitoring, needs, service
from hrsys.taskforces.schemas import ActualCreate, KpiCreate, NeedCreate, TaskForceCreate
from hrsys.taskforces.states import KpiKind

CODE = "TF-DGA-OPENDATA"


def _common_skills(session: Session, n: int) -> list[int]:
    """The ``n`` skills most people hold at level 2 or more (so a team can be found), most common first."""
    cs = CurrentSkill.__table__
    rows = session.execute(
        sa.select(cs.c.skill_id, sa.func.count().label("n"))
        .where(cs.c.level >= 2)
        .group_by(cs.c.skill_id)
        .order_by(sa.desc("n"), cs.c.skill_id)
        .limit(n)
    ).all()
    return [r.skill_id for r in rows]


def load(session: Session, demo: Demo) -> str:
    leads = demo.people_by_role.get("taskforce_lead") or []
    if not leads or "MDES-DGA" not in demo.agencies:
        return ""
    lead = leads[0]
    today = service.today()
    tf = service.create(
        session,
        TaskForceCreate(
            code=CODE,
            name_th="ทีมเปิดเผยข้อมูลภาครัฐ",
            name_en="Open Government Data Team",
            agency="MDES-DGA",
            starts_on=today - dt.timedelta(days=60),
            ends_on=today + dt.timedelta(days=300),
            mission="Publish the ministry's high-value datasets as open data and help agencies use them.",
            lead_id=lead.id,
            budget_baht=2_400_000,
        ),
    )
    skills = _common_skills(session, 3)
    if len(skills) < 3:
        skills += list(session.scalars(sa.select(Skill.id).order_by(Skill.id).limit(3 - len(skills))))
    for i, skill_id in enumerate(skills):
        needs.add_need(
            session,
            tf.id,
            NeedCreate(skill_id=skill_id, min_level=3 if i == 2 else 2, allocation=50, headcount=2 if i == 0 else 1),
        )
    datasets = monitoring.add_kpi(
        session,
        tf.id,
        KpiCreate(kind=KpiKind.output, name_en="Datasets published", name_th="ชุดข้อมูลที่เผยแพร่", unit="datasets",
                  target=40, baseline=0, due_on=today + dt.timedelta(days=300)),
    )  # fmt: skip
    users = monitoring.add_kpi(
        session,
        tf.id,
        KpiCreate(kind=KpiKind.outcome, name_en="Agencies using the data", name_th="หน่วยงานที่ใช้ข้อมูล",
                  unit="agencies", target=12, baseline=2, due_on=today + dt.timedelta(days=300)),
    )  # fmt: skip
    monitoring.add_actual(session, tf.id, datasets.id, ActualCreate(measured_on=today - dt.timedelta(days=30), value=3))
    monitoring.add_actual(session, tf.id, datasets.id, ActualCreate(measured_on=today - dt.timedelta(days=1), value=5))
    monitoring.add_actual(session, tf.id, users.id, ActualCreate(measured_on=today - dt.timedelta(days=1), value=5))
    return f"task force {CODE} led by {lead.first_name_en} {lead.last_name_en}: {len(skills)} needs, 2 KPIs"
