"""Reading an external skills taxonomy (ESCO, O*NET, SkillsFuture, a licensed SFIA export) from CSV.

The columns are named by the user (``--map code=conceptUri,name_en=preferredLabel,...``),
so any export works. Reading is pure and linear in the file size: one pass with
:mod:`csv` (UTF-8, an optional BOM, quoted fields that hold newlines), every bad
row reported with its line, column and reason.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import msgspec

from hrsys.skills.catalog.format import GroupData, SkillData

FIELDS = ("code", "name_en", "name_th", "description", "aliases", "group", "parent")
REQUIRED = ("code", "name_en")
_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class RowIssue(msgspec.Struct, frozen=True):
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.reason}"


class Taxonomy(msgspec.Struct):
    skills: list[SkillData]
    groups: list[GroupData]
    problems: list[RowIssue]
    rows: int


def parse_mapping(text: str) -> dict[str, str]:
    """``"id=conceptUri,name_en=preferredLabel"`` -> ``{"code": "conceptUri", "name_en": "preferredLabel"}``.

    ``id`` is accepted as another name for ``code``. Raises ValueError naming what is wrong.
    """
    mapping: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        key, sep, column = part.partition("=")
        key, column = key.strip(), column.strip()
        if key == "id":
            key = "code"
        if not sep or not column:
            raise ValueError(f"{part!r}: write FIELD=COLUMN")
        if key not in FIELDS:
            raise ValueError(f"{key!r} is not a field; map some of {', '.join(FIELDS)} (id is code)")
        mapping[key] = column
    missing = [f for f in REQUIRED if f not in mapping]
    if missing:
        raise ValueError(f"map the required field(s) {', '.join(missing)}")
    return mapping


def code_from(value: str) -> str:
    """A catalog code from an external identifier: the last path segment of a URI, else the value itself.

    >>> code_from("http://data.europa.eu/esco/skill/0005c151-5b5a-4a66-8aac-60e734beb1ab")
    '0005c151-5b5a-4a66-8aac-60e734beb1ab'
    """
    value = value.strip()
    if "/" in value:
        value = value.rstrip("/").rsplit("/", 1)[-1]
    return value


def _group_code(value: str) -> str:
    code = code_from(value)
    if _CODE_RE.match(code) and len(code) <= 80:
        return code
    return "G-" + hashlib.sha1(value.encode()).hexdigest()[:12]


def _records(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """CSV records with the line on which each starts."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        _ = reader.fieldnames  # reads the header, so that line numbers start after it
        start = reader.line_num + 1
        for row in reader:
            yield start, row
            start = reader.line_num + 1


def read_taxonomy(path: str | Path, mapping: dict[str, str], *, alias_separator: str = "\n") -> Taxonomy:
    """Read skills (and groups, from a ``group`` or ``parent`` column) from a CSV file.

    Complexity O(total size). Each bad row becomes a :class:`RowIssue` (the row is
    skipped); the caller decides whether any issue stops the import.
    """
    path = Path(path)
    problems: list[RowIssue] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh), None)
    if header is None:
        return Taxonomy(skills=[], groups=[], problems=[RowIssue(1, "header", "the file is empty")], rows=0)
    missing = [f"{field} -> {col}" for field, col in mapping.items() if col not in header]
    if missing:
        return Taxonomy(
            skills=[],
            groups=[],
            problems=[RowIssue(1, "header", f"no column for {', '.join(missing)}; the file has {', '.join(header)}")],
            rows=0,
        )
    skills: list[SkillData] = []
    first_line: dict[str, int] = {}
    groups: dict[str, GroupData] = {}
    parents: dict[int, str] = {}
    col = mapping.get
    rows = 0
    for line, rec in _records(path):
        rows += 1
        raw_code = (rec.get(mapping["code"]) or "").strip()
        code = code_from(raw_code)
        name_en = " ".join((rec.get(mapping["name_en"]) or "").split())
        bad = False
        if not code:
            problems.append(RowIssue(line, mapping["code"], "is empty"))
            bad = True
        elif not _CODE_RE.match(code) or len(code) > 120:
            problems.append(
                RowIssue(line, mapping["code"], f"{code!r}: use at most 120 letters, digits, '.', '_' or '-'")
            )
            bad = True
        elif code in first_line:
            problems.append(RowIssue(line, mapping["code"], f"{code!r} is already on line {first_line[code]}"))
            bad = True
        if not name_en:
            problems.append(RowIssue(line, mapping["name_en"], "is empty"))
            bad = True
        elif len(name_en) > 500:
            problems.append(RowIssue(line, mapping["name_en"], f"is {len(name_en)} characters long; at most 500"))
            bad = True
        name_th = " ".join((rec.get(col("name_th", ""), "") or "").split()) or None
        if name_th is not None and len(name_th) > 500:
            problems.append(RowIssue(line, mapping["name_th"], f"is {len(name_th)} characters long; at most 500"))
            bad = True
        if bad:
            continue
        first_line[code] = line
        aliases: list[str] = []
        if "aliases" in mapping:
            seen = {name_en.lower()}
            for a in (rec.get(mapping["aliases"]) or "").split(alias_separator):
                a = " ".join(a.split())[:500]
                if a and a.lower() not in seen:
                    seen.add(a.lower())
                    aliases.append(a)
        group: str | None = None
        if "group" in mapping and (gv := (rec.get(mapping["group"]) or "").strip()):
            group = _group_code(gv)
            groups.setdefault(group, GroupData(code=group, name_th=gv[:300], name_en=gv[:300]))
        elif "parent" in mapping and (pv := (rec.get(mapping["parent"]) or "").strip()):
            parents[len(skills)] = code_from(pv)
        description = (rec.get(col("description", ""), "") or "").strip() or None
        skills.append(
            SkillData(
                code=code, name_en=name_en, name_th=name_th, group=group, description=description, aliases=aliases
            )
        )
    if parents:  # a broader skill becomes the group of its narrower ones
        names = {s.code: s for s in skills}
        for index, parent in parents.items():
            gcode = _group_code(parent)
            if gcode not in groups:
                broader = names.get(parent)
                label = broader.name_en[:300] if broader else parent[:300]
                label_th = (broader.name_th or broader.name_en)[:300] if broader else label
                groups[gcode] = GroupData(code=gcode, name_th=label_th, name_en=label)
            skills[index].group = gcode
    return Taxonomy(skills=skills, groups=list(groups.values()), problems=problems, rows=rows)
