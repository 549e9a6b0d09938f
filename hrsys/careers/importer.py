"""``hrsys roles import PATH``: upsert roles, requirements, transitions and courses from a roles folder.

Idempotent: everything is matched by code (roles, courses) or by its pair of
role codes (transitions); running the same import twice changes nothing and
reports every item unchanged. A role's requirements, and a course's outcomes and
prerequisites, are replaced by the file's when they differ. Roles, transitions
and courses that are not in the files are left alone (they may have been
created through the API). Every problem (unknown skills, roles or courses, a
promotion that would close a cycle, a prerequisite cycle) is collected and the
whole import is refused, writing nothing. With ``dry_run`` the changes are
computed in the transaction and rolled back.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import msgspec
import networkx as nx
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.careers.catalog_format import RolesCatalog, load_roles_catalog
from hrsys.careers.models import Role, RoleRequirement, RoleTransition, Track, TransitionKind
from hrsys.careers.paths import cycle_if_added
from hrsys.careers.service import GRAPH_STAMP, resolve_skills
from hrsys.core.schemas import Output
from hrsys.core.stamps import bump_version
from hrsys.people.models import PositionLevel
from hrsys.skills.catalog.format import CatalogError, CatalogProblem
from hrsys.skills.catalog.schemas import ImportCounts
from hrsys.training.catalog import STAMP as COURSE_STAMP
from hrsys.training.models import Course, CourseMode, CourseOutcome, CoursePrerequisite


class RolesImportReport(Output):
    source: str
    roles: ImportCounts
    requirements: ImportCounts
    """Per role whose requirement set was added or replaced (codes are role codes)."""
    transitions: ImportCounts
    courses: ImportCounts
    dry_run: bool
    seconds: float = 0.0

    @property
    def changed_anything(self) -> bool:
        return any(p.added or p.changed for p in (self.roles, self.requirements, self.transitions, self.courses))


def _tally(counts: ImportCounts, code: str, outcome: str) -> None:
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


def load(path: str | Path) -> RolesCatalog:
    return load_roles_catalog(
        roles_folder(path),
        tracks=[t.value for t in Track],
        position_levels=[p.value for p in PositionLevel],
        kinds=[k.value for k in TransitionKind],
        modes=[m.value for m in CourseMode],
    )


def import_roles(
    session: Session, path: str | Path, *, dry_run: bool = False, courses: bool = True
) -> RolesImportReport:
    """Upsert the folder at ``path`` in the session's transaction (the caller commits or rolls back).

    Raises :class:`CatalogError` with every problem; nothing is written then. ``courses=False``
    leaves ``courses.toml`` out (the national-scale generator makes its own course list).
    """
    started = time.perf_counter()
    cat = load(path)
    if not courses:
        cat.courses = []
    problems: list[CatalogProblem] = []

    def problem(kind: str, key: str, field: str, reason: str) -> None:
        problems.append(CatalogProblem(cat.files.get(kind, kind), cat.lines.get(f"{kind}:{key}"), field, reason))

    refs = {q.skill for r in cat.roles for q in r.requirements} | {o.skill for c in cat.courses for o in c.outcomes}
    skill_ids = resolve_skills(session, refs)
    for r in cat.roles:
        for j, q in enumerate(r.requirements):
            if q.skill not in skill_ids:
                problem("role", r.code, f"{r.code}.requirements[{j + 1}].skill", f"no skill {q.skill} in the catalog")
    for c in cat.courses:
        for j, o in enumerate(c.outcomes):
            if o.skill not in skill_ids:
                problem("course", c.code, f"{c.code}.outcomes[{j + 1}].skill", f"no skill {o.skill} in the catalog")
    role_codes = {r.code for r in cat.roles} | set(session.scalars(sa.select(Role.code)))
    for t in cat.transitions:
        for end in (t.from_role, t.to_role):
            if end not in role_codes:
                problem("transition", f"{t.from_role}>{t.to_role}", "from" if end == t.from_role else "to",
                        f"no role {end} in the file or the database")  # fmt: skip
    course_codes = {c.code for c in cat.courses} | set(session.scalars(sa.select(Course.code)))
    for c in cat.courses:
        for p in c.prerequisites:
            if p not in course_codes:
                problem("course", c.code, f"{c.code}.prerequisites", f"no course {p} in the file or the database")
    if problems:
        raise CatalogError(problems)

    report = RolesImportReport(
        source=str(path),
        roles=ImportCounts(),
        requirements=ImportCounts(),
        transitions=ImportCounts(),
        courses=ImportCounts(),
        dry_run=dry_run,
    )
    role_ids = _upsert_roles(session, cat, skill_ids, report)
    _upsert_transitions(session, cat, role_ids, report, problem)
    _upsert_courses(session, cat, skill_ids, report, problem)
    if problems:
        raise CatalogError(problems)
    if report.roles.added or report.roles.changed or report.requirements.added or report.requirements.changed or (
        report.transitions.added or report.transitions.changed
    ):  # fmt: skip
        bump_version(session, GRAPH_STAMP)
    if report.courses.added or report.courses.changed:
        bump_version(session, COURSE_STAMP)
    session.flush()
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _upsert_roles(session: Session, cat: RolesCatalog, skill_ids: dict[str, int], report: RolesImportReport) -> dict:  # type: ignore[type-arg]
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
            _tally(report.roles, data.code, "added")
            have: set[tuple[Any, ...]] = set()
        else:
            changed = any(getattr(role, k) != v for k, v in values.items())
            if changed:
                for k, v in values.items():
                    setattr(role, k, v)
            _tally(report.roles, data.code, "changed" if changed else "unchanged")
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
            _tally(report.requirements, data.code, "added" if not have else "changed")
        else:
            _tally(report.requirements, data.code, "unchanged")
    session.flush()
    return ids


def _upsert_transitions(session: Session, cat: RolesCatalog, ids: dict[str, int], report, problem) -> None:  # type: ignore[no-untyped-def]
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
            _tally(report.transitions, key, "added")
            touched.append((f, t, kind, key))
        elif row.kind != kind or row.min_years != data.min_years:
            row.kind, row.min_years = kind, data.min_years
            _tally(report.transitions, key, "changed")
            touched.append((f, t, kind, key))
        else:
            _tally(report.transitions, key, "unchanged")
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


def _upsert_courses(session: Session, cat: RolesCatalog, skill_ids: dict[str, int], report, problem) -> None:  # type: ignore[no-untyped-def]
    if not cat.courses:
        return
    existing = {
        c.code: c for c in session.scalars(sa.select(Course).where(Course.code.in_([c.code for c in cat.courses])))
    }
    ids = {c.code: c.id for c in existing.values()}
    outcomes: dict[int, set[tuple[int, int]]] = {}
    prereqs: dict[int, set[int]] = {}
    if existing:
        eids = [c.id for c in existing.values()]
        for cid, sid, level in session.execute(
            sa.select(CourseOutcome.course_id, CourseOutcome.skill_id, CourseOutcome.level).where(
                CourseOutcome.course_id.in_(eids)
            )
        ):
            outcomes.setdefault(cid, set()).add((sid, level))
        for cid, pid in session.execute(
            sa.select(CoursePrerequisite.course_id, CoursePrerequisite.prerequisite_id).where(
                CoursePrerequisite.course_id.in_(eids)
            )
        ):
            prereqs.setdefault(cid, set()).add(pid)
    added: set[str] = set()
    changed: set[str] = set()
    for data in cat.courses:
        values = {
            "title_th": data.title_th,
            "title_en": data.title_en,
            "provider": data.provider,
            "hours": float(data.hours),
            "cost_baht": data.cost_baht,
            "mode": CourseMode(data.mode),
            "description": data.description,
            "certified_v6": data.certified_v6,
            "active": data.active,
        }
        course = existing.get(data.code)
        if course is None:
            course = Course(code=data.code, **values)
            session.add(course)
            session.flush()
            existing[data.code] = course
            ids[data.code] = course.id
            added.add(data.code)
        elif any(getattr(course, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(course, k, v)
            changed.add(data.code)
    all_ids = dict(session.execute(sa.select(Course.code, Course.id)).tuples().all())
    for data in cat.courses:
        cid = ids[data.code]
        want_out = {(skill_ids[o.skill], o.level) for o in data.outcomes}
        want_pre = {all_ids[p] for p in data.prerequisites}
        if want_out != outcomes.get(cid, set()):
            session.execute(sa.delete(CourseOutcome).where(CourseOutcome.course_id == cid))
            if want_out:
                session.execute(
                    sa.insert(CourseOutcome), [{"course_id": cid, "skill_id": s, "level": lv} for s, lv in want_out]
                )
            changed.add(data.code)
        if want_pre != prereqs.get(cid, set()):
            session.execute(sa.delete(CoursePrerequisite).where(CoursePrerequisite.course_id == cid))
            if want_pre:
                session.execute(
                    sa.insert(CoursePrerequisite), [{"course_id": cid, "prerequisite_id": p} for p in want_pre]
                )
            changed.add(data.code)
    for data in cat.courses:
        outcome = "added" if data.code in added else "changed" if data.code in changed else "unchanged"
        _tally(report.courses, data.code, outcome)
    session.flush()
    g = nx.DiGraph(
        session.execute(sa.select(CoursePrerequisite.course_id, CoursePrerequisite.prerequisite_id)).tuples().all()
    )
    try:
        cycle = nx.find_cycle(g)
    except nx.NetworkXNoCycle:
        return
    names = {v: k for k, v in all_ids.items()}
    path = " -> ".join([names[u] for u, _ in cycle] + [names[cycle[0][0]]])
    problem("course", names[cycle[0][0]], "prerequisites", f"cycle {path}")


def format_report(report: RolesImportReport, verbose: bool = False) -> str:
    """The report as the command prints it (``verbose``: with the codes added and changed)."""
    lines = [f"roles import from {report.source}{' (dry run: nothing written)' if report.dry_run else ''}"]
    for name in ("roles", "requirements", "transitions", "courses"):
        c: ImportCounts = getattr(report, name)
        line = f"  {name:<13} {c.added:>4} added  {c.changed:>4} changed  {c.unchanged:>4} unchanged"
        lines.append(line)
        if not verbose:
            continue
        for label, codes in (("added", c.added_codes), ("changed", c.changed_codes)):
            if codes:
                lines.append(f"      {label}: {', '.join(codes)}")
    lines.append(f"  in {report.seconds:.2f} s")
    return "\n".join(lines)


def report_json(report: RolesImportReport) -> bytes:
    return msgspec.json.encode(report)
