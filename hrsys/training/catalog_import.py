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

The roles and transitions are the careers package's (:mod:`hrsys.careers.importer`);
the courses are training's, here. The whole folder is imported from this layer,
above both, so the folder stays one import with one report.
"""

from __future__ import annotations

import time
from pathlib import Path

import msgspec
import networkx as nx
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.careers import importer as roles_import
from hrsys.careers.catalog_format import RolesCatalog, load_roles_catalog
from hrsys.careers.importer import Problem, tally
from hrsys.careers.models import Track, TransitionKind
from hrsys.careers.roles import GRAPH_STAMP, resolve_skills
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


def load(path: str | Path) -> RolesCatalog:
    return load_roles_catalog(
        roles_import.roles_folder(path),
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
    roles_import.check_requirements(cat, skill_ids, problem)
    for c in cat.courses:
        for j, o in enumerate(c.outcomes):
            if o.skill not in skill_ids:
                problem("course", c.code, f"{c.code}.outcomes[{j + 1}].skill", f"no skill {o.skill} in the catalog")
    roles_import.check_transitions(session, cat, problem)
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
    roles_import.upsert_roles(session, cat, skill_ids, report.roles, report.requirements)
    roles_import.upsert_transitions(session, cat, report.transitions, problem)
    _upsert_courses(session, cat, skill_ids, report.courses, problem)
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


def _upsert_courses(
    session: Session, cat: RolesCatalog, skill_ids: dict[str, int], counts: ImportCounts, problem: Problem
) -> None:
    """Add or change the file's courses, outcomes and prerequisites; a prerequisite cycle is a problem."""
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
        tally(counts, data.code, outcome)
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
