"""Checking assessment rows from a spreadsheet.

Pure (no database, no web framework): :mod:`hrsys.skills.assessments.importer` loads
the lookups, streams the file through :class:`RowChecker` and writes what it
yields.

**Checking.** :class:`RowChecker` turns each raw row into a typed row or into
problems (line, column, reason) for every cell at fault. Every lookup is a
dictionary hit: people by citizen ID, e-mail or id; skills by ``FRAMEWORK:CODE``;
levels by number or level code of the skill's framework; sources by name or
alias; dates by their text (a file holds a few thousand distinct dates). Results
are cached per distinct cell value (skill and level together), so a row costs a
handful of dictionary look-ups: O(1) per row, O(distinct values) memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from hrsys.core.table_reader import cell_text, parse_date
from hrsys.skills.assessments.profile import SOURCES

MAX_PROBLEMS = 1000

KNOWN_COLUMNS = frozenset(
    {
        "citizen_id",
        "email",
        "person_id",
        "skill",
        "framework",
        "skill_code",
        "level",
        "source",
        "assessed_on",
        "valid_until",
        "assessor_name",
        "evidence",
    }
)
PERSON_COLUMNS = ("person_id", "citizen_id", "email")
"""How a row may name its person, the first present leading; every other one present must agree with it."""
HEADER_ALIASES = {
    "เลขประจำตัวประชาชน": "citizen_id",
    "อีเมล": "email",
    "ทักษะ": "skill",
    "ระดับ": "level",
    "แหล่งที่มา": "source",
    "วันที่ประเมิน": "assessed_on",
    "ใช้ได้ถึง": "valid_until",
    "วันหมดอายุ": "valid_until",
    "ผู้ประเมิน": "assessor_name",
    "หลักฐาน": "evidence",
    "assessor": "assessor_name",
    "date": "assessed_on",
    "expires_on": "valid_until",
}
SOURCE_ALIASES = {
    "ประเมินตนเอง": "self",
    "self_assessment": "self",
    "ผู้บังคับบัญชา": "manager",
    "supervisor": "manager",
    "ศูนย์ประเมิน": "assessment_centre",
    "assessment_center": "assessment_centre",
    "assessment": "assessment_centre",
    "ใบรับรอง": "certification",
    "certificate": "certification",
    "การอบรม": "training",
    "การถ่ายทอดความรู้": "knowledge_transfer",
}
ASSESSOR_MAX = 300
EVIDENCE_MAX = 4000


class Problem(NamedTuple):
    line: int
    column: str
    reason: str


class Problems:
    """Problems of a file: every bad row counted, the first :data:`MAX_PROBLEMS` kept."""

    def __init__(self, limit: int = MAX_PROBLEMS) -> None:
        self.items: list[Problem] = []
        self.bad_rows = 0
        self.truncated = False
        self.unreadable = False
        """The file could not be read to its end."""
        self.limit = limit
        self._last_line = -1

    def add(self, line: int, column: str, reason: str) -> None:
        if line != self._last_line:
            self.bad_rows += 1
            self._last_line = line
        if len(self.items) < self.limit:
            self.items.append(Problem(line, column, reason))
        else:
            self.truncated = True


Row = tuple[int, int, int, str, str | None, str | None, dt.date, dt.date | None]
"""A checked row, ready to be written: ``(person_id, skill_id, level, source, assessor_name, evidence,
assessed_on, valid_until)`` (a plain tuple: millions are made)."""


class SkillInfo(NamedTuple):
    id: int
    framework_id: int
    retired: bool


class Lookups(NamedTuple):
    """What the checker needs from the database, loaded once per import."""

    people: Mapping[str, int]
    """Key (citizen ID, lower-case e-mail, or id as text, per the file's person column) -> person id."""
    skills: Mapping[str, SkillInfo]
    """``FRAMEWORK:CODE`` -> skill."""
    scales: Mapping[int, Mapping[int, str]]
    """Framework id -> level number -> level code."""
    also: Mapping[str, Mapping[str, int]] = {}
    """For each further person column of the file (:attr:`Columns.also`): key -> person id."""


class Columns(NamedTuple):
    """Positions of the known columns in a file's header."""

    who: str
    """``person_id``, ``citizen_id`` or ``email``: how rows name the person."""
    width: int
    person: int
    level: int
    source: int
    assessed_on: int
    skill: int | None
    framework: int | None
    skill_code: int | None
    valid_until: int | None
    assessor_name: int | None
    evidence: int | None
    also: tuple[tuple[str, int], ...] = ()
    """The other person columns of the file (name, position): each non-empty one must name the same person."""


def resolve_columns(headers: Sequence[str], problems: Problems) -> Columns | None:
    """The file's columns, or None after reporting (on line 1) every header problem."""
    present = set(headers)
    before = len(problems.items)
    for h in headers:
        if h and h not in KNOWN_COLUMNS:
            problems.add(1, h, f"unknown column; known columns are {', '.join(sorted(KNOWN_COLUMNS))}")
    who = next((c for c in PERSON_COLUMNS if c in present), None)
    if who is None:
        problems.add(1, "header", "name the person with a citizen_id, email or person_id column")
    if "skill" not in present and not {"framework", "skill_code"} <= present:
        problems.add(1, "header", "name the skill with a skill column (FRAMEWORK:CODE) or framework and skill_code")
    for col in ("level", "source", "assessed_on"):
        if col not in present:
            problems.add(1, "header", f"the {col} column is missing")
    if len(problems.items) > before or who is None:
        return None
    pos = {h: i for i, h in enumerate(headers) if h}
    return Columns(
        who=who,
        width=len(headers),
        person=pos[who],
        level=pos["level"],
        source=pos["source"],
        assessed_on=pos["assessed_on"],
        skill=pos.get("skill"),
        framework=pos.get("framework"),
        skill_code=pos.get("skill_code"),
        valid_until=pos.get("valid_until"),
        assessor_name=pos.get("assessor_name"),
        evidence=pos.get("evidence"),
        also=tuple((c, pos[c]) for c in PERSON_COLUMNS if c in pos and c != who),
    )


def level_of(scale: Mapping[int, str], raw: str) -> int | None:
    """A level of ``scale`` from its number (``3``, ``3.0``) or its code (``practitioner``), else None."""
    if raw.isdigit() and int(raw) in scale:
        return int(raw)
    if raw.endswith(".0") and raw[:-2].isdigit() and int(raw[:-2]) in scale:
        return int(raw[:-2])
    lowered = raw.lower()
    for number, code in scale.items():
        if code.lower() == lowered:
            return number
    return None


def normalise_source(raw: str) -> str | None:
    """A source name from its name, a Thai name or an alias (``certificate``, ``supervisor``), else None."""
    norm = raw.strip().lower().replace(" ", "_")
    norm = SOURCE_ALIASES.get(norm, norm)
    return norm if norm in SOURCES else None


_CACHE_LIMIT = 200_000
_EMPTY: Any = object()
"""A blank date cell."""
_BAD: Any = object()
"""Not cached yet, or not a value."""


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class RowChecker:
    """Checks rows against the lookups; :meth:`check` yields the good ones and records the problems.

    The checks and their messages: the person exists (and the citizen ID is
    well formed), every further person column (``person_id``, ``citizen_id``,
    ``email``) names the same person, the skill exists and is not retired, the level is on the
    skill's framework scale, the source is known, ``assessed_on`` is a date that
    is not in the future, ``valid_until`` is a date not before it, and a
    certification has a ``valid_until``. Text cells may not hold NUL characters
    (no database stores them); ``assessor_name`` and ``evidence`` are cut to
    300 and 4,000 characters.

    Caches are keyed by the raw cell values (a skill reference with its level
    together), so a typical row is five dictionary hits and no string work.
    """

    def __init__(
        self,
        columns: Columns,
        lookups: Lookups,
        *,
        day: dt.date,
        problems: Problems,
        citizen_id_problem: Callable[[str], str | None] = lambda _: None,
    ) -> None:
        self.columns = columns
        self.lookups = lookups
        self.day = day
        self.problems = problems
        self.citizen_id_problem = citizen_id_problem
        self.rows = 0
        self._skill_level: dict[tuple[Any, Any], Any] = {}
        self._source: dict[Any, str | None] = {}
        self._date: dict[Any, Any] = {}

    # --- cached cell checks (slow paths) -----------------------------------------------------------

    def _skill_and_level(self, raw_skill: Any, raw_level: Any) -> Any:
        """``(skill_id, level)`` or a list of ``(column, reason)``; cached under the raw cells."""
        if isinstance(raw_skill, tuple):  # framework and skill_code columns
            ref = f"{cell_text(raw_skill[0])}:{cell_text(raw_skill[1])}"
        else:
            ref = cell_text(raw_skill)
        level_text = cell_text(raw_level)
        skill = self.lookups.skills.get(ref)
        errors: list[tuple[str, str]] = []
        result: Any
        if skill is None:
            errors.append(("skill", f"no skill {ref!r}" if ref.strip(":") else "is empty"))
            result = errors
        else:
            if skill.retired:
                errors.append(("skill", f"{ref} is retired"))
            scale = self.lookups.scales.get(skill.framework_id, {})
            level = level_of(scale, level_text)
            if level is None:
                allowed = ", ".join(f"{n} ({c})" for n, c in sorted(scale.items()))
                errors.append(("level", f"{level_text!r} is not a level of {ref.split(':')[0]}: {allowed}"))
            result = errors if errors else (skill.id, level)
        if len(self._skill_level) < _CACHE_LIMIT:
            self._skill_level[(raw_skill, raw_level)] = result
        return result

    def _source_of(self, raw: Any) -> str | None:
        hit = normalise_source(cell_text(raw))
        if len(self._source) < 1000:
            self._source[raw] = hit
        return hit

    def _date_of(self, value: Any) -> Any:
        """A date, :data:`_EMPTY`, or the ValueError that explains why the cell is not a date."""
        hit: Any
        if _is_blank(value):
            hit = _EMPTY
        else:
            try:
                hit = parse_date(value)
            except ValueError as exc:
                hit = exc
            except TypeError:
                hit = ValueError(f"{value!r} is not a date")
        if len(self._date) < _CACHE_LIMIT:
            self._date[value] = hit
        return hit

    def _person(self, line: int, raw: Any) -> int | None:
        cols = self.columns
        key = cell_text(raw)
        if cols.who == "email":
            key = key.lower()
        pid = self.lookups.people.get(key)
        if pid is None:
            if not key:
                self.problems.add(line, cols.who, "is empty")
            elif cols.who == "citizen_id" and (why := self.citizen_id_problem(key)):
                self.problems.add(line, cols.who, f"{key}: {why}")
            else:
                self.problems.add(line, cols.who, f"no person with {cols.who} {key}")
        return pid

    def _other_person(self, line: int, pid: int, rec: list[Any]) -> bool:
        """Whether a further person column of the row names someone other than ``pid`` (reported)."""
        found = False
        for col, i in self.columns.also:
            key = cell_text(rec[i])
            if not key:
                continue
            if col == "email":
                key = key.lower()
            other = self.lookups.also.get(col, {}).get(key)
            if other != pid:
                who = self.columns.who
                found = True
                self.problems.add(
                    line,
                    col,
                    f"{key} is not the {col} of person {pid} named by {who}"
                    + (f" but of person {other}" if other is not None else "")
                    + "; a row names one person",
                )
        return found

    @staticmethod
    def _text(value: Any, limit: int) -> str | None:
        text = value.strip() if isinstance(value, str) else cell_text(value)
        return text[:limit] if text else None

    def check(self, rows: Iterable[tuple[int, list[Any]]]) -> Iterator[Row]:
        """Yield the good rows of ``rows`` (``(line, cells)``); the bad ones go to ``problems``."""
        c = self.columns
        width = c.width
        people_get = self.lookups.people.get
        i_who, i_level, i_source, i_on = c.person, c.level, c.source, c.assessed_on
        i_skill, i_fw, i_code, i_until = c.skill, c.framework, c.skill_code, c.valid_until
        i_assessor, i_evidence = c.assessor_name, c.evidence
        add = self.problems.add
        day = self.day
        date = dt.date
        skill_get = self._skill_level.get
        date_get = self._date.get
        source_get = self._source.get
        text = self._text

        for line, rec in rows:
            self.rows += 1
            if len(rec) < width:
                rec = [*rec, *([""] * (width - len(rec)))]
            bad = False
            pid = people_get(rec[i_who])
            if pid is None:
                pid = self._person(line, rec[i_who])
                bad = pid is None
            raw_skill = rec[i_skill] if i_skill is not None else (rec[i_fw], rec[i_code])  # type: ignore[index]
            sl = skill_get((raw_skill, rec[i_level])) or self._skill_and_level(raw_skill, rec[i_level])
            if sl.__class__ is list:
                for column, reason in sl:
                    add(line, column, reason)
                bad = True
            src = source_get(rec[i_source], _BAD)
            if src is _BAD:
                src = self._source_of(rec[i_source])
            if src is None:
                add(line, "source", f"{cell_text(rec[i_source])!r} is not a source; use one of {', '.join(SOURCES)}")
                bad = True
            v = rec[i_on]
            on = date_get(v) or self._date_of(v)
            if on.__class__ is not date:
                add(line, "assessed_on", "is empty" if on is _EMPTY else str(on))
                bad = True
                on = None
            elif on > day:
                add(line, "assessed_on", f"{on} is in the future")
                bad = True
            until: Any = None
            if i_until is not None:
                v = rec[i_until]
                until = date_get(v) or self._date_of(v)
                if until is _EMPTY:
                    until = None
                elif until.__class__ is not date:
                    add(line, "valid_until", str(until))
                    bad = True
                    until = _BAD
                elif on is not None and until < on:
                    add(line, "valid_until", f"{until} is before assessed_on {on}")
                    bad = True
            if until is None and src == "certification":
                add(line, "valid_until", "a certification needs the date it expires")
                bad = True
            assessor = text(rec[i_assessor], ASSESSOR_MAX) if i_assessor is not None and rec[i_assessor] else None
            evidence = text(rec[i_evidence], EVIDENCE_MAX) if i_evidence is not None and rec[i_evidence] else None
            if (assessor is not None and "\x00" in assessor) or (evidence is not None and "\x00" in evidence):
                add(
                    line, "assessor_name" if assessor and "\x00" in assessor else "evidence", "contains a NUL character"
                )
                bad = True
            if c.also and pid is not None and self._other_person(line, pid, rec):
                bad = True
            if bad:
                continue
            yield (pid, sl[0], sl[1], src, assessor, evidence, on, until)  # type: ignore[misc]
