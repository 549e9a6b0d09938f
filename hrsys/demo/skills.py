"""Demo step: the shipped catalog (frameworks, roles, transitions, courses), roles for the demo
staff, and skill assessments from several sources so that profiles, gaps and paths have data.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.careers.models import Role, RoleRequirement
from hrsys.demo.context import Demo
from hrsys.skills.assessments.models import Assessment, AssessmentSource
from hrsys.skills.assessments.service import rebuild_profiles
from hrsys.skills.catalog.importer import import_catalog
from hrsys.skills.catalog.models import Skill
from hrsys.training.catalog_import import import_roles

CATALOG = Path(__file__).resolve().parents[2] / "skills_catalog"

# Which roles the demo agencies' staff hold (by agency code; the first role is the most common).
ROLES_BY_AGENCY = {
    "MDES-OPS": ["GEN-ADMIN-OFFICER", "GEN-POLICY-ANALYST", "GEN-HR-OFFICER", "GEN-FINANCE-OFFICER"],
    "MDES-STAT": ["GEN-STATISTICIAN", "GEN-ADMIN-OFFICER"],
    "STAT-CMI": ["GEN-STATISTICIAN", "GEN-ADMIN-OFFICER"],
    "STAT-KKN": ["GEN-STATISTICIAN", "GEN-ADMIN-OFFICER"],
    "STAT-SKA": ["GEN-STATISTICIAN", "GEN-ADMIN-OFFICER"],
    "MDES-MET": ["GEN-ADMIN-OFFICER", "GEN-STATISTICIAN", "GEN-PROCUREMENT-OFFICER"],
    "MDES-DGA": ["GEN-POLICY-ANALYST", "GEN-ADMIN-OFFICER"],
}
DIGITAL_SHARE = 0.3
"""Share of staff in digital roles (any non-general track), so the demo has people on every path."""


def load(session: Session, demo: Demo) -> str:
    reports = import_catalog(session, CATALOG)
    roles_report = import_roles(session, CATALOG / "roles")
    session.flush()
    rng = demo.rng
    roles = {r.code: r for r in session.scalars(sa.select(Role))}
    digital = [r for r in roles.values() if r.track.value != "general" and r.level <= 3]
    requirements: dict[int, list[tuple[int, int]]] = {}
    for req in session.scalars(sa.select(RoleRequirement)):
        requirements.setdefault(req.role_id, []).append((req.skill_id, req.level))
    all_skills = list(session.scalars(sa.select(Skill.id).where(Skill.retired.is_(False))))
    code_of: dict[int | None, str] = {a.id: code for code, a in demo.agencies.items()}
    today = dt.date(2026, 11, 1)
    rows: list[dict[str, Any]] = []
    for person in demo.staff:
        choices = [roles[c] for c in ROLES_BY_AGENCY.get(code_of[person.agency_id], []) if c in roles]
        if digital and (not choices or rng.random() < DIGITAL_SHARE):
            role = rng.choice(digital)
        else:
            role = choices[0] if rng.random() < 0.6 else rng.choice(choices)
        person.role_id = role.id
        person.role_since = dt.date(rng.randint(2015, 2025), rng.randint(1, 12), 1)
        wanted = list(requirements.get(role.id, []))
        wanted += [(s, rng.randint(1, 3)) for s in rng.sample(all_skills, k=min(3, len(all_skills)))]
        for skill_id, need in wanted:
            level = max(1, min(4, need + rng.choice([-1, 0, 0, 1])))
            source = rng.choices(
                [AssessmentSource.self, AssessmentSource.manager, AssessmentSource.assessment_centre,
                 AssessmentSource.certification],
                [0.45, 0.3, 0.15, 0.1],
            )[0]  # fmt: skip
            assessed = today - dt.timedelta(days=rng.randint(30, 900))
            valid_until = None
            if source is AssessmentSource.certification:
                # Some certificates have lapsed: the profile then falls back to other evidence.
                valid_until = assessed + dt.timedelta(days=rng.choice([365, 730, 1095]))
            rows.append(
                {"person_id": person.id, "skill_id": skill_id, "level": level, "source": source,
                 "assessed_on": assessed, "valid_until": valid_until,
                 "evidence": "Demo evidence" if source is not AssessmentSource.self else None}
            )  # fmt: skip
    session.flush()
    session.execute(sa.insert(Assessment), rows)
    profiles = rebuild_profiles(session, person_ids=[p.id for p in demo.staff])
    skills = sum(r.skills.added for r in reports)
    return (
        f"catalog: {', '.join(r.framework for r in reports)} ({skills} skills), "
        f"{roles_report.roles.added} roles, {roles_report.transitions.added} transitions, "
        f"{roles_report.courses.added} courses; {len(rows)} assessments, {profiles} current skill levels"
    )
