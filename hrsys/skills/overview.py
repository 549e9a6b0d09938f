"""Reads of skills for the pages: the skill-group tree's top levels, a profile grouped by them, and the skills
offered in the self-assessment form."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.core.db import read_engine
from hrsys.skills.assessments.models import CurrentSkill
from hrsys.skills.catalog.models import Framework, Skill, SkillGroup

CS = CurrentSkill.__table__
F = Framework.__table__
S = Skill.__table__
SG = SkillGroup.__table__


def group_roots(conn: sa.Connection) -> dict[int, tuple[int, str, str]]:
    """Each skill group -> its top-level group (id, Thai name, English name)."""
    rows = {r.id: r for r in conn.execute(sa.select(SG.c.id, SG.c.parent_id, SG.c.name_th, SG.c.name_en))}
    out: dict[int, tuple[int, str, str]] = {}
    for gid in rows:
        g, seen = rows[gid], set()
        while g.parent_id is not None and g.parent_id in rows and g.id not in seen:
            seen.add(g.id)
            g = rows[g.parent_id]
        out[gid] = (g.id, g.name_th, g.name_en)
    return out


def profile_groups(engine: Engine, entries: list[Any]) -> list[tuple[str, list[Any]]]:
    """Profile entries grouped by their skill's top-level group, sorted by the group's English name.

    Keys are the English and Thai names joined by a NUL character (the framework code for a skill without a
    group). One query for the skills' groups and one for the group tree.
    """
    refs = {e.skill.ref for e in entries}
    if not refs:
        return []
    with read_engine(engine).connect() as conn:
        roots = group_roots(conn)
        rows = conn.execute(
            sa.select(F.c.code, S.c.code, S.c.group_id)
            .select_from(S.join(F, F.c.id == S.c.framework_id))
            .where(S.c.code.in_({r.split(":", 1)[1] for r in refs}))
        ).all()
    group_of = {f"{fw}:{code}": roots.get(gid) for fw, code, gid in rows}
    out: dict[str, list[Any]] = {}
    for e in entries:
        g = group_of.get(e.skill.ref)
        key = f"{g[2]}\u0000{g[1]}" if g else f"{e.skill.framework}\u0000{e.skill.framework}"
        out.setdefault(key, []).append(e)
    return sorted(out.items())


def self_assessable_skills(engine: Engine, person_id: int, first: Sequence[int] = ()) -> list[dict[str, Any]]:
    """Skills offered in the self-assessment form: ``first`` (the role's requirements), then the skills the
    person holds, else the first 30 skills of the catalog."""
    with read_engine(engine).connect() as conn:
        ids: list[int] = list(first)
        ids += [i for i in conn.scalars(sa.select(CS.c.skill_id).where(CS.c.person_id == person_id)) if i not in ids]
        if not ids:
            ids = list(conn.scalars(sa.select(S.c.id).where(S.c.retired.is_(False)).order_by(S.c.id).limit(30)))
        rows = conn.execute(
            sa.select(S.c.id, S.c.code, S.c.name_th, S.c.name_en, F.c.code.label("fw"))
            .select_from(S.join(F, F.c.id == S.c.framework_id))
            .where(S.c.id.in_(ids))
        ).all()
    order = {sid: i for i, sid in enumerate(ids)}
    return [
        {"ref": f"{r.fw}:{r.code}", "name_th": r.name_th, "name_en": r.name_en}
        for r in sorted(rows, key=lambda r: order[r.id])
    ]
