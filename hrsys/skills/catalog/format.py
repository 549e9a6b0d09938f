"""The skills-catalog folder format: reading and validating one framework folder.

A framework folder (see ``skills_catalog/README.md``) holds:

- ``framework.toml``: ``format``, ``[framework]`` metadata, ``[[level]]`` (the
  ordered proficiency scale), ``[[group]]`` (skill groups, optionally nested by
  ``parent``) and ``[[family]]`` (job families or personnel groups of profiles);
- ``skills.toml``: ``[[skill]]`` entries;
- ``profiles.toml`` (optional): ``[[profile]]`` entries with a ``[profile.levels]``
  table of ``skill code = expected level``;
- ``equivalences.toml`` (optional): ``[[equivalent]]`` pairs of a local skill and
  a skill of another framework written ``FRAMEWORK:CODE``.

Every file is parsed with :mod:`tomllib` and each entry is checked with msgspec.
Every problem of the folder is collected (not just the first) as a
:class:`CatalogProblem` naming the file, the line and the field, so an editor
can fix them all in one pass. Loading is pure: no database, no network.
Complexity: linear in the size of the files.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import msgspec

FORMAT_VERSION = 1

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
FrameworkCode = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
ShortName = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
Level = Annotated[int, msgspec.Meta(ge=0, le=10)]

SKILL_REF_RE = re.compile(r"^(?P<framework>[A-Za-z0-9][A-Za-z0-9._-]*):(?P<code>[A-Za-z0-9][A-Za-z0-9._-]*)$")


class FrameworkMeta(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    code: FrameworkCode
    name_th: ShortName
    name_en: ShortName
    version: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    source: str | None = None
    source_url: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    licence: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    attribution: str | None = None
    description: str | None = None


class LevelData(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    level: Level
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    label_th: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    label_en: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    descriptor: str | None = None


class GroupData(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    name_th: ShortName
    name_en: ShortName
    description: str | None = None
    parent: str | None = None


class FamilyData(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    name_th: ShortName
    name_en: ShortName
    description: str | None = None


class SkillData(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    code: Code
    name_en: Name
    name_th: Name | None = None
    group: str | None = None
    description: str | None = None
    aliases: list[Annotated[str, msgspec.Meta(min_length=1, max_length=500)]] = []


class ProfileData(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    code: Code
    name_th: ShortName
    name_en: ShortName
    family: str | None = None
    role: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    role_level: Annotated[str, msgspec.Meta(max_length=80)] | None = None
    description: str | None = None
    position_levels: list[str] = []
    levels: dict[str, Level] = {}


class EquivalenceData(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    skill: str
    """A skill of this framework (its code)."""
    same_as: str
    """A skill of another framework, ``FRAMEWORK:CODE``."""
    note: str | None = None


class FrameworkData(msgspec.Struct, kw_only=True):
    """One framework folder, validated."""

    meta: FrameworkMeta
    levels: list[LevelData]
    groups: list[GroupData]
    families: list[FamilyData]
    skills: list[SkillData]
    profiles: list[ProfileData]
    equivalences: list[EquivalenceData]
    folder: str = ""


class CatalogProblem(msgspec.Struct, frozen=True):
    """One thing wrong in a catalog file: where (file, line) and what (field, reason)."""

    file: str
    line: int | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.reason}"


class CatalogError(Exception):
    """The catalog could not be read; ``problems`` lists every fault found."""

    def __init__(self, problems: list[CatalogProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


# --- locating entries in a TOML file ------------------------------------------------------------

_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*(\]\]?)\s*(#.*)?$")
_KEY_RE = re.compile(r"^\s*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9_\-]+)\s*=")


class _LineIndex:
    """Line numbers of array-of-tables entries and their keys, found by a light scan of the text.

    ``tomllib`` keeps no positions; this scan recognises ``[[name]]`` and
    ``[name.sub]`` headers and ``key =`` lines, which is all the catalog format uses.
    """

    def __init__(self, text: str) -> None:
        self.entries: dict[str, list[dict[str, int]]] = {}
        self.tables: dict[str, dict[str, int]] = {}
        current: dict[str, int] | None = None
        prefix = ""
        in_multiline = False
        for lineno, line in enumerate(text.splitlines(), start=1):
            if in_multiline:
                if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                    in_multiline = False
                continue
            m = _HEADER_RE.match(line)
            if m and not line.lstrip().startswith("#"):
                name = m.group(2).strip()
                if m.group(1) == "[[":
                    current = {"": lineno}
                    self.entries.setdefault(name, []).append(current)
                    prefix = ""
                else:
                    parent, _, sub = name.partition(".")
                    if sub and parent in self.entries and self.entries[parent]:
                        current = self.entries[parent][-1]
                        prefix = sub + "."
                        current.setdefault(sub, lineno)
                    else:
                        current = self.tables.setdefault(name, {"": lineno})
                        prefix = ""
                continue
            k = _KEY_RE.match(line)
            if k and current is not None:
                key = k.group(1).strip("\"'")
                current.setdefault(prefix + key, lineno)
            if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                in_multiline = True

    def entry_line(self, table: str, index: int, field: str = "") -> int | None:
        rows = self.entries.get(table, [])
        if index >= len(rows):
            return None
        row = rows[index]
        while field:
            if field in row:
                return row[field]
            field = field.rpartition(".")[0]
        return row[""]

    def table_line(self, table: str, field: str = "") -> int | None:
        row = self.tables.get(table)
        if row is None:
            return None
        return row.get(field, row[""])


def _split_path(message: str) -> tuple[str, str]:
    if " - at `" in message:
        reason, _, path = message.rpartition(" - at `")
        return path.rstrip("`").removeprefix("$").lstrip("."), reason
    return "", message


def _missing_field(reason: str) -> str | None:
    m = re.match(r"Object (?:missing required|contains unknown) field `([^`]+)`", reason)
    return m.group(1) if m else None


class _FileReader:
    """Parses one TOML file of a folder and converts its parts, collecting problems."""

    def __init__(self, folder: Path, name: str, problems: list[CatalogProblem], required: bool) -> None:
        self.path = folder / name
        self.label = f"{folder.name}/{name}"
        self.problems = problems
        self.data: dict[str, Any] = {}
        self.lines = _LineIndex("")
        if not self.path.exists():
            if required:
                problems.append(CatalogProblem(self.label, None, "file", "is missing"))
            return
        try:
            text = self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            problems.append(CatalogProblem(self.label, None, "file", f"is not UTF-8: {exc.reason}"))
            return
        try:
            self.data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            m = re.search(r"at line (\d+)", str(exc))
            problems.append(CatalogProblem(self.label, int(m.group(1)) if m else None, "syntax", str(exc)))
            return
        self.lines = _LineIndex(text)

    def problem(self, line: int | None, field: str, reason: str) -> None:
        self.problems.append(CatalogProblem(self.label, line, field, reason))

    def table(self, name: str, struct: type[Any]) -> Any | None:
        raw = self.data.get(name)
        if raw is None:
            self.problem(None, name, f"the [{name}] table is missing")
            return None
        try:
            return msgspec.convert(raw, struct)
        except msgspec.ValidationError as exc:
            path, reason = _split_path(str(exc))
            field = _missing_field(reason) or path or name
            self.problem(self.lines.table_line(name, field), f"{name}.{field}", reason)
            return None

    def entries(self, name: str, struct: type[Any], *, required: bool = False) -> list[tuple[int, Any]]:
        """Each ``[[name]]`` entry converted to ``struct``, with its index; bad entries are reported."""
        raw = self.data.get(name, [])
        if not isinstance(raw, list):
            self.problem(self.lines.table_line(name), name, f"must be an array of tables ([[{name}]])")
            return []
        if required and not raw and self.data:
            self.problem(None, name, f"at least one [[{name}]] entry is needed")
        out = []
        for i, item in enumerate(raw):
            try:
                out.append((i, msgspec.convert(item, struct)))
            except msgspec.ValidationError as exc:
                path, reason = _split_path(str(exc))
                field = _missing_field(reason) or path
                label = f"{name}[{i + 1}]" + (f".{field}" if field else "")
                self.problem(self.lines.entry_line(name, i, field), label, reason)
        return out

    def unknown_top_level(self, allowed: Iterable[str]) -> None:
        allowed = set(allowed)
        for key in self.data:
            if key not in allowed:
                line = self.lines.table_line(key) or self.lines.entry_line(key, 0)
                self.problem(line, key, f"unknown key; expected one of {', '.join(sorted(allowed))}")


def load_framework(folder: str | Path, *, position_levels: Iterable[str] | None = None) -> FrameworkData:
    """Read and validate one framework folder; raise :class:`CatalogError` listing every problem.

    Checks beyond the field types: codes unique in their file, levels unique and
    named, groups' parents and skills' groups exist, the parent chain has no
    cycle, profile families, skills and levels exist on the scale, equivalences
    point at local skills and are written ``FRAMEWORK:CODE``; profiles' position
    levels are among ``position_levels`` when it is given.
    """
    folder = Path(folder)
    position_levels = set(position_levels) if position_levels is not None else None
    problems: list[CatalogProblem] = []
    if not folder.is_dir():
        raise CatalogError([CatalogProblem(str(folder), None, "folder", "is not a directory")])
    fw = _FileReader(folder, "framework.toml", problems, required=True)
    sk = _FileReader(folder, "skills.toml", problems, required=True)
    pr = _FileReader(folder, "profiles.toml", problems, required=False)
    eq = _FileReader(folder, "equivalences.toml", problems, required=False)
    fw.unknown_top_level({"format", "framework", "level", "group", "family"})
    sk.unknown_top_level({"skill"})
    pr.unknown_top_level({"profile"})
    eq.unknown_top_level({"equivalent"})

    if fw.data:
        fmt = fw.data.get("format")
        if fmt != FORMAT_VERSION:
            fw.problem(fw.lines.table_line("format") or 1, "format", f"must be {FORMAT_VERSION}, got {fmt!r}")
    meta = fw.table("framework", FrameworkMeta) if fw.data else None
    levels = fw.entries("level", LevelData, required=True)
    groups = fw.entries("group", GroupData)
    families = fw.entries("family", FamilyData)
    skills = sk.entries("skill", SkillData, required=True)
    profiles = pr.entries("profile", ProfileData)
    equivalences = eq.entries("equivalent", EquivalenceData)

    def dupes(reader: _FileReader, table: str, items: list[tuple[int, Any]], key: str) -> set[str]:
        seen: dict[str, int] = {}
        for i, item in items:
            value = getattr(item, key)
            if value in seen:
                reader.problem(
                    reader.lines.entry_line(table, i, key),
                    f"{table}[{i + 1}].{key}",
                    f"{value!r} is already used by {table}[{seen[value] + 1}]",
                )
            else:
                seen[value] = i
        return set(seen)

    level_numbers = {lv.level for _, lv in levels}
    dupes(fw, "level", levels, "level")
    dupes(fw, "level", levels, "code")
    group_codes = dupes(fw, "group", groups, "code")
    family_codes = dupes(fw, "family", families, "code")
    skill_codes = dupes(sk, "skill", skills, "code")
    # Entries that failed their own checks still name a skill: do not report every reference to them too.
    raw_skills = sk.data.get("skill", [])
    if isinstance(raw_skills, list):
        skill_codes |= {str(r["code"]) for r in raw_skills if isinstance(r, dict) and "code" in r}
    dupes(pr, "profile", profiles, "code")

    parents = {g.code: g.parent for _, g in groups}
    for i, g in groups:
        if g.parent is not None and g.parent not in group_codes:
            fw.problem(fw.lines.entry_line("group", i, "parent"), f"group[{i + 1}].parent", f"no group {g.parent!r}")
        seen_chain = {g.code}
        p = g.parent
        while p is not None and p in parents:
            if p in seen_chain:
                fw.problem(fw.lines.entry_line("group", i, "parent"), f"group[{i + 1}].parent", "groups form a cycle")
                break
            seen_chain.add(p)
            p = parents[p]
    for i, s in skills:
        if s.group is not None and s.group not in group_codes:
            sk.problem(sk.lines.entry_line("skill", i, "group"), f"skill[{i + 1}].group", f"no group {s.group!r}")
    for i, p in profiles:
        if p.family is not None and p.family not in family_codes:
            pr.problem(
                pr.lines.entry_line("profile", i, "family"), f"profile[{i + 1}].family", f"no family {p.family!r}"
            )
        for code, level in p.levels.items():
            field = f"levels.{code}"
            if code not in skill_codes:
                pr.problem(pr.lines.entry_line("profile", i, field), f"profile[{i + 1}].{field}", "no such skill")
            elif level not in level_numbers:
                pr.problem(
                    pr.lines.entry_line("profile", i, field),
                    f"profile[{i + 1}].{field}",
                    f"level {level} is not on the scale ({', '.join(map(str, sorted(level_numbers)))})",
                )
        for name in p.position_levels:
            if position_levels is not None and name not in position_levels:
                pr.problem(
                    pr.lines.entry_line("profile", i, "position_levels"),
                    f"profile[{i + 1}].position_levels",
                    f"{name!r} is not a position level",
                )
    for i, e in equivalences:
        if e.skill not in skill_codes:
            eq.problem(eq.lines.entry_line("equivalent", i, "skill"), f"equivalent[{i + 1}].skill", "no such skill")
        if not SKILL_REF_RE.match(e.same_as):
            eq.problem(
                eq.lines.entry_line("equivalent", i, "same_as"),
                f"equivalent[{i + 1}].same_as",
                "write the other skill as FRAMEWORK:CODE",
            )
        elif meta is not None and e.same_as.split(":", 1)[0] == meta.code:
            eq.problem(
                eq.lines.entry_line("equivalent", i, "same_as"),
                f"equivalent[{i + 1}].same_as",
                "an equivalence links skills of two different frameworks",
            )
    if problems or meta is None:
        raise CatalogError(problems)
    return FrameworkData(
        meta=meta,
        levels=sorted((lv for _, lv in levels), key=lambda lv: lv.level),
        groups=[g for _, g in groups],
        families=[f for _, f in families],
        skills=[s for _, s in skills],
        profiles=[p for _, p in profiles],
        equivalences=[e for _, e in equivalences],
        folder=str(folder),
    )


def framework_folders(path: str | Path) -> list[Path]:
    """The framework folders at ``path``: the folder itself if it has a ``framework.toml``, else its sub-folders."""
    path = Path(path)
    if (path / "framework.toml").exists():
        return [path]
    if not path.is_dir():
        raise CatalogError([CatalogProblem(str(path), None, "path", "is not a framework folder or a catalog folder")])
    folders = sorted(p for p in path.iterdir() if p.is_dir() and (p / "framework.toml").exists())
    if not folders:
        raise CatalogError([CatalogProblem(str(path), None, "path", "holds no folder with a framework.toml")])
    return folders


def load_catalog(path: str | Path, *, position_levels: Iterable[str] | None = None) -> list[FrameworkData]:
    """Every framework under ``path``, ordered so that a framework comes after those its equivalences name.

    All folders are read even when one fails, so that every problem is reported at once.
    """
    problems: list[CatalogProblem] = []
    loaded: list[FrameworkData] = []
    for folder in framework_folders(path):
        try:
            loaded.append(load_framework(folder, position_levels=position_levels))
        except CatalogError as exc:
            problems.extend(exc.problems)
    if problems:
        raise CatalogError(problems)
    codes = [f.meta.code for f in loaded]
    for code in set(codes):
        if codes.count(code) > 1:
            problems.append(CatalogProblem(str(path), None, "framework.code", f"{code!r} is used by two folders"))
    if problems:
        raise CatalogError(problems)
    return _dependency_order(loaded)


def _dependency_order(frameworks: list[FrameworkData]) -> list[FrameworkData]:
    by_code = {f.meta.code: f for f in frameworks}
    ordered: list[FrameworkData] = []
    done: set[str] = set()

    def visit(f: FrameworkData, stack: set[str]) -> None:
        if f.meta.code in done or f.meta.code in stack:
            return
        stack.add(f.meta.code)
        for e in f.equivalences:
            other = by_code.get(e.same_as.split(":", 1)[0])
            if other is not None:
                visit(other, stack)
        done.add(f.meta.code)
        ordered.append(f)

    for f in frameworks:
        visit(f, set())
    return ordered


def parse_skill_ref(ref: str) -> tuple[str, str] | None:
    """``"TH-DG:DL01"`` -> ``("TH-DG", "DL01")``; None if not of that form."""
    m = SKILL_REF_RE.match(ref.strip())
    return (m.group("framework"), m.group("code")) if m else None
