"""The roles and transitions of a roles folder, upserted (the careers part of ``hrsys roles import``).

The whole folder (roles, transitions and courses, in one transaction, one report)
is imported by :func:`hrsys.training.catalog_import.import_roles`: courses are
training's, and training sits above careers. This module checks and upserts the
careers part. Everything is matched by code (roles) or by its pair of role codes
(transitions); a role's requirements are replaced by the file's when they
differ; roles and transitions that are not in the files are left alone (they may
have been created through the API).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.careers.catalog_format import RolesCatalog
from hrsys.careers.models import Role, RoleRequirement, RoleTransition, Track, TransitionKind
from hrsys.careers.paths import cycle_if_added
from hrsys.skills.catalog.schemas import ImportCounts

Problem = Callable[[str, str, str, str], None]
"""``problem(kind, key, field, reason)``: a problem of the ``kind`` entry ``key`` (kept with its file and line)."""


def tally(counts: ImportCounts, code: str, outcome: str) -> None:
    if outcome == "added":
        counts.added += 1
        counts.added_codes.append(code)
    elif outcome == "changed":
        counts.changed += 1
        counts.changed_codes.append(code)
    else:
        counts.unchanged += 1


def roles_folder(path: str | Path) -> Path:
    """``path`` itself when it holds ``roles.toml``, else its ``roles/`` sub-folder (a whole catalog folder)."""
    path = Path(path)
    if not (path / "roles.toml").exists() and (path / "roles" / "roles.toml").exists():
        return path / "roles"
    return path


def check_requirements(cat: RolesCatalog, skill_ids: dict[str, int], problem: Problem) -> None:
    """Every requirement names a skill of the catalog."""
    for r in cat.roles:
        for j, q in enumerate(r.requirements):
            if q.skill not in skill_ids:
                problem("role", r.code, f"{r.code}.requirements[{j + 1}].skill", f"no skill {q.skill} in the catalog")


def check_transitions(session: Session, cat: RolesCatalog, problem: Problem) -> None:
    """Both ends of every transition are roles of the file or of the database."""
    role_codes = {r.code for r in cat.roles} | set(session.scalars(sa.select(Role.code)))
    for t in cat.transitions:
        for end in (t.from_role, t.to_role):
            if end not in role_codes:
                problem("transition", f"{t.from_role}>{t.to_role}", "from" if end == t.from_role else "to",
                        f"no role {end} in the file or the database")  # fmt: skip


def upsert_roles(
    session: Session, cat: RolesCatalog, skill_ids: dict[str, int], roles: ImportCounts, requirements: ImportCounts
) -> dict[str, int]:
    """Add or change the file's roles and their requirement sets; ``{code: id}`` of the file's roles."""
    existing = {r.code: r for r in session.scalars(sa.select(Role).where(Role.code.in_([r.code for r in cat.roles])))}
    current_reqs: dict[int, set[tuple[Any, ...]]] = {}
    if existing:
        for rid, sid, level, essential, weight in session.execute(
            sa.select(
                RoleRequirement.role_id,
                RoleRequirement.skill_id,
                RoleRequirement.level,
                RoleRequirement.essential,
                RoleRequirement.weight,
            ).where(RoleRequirement.role_id.in_([r.id for r in existing.values()]))
        ):
            current_reqs.setdefault(rid, set()).add((sid, level, bool(essential), float(weight)))
    ids: dict[str, int] = {code: r.id for code, r in existing.items()}
    for data in cat.roles:
        values = {
            "title_th": data.title_th,
            "title_en": data.title_en,
            "track": Track(data.track),
            "level": data.level,
            "description": data.description,
            "position_levels": list(data.position_levels),
            "critical": data.critical,
            "retired": data.retired,
        }
        wanted = {(skill_ids[q.skill], q.level, q.essential, float(q.weight)) for q in data.requirements}
        role = existing.get(data.code)
        if role is None:
            role = Role(code=data.code, **values)
            session.add(role)
            session.flush()
            ids[data.code] = role.id
            tally(roles, data.code, "added")
            have: set[tuple[Any, ...]] = set()
        else:
            changed = any(getattr(role, k) != v for k, v in values.items())
            if changed:
                for k, v in values.items():
                    setattr(role, k, v)
            tally(roles, data.code, "changed" if changed else "unchanged")
            have = current_reqs.get(role.id, set())
        if wanted != have:
            session.execute(sa.delete(RoleRequirement).where(RoleRequirement.role_id == role.id))
            if wanted:
                session.execute(
                    sa.insert(RoleRequirement),
                    [
                        {"role_id": role.id, "skill_id": s, "level": lv, "essential": e, "weight": w}
                        for s, lv, e, w in sorted(wanted)
                    ],
                )
            tally(requirements, data.code, "added" if not have else "changed")
        else:
            tally(requirements, data.code, "unchanged")
    session.flush()
    return ids


def upsert_transitions(session: Session, cat: RolesCatalog, counts: ImportCounts, problem: Problem) -> None:
    """Add or change the file's transitions; a promotion or specialisation closing a cycle is a problem."""
    codes = dict(session.execute(sa.select(Role.id, Role.code)).tuples().all())
    by_code = {c: i for i, c in codes.items()}
    existing = {(t.from_role_id, t.to_role_id): t for t in session.scalars(sa.select(RoleTransition))}
    touched: list[tuple[int, int, TransitionKind, str]] = []
    for data in cat.transitions:
        f, t = by_code[data.from_role], by_code[data.to_role]
        kind = TransitionKind(data.kind)
        key = f"{data.from_role}>{data.to_role}"
        row = existing.get((f, t))
        if row is None:
            row = RoleTransition(from_role_id=f, to_role_id=t, kind=kind, min_years=data.min_years)
            session.add(row)
            existing[(f, t)] = row
            tally(counts, key, "added")
            touched.append((f, t, kind, key))
        elif row.kind != kind or row.min_years != data.min_years:
            row.kind, row.min_years = kind, data.min_years
            tally(counts, key, "changed")
            touched.append((f, t, kind, key))
        else:
            tally(counts, key, "unchanged")
    session.flush()
    g = nx.DiGraph()
    g.add_edges_from(existing)
    for f, t, kind, key in touched:
        if kind == TransitionKind.lateral:
            continue
        g.remove_edge(f, t)
        cycle = cycle_if_added(g, f, t)
        g.add_edge(f, t)
        if cycle is not None:
            names = " -> ".join(codes[c] for c in cycle)
            problem("transition", key, "kind", f"a {kind.value} may not close a cycle ({names}); use lateral")
