"""The roles-catalog folder format: roles, transitions and courses as TOML (pure).

A roles folder (see ``skills_catalog/roles/README.md``) holds ``roles.toml``
(``[[role]]`` entries with inline ``requirements``), ``transitions.toml``
(``[[transition]]``) and, optionally, ``courses.toml`` (``[[course]]`` with
``outcomes`` and ``prerequisites``). Files are read with the skills catalog's
reader, so problems are reported the same way (``roles/roles.toml:12:
role[2].level: Expected `int` <= 12``), all at once. Loading is pure: no
database, no network. Checks here need only the files: field types, unique
codes, skill references written ``FRAMEWORK:CODE``, no duplicate requirement or
outcome skill in one entry, no self-loop, no course needing itself, and
prerequisites within the file forming no cycle. Whether skills and roles exist
is checked by the importer against the database. Linear in the file sizes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import msgspec
import networkx as nx

from hrsys.skills.catalog.format import SKILL_REF_RE, CatalogError, CatalogProblem
from hrsys.skills.catalog.format import _FileReader as FileReader

FORMAT_VERSION = 1
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
SkillLevel = Annotated[int, msgspec.Meta(ge=1, le=10)]


class RequirementData(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    skill: str
    level: SkillLevel
    essential: bool = True
    weight: Annotated[float, msgspec.Meta(gt=0, le=100)] = 1.0


class RoleData(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    code: Code
    track: str
    level: Annotated[int, msgspec.Meta(ge=1, le=12)]
    title_th: Title
    title_en: Title
    description: str | None = None
    position_levels: list[str] = []
    critical: bool = False
    retired: bool = False
    requirements: list[RequirementData] = []


class TransitionData(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    from_role: Code = msgspec.field(name="from")
    to_role: Code = msgspec.field(name="to")
    kind: str
    min_years: Annotated[float, msgspec.Meta(ge=0, le=40)] = 0.0


class OutcomeData(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    skill: str
    level: SkillLevel


class CourseData(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    code: Code
    title_th: Title
    title_en: Title
    provider: Title
    hours: Annotated[float, msgspec.Meta(gt=0, le=5000)]
    cost_baht: Annotated[int, msgspec.Meta(ge=0, le=100_000_000)]
    mode: str
    description: str | None = None
    certified_v6: bool = False
    active: bool = True
    prerequisites: list[Code] = []
    outcomes: list[OutcomeData] = []


class RolesCatalog(msgspec.Struct, kw_only=True):
    folder: str
    roles: list[RoleData]
    transitions: list[TransitionData]
    courses: list[CourseData]
    lines: dict[str, int | None] = {}
    """``"role:CODE"``, ``"transition:FROM>TO"``, ``"course:CODE"`` -> line, for the importer's messages."""
    files: dict[str, str] = {}
    """Which file each kind came from (``role`` -> ``roles/roles.toml``)."""


def _check_choice(reader: FileReader, table: str, i: int, field: str, value: str, allowed: set[str] | None) -> None:
    if allowed is not None and value not in allowed:
        reader.problem(
            reader.lines.entry_line(table, i, field),
            f"{table}[{i + 1}].{field}",
            f"{value!r} is not one of {', '.join(sorted(allowed))}",
        )


def _check_ref(reader: FileReader, table: str, i: int, field: str, ref: str) -> None:
    if not SKILL_REF_RE.match(ref):
        reader.problem(
            reader.lines.entry_line(table, i, field.split("[")[0]),
            f"{table}[{i + 1}].{field}",
            f"{ref!r} is not a skill reference; write FRAMEWORK:CODE, e.g. TH-DG:DU02",
        )


def load_roles_catalog(
    folder: str | Path,
    *,
    tracks: Iterable[str] | None = None,
    position_levels: Iterable[str] | None = None,
    kinds: Iterable[str] | None = None,
    modes: Iterable[str] | None = None,
) -> RolesCatalog:
    """Read and validate a roles folder; raise :class:`CatalogError` listing every problem."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CatalogError([CatalogProblem(str(folder), None, "folder", "is not a directory")])
    allowed_tracks = set(tracks) if tracks is not None else None
    allowed_levels = set(position_levels) if position_levels is not None else None
    allowed_kinds = set(kinds) if kinds is not None else None
    allowed_modes = set(modes) if modes is not None else None
    problems: list[CatalogProblem] = []
    lines: dict[str, int | None] = {}

    roles_file = FileReader(folder, "roles.toml", problems, required=True)
    roles_file.unknown_top_level({"format", "role", "source", "licence", "attribution", "notes"})
    roles: list[RoleData] = []
    seen: set[str] = set()
    for i, r in roles_file.entries("role", RoleData, required=True):
        line = roles_file.lines.entry_line("role", i)
        if r.code in seen:
            roles_file.problem(line, f"role[{i + 1}].code", f"{r.code} appears twice")
            continue
        seen.add(r.code)
        lines[f"role:{r.code}"] = line
        _check_choice(roles_file, "role", i, "track", r.track, allowed_tracks)
        for p in r.position_levels:
            _check_choice(roles_file, "role", i, "position_levels", p, allowed_levels)
        skills: set[str] = set()
        for j, q in enumerate(r.requirements):
            _check_ref(roles_file, "role", i, f"requirements[{j + 1}].skill", q.skill)
            if q.skill in skills:
                roles_file.problem(
                    roles_file.lines.entry_line("role", i, "requirements"),
                    f"role[{i + 1}].requirements[{j + 1}].skill",
                    f"{q.skill} is required twice",
                )
            skills.add(q.skill)
        roles.append(r)

    trans_file = FileReader(folder, "transitions.toml", problems, required=False)
    trans_file.unknown_top_level({"format", "transition"})
    transitions: list[TransitionData] = []
    pairs: set[tuple[str, str]] = set()
    for i, t in trans_file.entries("transition", TransitionData):
        line = trans_file.lines.entry_line("transition", i)
        _check_choice(trans_file, "transition", i, "kind", t.kind, allowed_kinds)
        if t.from_role == t.to_role:
            trans_file.problem(line, f"transition[{i + 1}].to", "a transition must lead to another role (no self-loop)")
            continue
        if (t.from_role, t.to_role) in pairs:
            trans_file.problem(line, f"transition[{i + 1}]", f"{t.from_role} -> {t.to_role} appears twice")
            continue
        pairs.add((t.from_role, t.to_role))
        lines[f"transition:{t.from_role}>{t.to_role}"] = line
        transitions.append(t)

    course_file = FileReader(folder, "courses.toml", problems, required=False)
    course_file.unknown_top_level({"format", "course", "notes"})
    courses: list[CourseData] = []
    codes: set[str] = set()
    for i, c in course_file.entries("course", CourseData):
        line = course_file.lines.entry_line("course", i)
        if c.code in codes:
            course_file.problem(line, f"course[{i + 1}].code", f"{c.code} appears twice")
            continue
        codes.add(c.code)
        lines[f"course:{c.code}"] = line
        _check_choice(course_file, "course", i, "mode", c.mode, allowed_modes)
        if c.code in c.prerequisites:
            course_file.problem(line, f"course[{i + 1}].prerequisites", "a course cannot be its own prerequisite")
        skills = set()
        for j, o in enumerate(c.outcomes):
            _check_ref(course_file, "course", i, f"outcomes[{j + 1}].skill", o.skill)
            if o.skill in skills:
                course_file.problem(line, f"course[{i + 1}].outcomes[{j + 1}].skill", f"{o.skill} appears twice")
            skills.add(o.skill)
        courses.append(c)
    g = nx.DiGraph((c.code, p) for c in courses for p in c.prerequisites if p != c.code)
    for cycle in list(nx.simple_cycles(g))[:5]:
        names = " -> ".join([*cycle, cycle[0]])
        course_file.problem(lines.get(f"course:{cycle[0]}"), "prerequisites", f"cycle {names}")

    for reader in (roles_file, trans_file, course_file):
        fmt = reader.data.get("format")
        if reader.data and fmt != FORMAT_VERSION:
            reader.problem(reader.lines.table_line("format"), "format", f"must be {FORMAT_VERSION}, got {fmt!r}")
    if problems:
        raise CatalogError(problems)
    return RolesCatalog(
        folder=str(folder),
        roles=roles,
        transitions=transitions,
        courses=courses,
        lines=lines,
        files={"role": roles_file.label, "transition": trans_file.label, "course": course_file.label},
    )
