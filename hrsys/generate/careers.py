"""Synthetic national-scale careers data for ``hrsys generate`` (after agencies, people and skills).

1. Imports the shipped roles catalog (``skills_catalog/roles``: 39 roles, 51 transitions;
   its courses are left to the training step).
2. Adds synthetic role families until there are about :data:`TARGET_ROLES` roles:
   in every track, families of six levels, each role requiring 4 to 8 of the
   assessed skills (TH-DG and DDAT) at levels that grow with the role level. Their
   transitions: a promotion up each family (2 to 4 years), a lateral move to the
   next family of the track at the same level, and specialisations into another
   track one level up; about three transitions per role.
3. Gives every civil servant a role that fits their position level and a date
   since when they hold it, in one ``UPDATE`` (arithmetic on the person id), so
   500,000 people take seconds.

Deterministic for a given seed. Roles of one level get contiguous ids, which is
what lets the assignment be a single statement.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.careers.models import Role, RoleRequirement, RoleTransition, Track
from hrsys.core.stamps import bump_version
from hrsys.generate.context import GenerateContext
from hrsys.people.models import Person
from hrsys.skills.assessments.models import CurrentSkill
from hrsys.skills.catalog.models import Framework, Skill
from hrsys.training.catalog_import import import_roles

CATALOG = Path(__file__).resolve().parents[2] / "skills_catalog" / "roles"
TARGET_ROLES = 1_000
LEVELS = 6
ANCHOR = dt.date(2026, 10, 1)
FAMILY_WORDS = [
    "Analytics", "Platform", "Records", "Registry", "Payments", "Licensing", "Health data", "Tax systems",
    "Land data", "Customs", "Education data", "Social services", "Procurement", "Statistics", "Geospatial",
    "Open data", "Identity", "Citizen portal", "Case management", "Field services", "Network", "Helpdesk",
    "Cloud", "Integration", "Mobile", "Web", "Security operations", "Risk", "Audit", "Finance systems",
]  # fmt: skip
LEVEL_TITLES = ["Assistant", "Officer", "Senior officer", "Lead", "Head", "Director"]
LEVEL_TITLES_TH = ["ผู้ช่วย", "เจ้าหน้าที่", "เจ้าหน้าที่อาวุโส", "หัวหน้างาน", "หัวหน้ากลุ่ม", "ผู้อำนวยการ"]
POSITION_LEVELS_BY_ROLE_LEVEL = {
    1: ["operational", "experienced"],
    2: ["practitioner", "senior"],
    3: ["professional", "highly_skilled"],
    4: ["senior_professional"],
    5: ["expert", "managerial_primary"],
    6: ["advisory", "managerial_senior", "executive_primary", "executive_senior"],
}
PERSON_ROLE_LEVEL = {p: lv for lv, ps in POSITION_LEVELS_BY_ROLE_LEVEL.items() for p in ps}
"""Which synthetic role level a person of each position level holds."""


def generate(ctx: GenerateContext) -> int:
    """Shipped and synthetic roles, their requirements and transitions, and everyone's role; rows written."""
    engine = ctx.engine
    with Session(engine) as session:
        if not session.scalar(sa.select(sa.func.count()).select_from(Role)):
            import_roles(session, CATALOG, courses=False)
        session.commit()
    rng = ctx.rng("careers")
    written = 0
    with engine.begin() as conn:
        existing = conn.scalar(sa.select(sa.func.count()).select_from(Role)) or 0
        skills = conn.execute(
            sa.select(Skill.id)
            .join(Framework, Framework.id == Skill.framework_id)
            .where(Framework.code.in_(["TH-DG", "DDAT"]))
            .order_by(Skill.id)
        ).scalars().all()  # fmt: skip
        if not skills:  # no catalog: nothing meaningful to require
            return 0
        # People hold these skills most: requirements drawn from them make gaps realistic.
        held = conn.execute(
            sa.select(CurrentSkill.skill_id, sa.func.count())
            .where(CurrentSkill.skill_id.in_(skills))
            .group_by(CurrentSkill.skill_id)
        ).tuples().all()  # fmt: skip
        weight = {sid: 1.0 for sid in skills} | {sid: 1.0 + n / max(1, ctx.staff) for sid, n in held}
        tracks = [t for t in Track]
        families_per_track = max(1, -(-(ctx.info.get("roles", TARGET_ROLES) - existing) // (len(tracks) * LEVELS)))
        now = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
        start_id = (conn.scalar(sa.select(sa.func.max(Role.id))) or 0) + 1
        role_rows: list[dict[str, Any]] = []
        req_rows: list[dict[str, Any]] = []
        keys: dict[tuple[int, int, int], int] = {}
        # Level-major order: the roles of one level get one contiguous id range.
        next_id = start_id
        ranges: dict[int, tuple[int, int]] = {}
        for level in range(1, LEVELS + 1):
            lo = next_id
            for ti, track in enumerate(tracks):
                for f in range(families_per_track):
                    family = FAMILY_WORDS[(ti * 7 + f) % len(FAMILY_WORDS)]
                    abbrev = "".join(w[0] for w in track.value.split("_")).upper()  # unique per track
                    code = f"SYN-{abbrev}-{f + 1:02d}-L{level}"
                    role_rows.append(
                        {
                            "id": next_id,
                            "code": code,
                            "title_en": f"{family} {LEVEL_TITLES[level - 1].lower()} ({track.value.replace('_', ' ')})",
                            "title_th": f"{LEVEL_TITLES_TH[level - 1]} {family}",
                            "track": track,
                            "level": level,
                            "description": "Synthetic role for national-scale benchmarks.",
                            "position_levels": POSITION_LEVELS_BY_ROLE_LEVEL[level],
                            "critical": level >= 5 and f % 3 == 0,
                            "retired": False,
                            "version": 1,
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
                    keys[(ti, f, level)] = next_id
                    picked = _weighted_sample(rng, list(skills), weight, rng.randint(4, 8))
                    for i, sid in enumerate(picked):
                        req_rows.append(
                            {
                                "role_id": next_id,
                                "skill_id": sid,
                                "level": max(1, min(4, (level + 1) // 2 + rng.choice((0, 0, 1, -1)))),
                                "essential": i < 3 or rng.random() < 0.4,
                                "weight": rng.choice((1.0, 1.0, 1.0, 2.0)),
                            }
                        )
                    next_id += 1
            ranges[level] = (lo, next_id - 1)
        trans_rows: list[dict[str, Any]] = []
        for (ti, f, level), rid in keys.items():
            up = keys.get((ti, f, level + 1))
            if up is not None:
                trans_rows.append(_edge(rid, up, "promotion", rng.choice((2.0, 3.0, 3.0, 4.0))))
            side = keys.get((ti, (f + 1) % families_per_track, level))
            if side is not None and side != rid:
                trans_rows.append(_edge(rid, side, "lateral", 1.0))
            other = keys.get(((ti + 1 + f) % len(tracks), f, level + 1))
            if other is not None and level < LEVELS and rng.random() < 0.7:
                trans_rows.append(_edge(rid, other, "specialisation", 2.0))
        unique: dict[tuple[int, int], dict[str, Any]] = {}
        for t in trans_rows:
            unique.setdefault((t["from_role_id"], t["to_role_id"]), t)
        trans_rows = list(unique.values())
        for model, rows in ((Role, role_rows), (RoleRequirement, req_rows), (RoleTransition, trans_rows)):
            for i in range(0, len(rows), 5_000):
                conn.execute(sa.insert(model), rows[i : i + 5_000])
            written += len(rows)
            ctx.progress("roles", written, len(role_rows) + len(req_rows) + len(trans_rows))
        if conn.dialect.name == "postgresql":
            for name in ("role", "role_requirement", "role_transition"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"
                )
        written += _assign_roles(conn, ranges, ctx.seed)
        with Session(bind=conn) as s:
            bump_version(s, "career_graph")
            s.flush()
    ctx.info["careers"] = {"roles": existing + len(role_rows), "transitions": len(trans_rows), "ranges": ranges}
    return written


def _edge(a: int, b: int, kind: str, years: float) -> dict[str, Any]:
    return {"from_role_id": a, "to_role_id": b, "kind": kind, "min_years": years}


def _weighted_sample(rng: Any, items: list[int], weight: dict[int, float], k: int) -> list[int]:
    out: list[int] = []
    pool = list(items)
    for _ in range(min(k, len(pool))):
        pick = rng.choices(pool, [weight[i] for i in pool])[0]
        out.append(pick)
        pool.remove(pick)
    return out


def _assign_roles(conn: sa.Connection, ranges: dict[int, tuple[int, int]], seed: int) -> int:
    """Every civil servant gets a role of the level their position fits, in one UPDATE; returns rows updated."""
    P = cast(sa.Table, Person.__table__)
    pid = P.c.id
    whens = []
    for position_level, role_level in PERSON_ROLE_LEVEL.items():
        lo, hi = ranges[role_level]
        n = hi - lo + 1
        # BIGINT: id * 7919 passes 2**31 at national scale on PostgreSQL.
        whens.append((P.c.position_level == position_level, lo + (sa.cast(pid, sa.BigInteger) * 7919 + seed) % n))
    since = sa.case(
        *[(pid % 40 == i, sa.literal(ANCHOR - dt.timedelta(days=90 * i + 30), sa.Date)) for i in range(40)],
        else_=sa.literal(ANCHOR, sa.Date),
    )
    result = conn.execute(
        sa.update(P)
        .where(P.c.kind == "civil_servant", P.c.position_level.is_not(None))
        .values(role_id=sa.case(*whens, else_=None), role_since=since)
    )
    return int(result.rowcount or 0)
