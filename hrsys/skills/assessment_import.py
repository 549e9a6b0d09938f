"""Bulk import of assessments from CSV or XLSX (``hrsys assessments import``, ``POST /api/v1/assessments/import``).

Columns (header names, any order): one of ``citizen_id``, ``email`` or
``person_id`` naming the person; ``skill`` as ``FRAMEWORK:CODE`` (or
``framework`` and ``skill_code``); ``level`` (a number or a level code of the
framework's scale, e.g. ``practitioner``); ``source``; ``assessed_on``;
``valid_until`` (required for certifications); optional ``assessor_name`` and
``evidence``. Dates may be Buddhist Era.

The file is streamed: rows are checked one by one against dictionaries of the
people, skills and scales (loaded once), and written in chunks of 50,000 with
COPY (PostgreSQL) or one ``executemany`` (SQLite). Memory is bounded by those
dictionaries (about 150 MB for 500,000 people), not by the file. Once a row is
bad and ``partial`` is off, writing stops but checking goes on, so that every bad
row is reported. After the rows, the current profiles of the people concerned
are recomputed by the profile rule (a full rebuild when most people changed).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.core.db import utcnow
from hrsys.people import citizen_id as cid_rules
from hrsys.people.models import Person
from hrsys.skills import bulk
from hrsys.skills.assessment_service import rebuild_profiles, today
from hrsys.skills.models import Framework, ProficiencyLevel, Skill
from hrsys.skills.profile import SOURCES
from hrsys.skills.schemas import BulkImportReport, RowProblem
from hrsys.skills.tabular import TableError, cell_text, parse_date, read_table

P = cast(sa.Table, Person.__table__)
S = cast(sa.Table, Skill.__table__)
F = cast(sa.Table, Framework.__table__)
L = cast(sa.Table, ProficiencyLevel.__table__)

MAX_PROBLEMS = 1000
CHUNK = 50_000
FULL_REBUILD_PEOPLE = 100_000
"""Above this many people touched, the profiles are rebuilt for everyone (one streaming pass)."""

INSERT_COLUMNS = (
    "person_id",
    "skill_id",
    "level",
    "source",
    "assessor_name",
    "evidence",
    "assessed_on",
    "valid_until",
    "recorded_at",
    "recorded_by_user_id",
)
KNOWN = {
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


class _Problems:
    def __init__(self) -> None:
        self.items: list[RowProblem] = []
        self.bad_rows = 0
        self.truncated = False
        self._last_line = -1

    def add(self, line: int, column: str, reason: str) -> None:
        if line != self._last_line:
            self.bad_rows += 1
            self._last_line = line
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(RowProblem(line=line, column=column, reason=reason))
        else:
            self.truncated = True


def import_assessments(
    session: Session,
    source: str | Path | IO[bytes],
    *,
    filename: str | None = None,
    partial: bool = False,
    dry_run: bool = False,
    recorded_by_user_id: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> BulkImportReport:
    """Stream, check and write assessments; the caller commits when ``report.committed`` is true."""
    started = time.perf_counter()
    label = filename or str(source if isinstance(source, str | Path) else "upload")
    problems = _Problems()

    def done(rows: int, written: int, committed: bool) -> BulkImportReport:
        return BulkImportReport(
            kind="assessments",
            file=label,
            rows=rows,
            written=written,
            created=written,
            rejected_rows=problems.bad_rows,
            problems=problems.items,
            problems_truncated=problems.truncated,
            committed=committed,
            seconds=round(time.perf_counter() - started, 3),
        )

    try:
        table = read_table(source, filename, aliases=HEADER_ALIASES)
    except TableError as exc:
        problems.add(1, "file", str(exc))
        return done(0, 0, False)
    headers = set(table.headers)
    for h in table.headers:
        if h and h not in KNOWN:
            problems.add(1, h, f"unknown column; known columns are {', '.join(sorted(KNOWN))}")
    who = next((c for c in ("person_id", "citizen_id", "email") if c in headers), None)
    needed = ["level", "source", "assessed_on"]
    if who is None:
        problems.add(1, "header", "name the person with a citizen_id, email or person_id column")
    if "skill" not in headers and not {"framework", "skill_code"} <= headers:
        problems.add(1, "header", "name the skill with a skill column (FRAMEWORK:CODE) or framework and skill_code")
    for col in needed:
        if col not in headers:
            problems.add(1, "header", f"the {col} column is missing")
    if problems.items:
        return done(0, 0, False)
    assert who is not None

    conn = session.connection()
    dialect = conn.dialect.name
    people = _people_index(conn, who)
    skills, scales = _skill_index(conn)
    now = bulk.db_value(dialect, utcnow())
    day = today()
    date_cache: dict[Any, Any] = {}
    level_cache: dict[tuple[int, str], int | None] = {}
    touched: set[int] = set()
    buffer: list[tuple[Any, ...]] = []
    rows = written = 0
    writing = not dry_run

    def date_of(value: Any) -> dt.date:
        key = value if isinstance(value, str) else repr(value)
        hit = date_cache.get(key)
        if hit is None:
            try:
                hit = parse_date(value)
            except ValueError as exc:
                hit = exc
            if len(date_cache) < 200_000:
                date_cache[key] = hit
        if isinstance(hit, ValueError):
            raise hit
        return cast(dt.date, hit)

    for line, cells in table.rows:
        rows += 1
        if progress is not None and rows % 500_000 == 0:
            progress(rows)
        bad = False
        # person
        key = cell_text(cells.get(who))
        if who == "email":
            key = key.lower()
        pid = people.get(key)
        if pid is None:
            if not key:
                problems.add(line, who, "is empty")
            elif who == "citizen_id" and (why := cid_rules.problem(key)):
                problems.add(line, who, f"{key}: {why}")
            else:
                problems.add(line, who, f"no person with {who} {key}")
            bad = True
        # skill
        if "skill" in cells:
            ref = cell_text(cells.get("skill"))
        else:
            ref = f"{cell_text(cells.get('framework'))}:{cell_text(cells.get('skill_code'))}"
        skill = skills.get(ref)
        if skill is None:
            problems.add(line, "skill", f"no skill {ref!r}" if ref.strip(":") else "is empty")
            bad = True
        elif skill[2]:
            problems.add(line, "skill", f"{ref} is retired")
            bad = True
        # level
        level: int | None = None
        raw_level = cell_text(cells.get("level"))
        if skill is not None:
            lk = (skill[1], raw_level)
            level = level_cache.get(lk, -1)
            if level == -1:
                level = _level(scales[skill[1]], raw_level)
                level_cache[lk] = level
            if level is None:
                allowed = ", ".join(f"{n} ({c})" for n, c in sorted(scales[skill[1]].items()))
                problems.add(line, "level", f"{raw_level!r} is not a level of {ref.split(':')[0]}: {allowed}")
                bad = True
        # source
        src = cell_text(cells.get("source")).lower().replace(" ", "_")
        src = SOURCE_ALIASES.get(src, src)
        if src not in SOURCES:
            problems.add(line, "source", f"{src!r} is not a source; use one of {', '.join(SOURCES)}")
            bad = True
        # dates
        on: dt.date | None = None
        until: dt.date | None = None
        v = cells.get("assessed_on")
        if v in (None, ""):
            problems.add(line, "assessed_on", "is empty")
            bad = True
        else:
            try:
                on = date_of(v)
                if on > day:
                    problems.add(line, "assessed_on", f"{on} is in the future")
                    bad = True
            except ValueError as exc:
                problems.add(line, "assessed_on", str(exc))
                bad = True
        v = cells.get("valid_until")
        if v not in (None, ""):
            try:
                until = date_of(v)
                if on is not None and until < on:
                    problems.add(line, "valid_until", f"{until} is before assessed_on {on}")
                    bad = True
            except ValueError as exc:
                problems.add(line, "valid_until", str(exc))
                bad = True
        elif src == "certification":
            problems.add(line, "valid_until", "a certification needs the date it expires")
            bad = True
        if bad:
            if not partial:
                writing = False
                buffer = []
            continue
        if not writing:
            continue
        assert pid is not None and skill is not None and on is not None
        touched.add(pid)
        buffer.append(
            (
                pid,
                skill[0],
                level,
                src,
                cell_text(cells.get("assessor_name"))[:300] or None,
                cell_text(cells.get("evidence"))[:4000] or None,
                on.isoformat() if dialect == "sqlite" else on,
                (until.isoformat() if dialect == "sqlite" else until) if until else None,
                now,
                recorded_by_user_id,
            )
        )
        if len(buffer) >= CHUNK:
            written += bulk.copy_rows(conn, "assessment", INSERT_COLUMNS, buffer)
            buffer = []
    if writing and buffer:
        written += bulk.copy_rows(conn, "assessment", INSERT_COLUMNS, buffer)
    committed = writing and (partial or problems.bad_rows == 0)
    if committed and touched:
        if len(touched) > FULL_REBUILD_PEOPLE:
            rebuild_profiles(session)
        else:
            rebuild_profiles(session, person_ids=touched)
    return done(rows, written if committed else 0, committed)


def _people_index(conn: sa.Connection, who: str) -> dict[str, int]:
    col = {"person_id": P.c.id, "citizen_id": P.c.citizen_id, "email": P.c.email}[who]
    rows = conn.execute(sa.select(col, P.c.id).where(col.is_not(None)))
    if who == "person_id":
        return {str(k): i for k, i in rows}
    if who == "email":
        return {k.lower(): i for k, i in rows}
    return {k: i for k, i in rows}


def _skill_index(conn: sa.Connection) -> tuple[dict[str, tuple[int, int, bool]], dict[int, dict[int, str]]]:
    skills = {
        f"{fw}:{code}": (sid, fid, retired)
        for sid, code, fid, retired, fw in conn.execute(
            sa.select(S.c.id, S.c.code, S.c.framework_id, S.c.retired, F.c.code).join(F, F.c.id == S.c.framework_id)
        )
    }
    scales: dict[int, dict[int, str]] = {}
    for fid, level, code in conn.execute(sa.select(L.c.framework_id, L.c.level, L.c.code)):
        scales.setdefault(fid, {})[level] = code
    return skills, scales


def _level(scale: dict[int, str], raw: str) -> int | None:
    if raw.isdigit() and int(raw) in scale:
        return int(raw)
    if raw.endswith(".0") and raw[:-2].isdigit() and int(raw[:-2]) in scale:
        return int(raw[:-2])
    lowered = raw.lower()
    for number, code in scale.items():
        if code.lower() == lowered:
            return number
    return None
