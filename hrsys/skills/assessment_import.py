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
from hrsys.skills.assessment_service import load_equivalences, rebuild_profiles, today, trust_order
from hrsys.skills.models import Assessment, CurrentSkill, Framework, ProficiencyLevel, Skill
from hrsys.skills.profile import SOURCES, Evidence, current_profile
from hrsys.skills.schemas import BulkImportReport, RowProblem
from hrsys.skills.tabular import TableError, cell_text, parse_date, read_table

P = cast(sa.Table, Person.__table__)
S = cast(sa.Table, Skill.__table__)
F = cast(sa.Table, Framework.__table__)
L = cast(sa.Table, ProficiencyLevel.__table__)
AS = cast(sa.Table, Assessment.__table__)
CS = cast(sa.Table, CurrentSkill.__table__)

MAX_PROBLEMS = 1000
CHUNK = 100_000

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
    person_scope: sa.ColumnElement[bool] | None = None,
    progress: Callable[[int], None] | None = None,
) -> BulkImportReport:
    """Stream, check and write assessments; the caller commits when ``report.committed`` is true.

    ``person_scope``: a condition on the ``person`` table limiting whom rows may name (an HR
    officer's agency subtree); anyone else is reported as unknown on their line.
    """
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
    if who is None:
        problems.add(1, "header", "name the person with a citizen_id, email or person_id column")
    if "skill" not in headers and not {"framework", "skill_code"} <= headers:
        problems.add(1, "header", "name the skill with a skill column (FRAMEWORK:CODE) or framework and skill_code")
    for col in ("level", "source", "assessed_on"):
        if col not in headers:
            problems.add(1, "header", f"the {col} column is missing")
    if problems.items:
        return done(0, 0, False)
    assert who is not None

    width = len(table.headers)
    pos = {h: i for i, h in enumerate(table.headers) if h}
    i_who, i_level, i_source, i_on = pos[who], pos["level"], pos["source"], pos["assessed_on"]
    i_skill, i_fw, i_code = pos.get("skill"), pos.get("framework"), pos.get("skill_code")
    i_until, i_assessor, i_evidence = pos.get("valid_until"), pos.get("assessor_name"), pos.get("evidence")

    conn = session.connection()
    dialect = conn.dialect.name
    if dialect == "sqlite":  # room for the indexes of a large table while rows go in at random places
        conn.exec_driver_sql("PRAGMA cache_size=-262144")
    people = _people_index(conn, who, person_scope)
    skills, scales = _skill_index(conn)
    writer = _Writer(conn, day=today(), recorded_by_user_id=recorded_by_user_id)
    date_cache: dict[Any, Any] = {}
    level_cache: dict[tuple[int, str], int | None] = {}
    source_cache: dict[str, str | None] = {}
    rows = 0
    writing = not dry_run
    day = writer.day

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

    def text(rec: list[Any], i: int | None) -> str:
        if i is None:
            return ""
        v = rec[i]
        return v.strip() if isinstance(v, str) else cell_text(v)

    try:
        for line, rec in table.rows:
            rows += 1
            if progress is not None and rows % 500_000 == 0:
                progress(rows)
            if len(rec) < width:
                rec = [*rec, *([""] * (width - len(rec)))]
            bad = False
            # person
            key = text(rec, i_who)
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
            ref = text(rec, i_skill) if i_skill is not None else f"{text(rec, i_fw)}:{text(rec, i_code)}"
            skill = skills.get(ref)
            if skill is None:
                problems.add(line, "skill", f"no skill {ref!r}" if ref.strip(":") else "is empty")
                bad = True
            elif skill[2]:
                problems.add(line, "skill", f"{ref} is retired")
                bad = True
            # level
            level: int | None = None
            if skill is not None:
                raw_level = text(rec, i_level)
                lk = (skill[1], raw_level)
                level = level_cache.get(lk, -1)
                if level == -1:
                    level = level_cache[lk] = _level(scales[skill[1]], raw_level)
                if level is None:
                    allowed = ", ".join(f"{n} ({c})" for n, c in sorted(scales[skill[1]].items()))
                    problems.add(line, "level", f"{raw_level!r} is not a level of {ref.split(':')[0]}: {allowed}")
                    bad = True
            # source
            raw_source = text(rec, i_source)
            src = source_cache.get(raw_source, "")
            if src == "":
                norm = raw_source.lower().replace(" ", "_")
                norm = SOURCE_ALIASES.get(norm, norm)
                src = source_cache[raw_source] = norm if norm in SOURCES else None
            if src is None:
                problems.add(line, "source", f"{raw_source!r} is not a source; use one of {', '.join(SOURCES)}")
                bad = True
            # dates
            on: dt.date | None = None
            until: dt.date | None = None
            v = rec[i_on]
            if v is None or v == "":
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
            v = rec[i_until] if i_until is not None else None
            if v is not None and v != "":
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
                continue
            if writing:
                assert pid is not None and skill is not None and on is not None and level is not None
                writer.add(
                    pid,
                    skill[0],
                    level,
                    cast(str, src),
                    text(rec, i_assessor)[:300] or None,
                    text(rec, i_evidence)[:4000] or None,
                    on,
                    until,
                )
        if writing:
            writer.flush()
    finally:
        if dialect == "sqlite":
            conn.exec_driver_sql("PRAGMA cache_size=-65536")
    committed = writing and (partial or problems.bad_rows == 0)
    if committed and writer.recompute:
        rebuild_profiles(session, person_ids=writer.recompute)
    return done(rows, writer.written if committed else 0, committed)


class _Writer:
    """Writes assessments in chunks and keeps ``current_skill`` up to date as it goes.

    Each chunk gets a block of ids (``max(id) + 1`` under SQLite's write lock; the
    sequence on PostgreSQL), is copied in, and then merged into the current
    profiles: for every person and skill class the chunk touches, the rule runs
    over the new assessments plus the current winners (the winner over all
    evidence is the winner over the old winner and the new evidence, since the
    rule takes a maximum). A person whose current winner has expired meanwhile
    is recomputed from all their assessments at the end instead.
    """

    def __init__(self, conn: sa.Connection, *, day: dt.date, recorded_by_user_id: int | None) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        self.day = day
        self.user = recorded_by_user_id
        self.now = bulk.db_value(self.dialect, utcnow())
        self.buffer: list[tuple[Any, ...]] = []
        self.written = 0
        self.recompute: set[int] = set()
        self.classes = load_equivalences(conn)
        self.trust = trust_order()
        self.next_id = (conn.scalar(sa.select(sa.func.max(AS.c.id))) or 0) + 1 if self.dialect == "sqlite" else 0
        self.dates: dict[Any, Any] = {None: None}
        self.parsed: dict[Any, Any] = {None: None}

    def add(self, *row: Any) -> None:
        self.buffer.append(row)
        if len(self.buffer) >= CHUNK:
            self.flush()

    def _ids(self, n: int) -> list[int]:
        if self.dialect == "sqlite":
            ids = list(range(self.next_id, self.next_id + n))
            self.next_id += n
            return ids
        return list(
            self.conn.scalars(
                sa.text("SELECT nextval(pg_get_serial_sequence('assessment', 'id')) FROM generate_series(1, :n)"),
                {"n": n},
            )
        )

    def _db(self, d: dt.date | None) -> Any:
        v = self.dates.get(d)
        if v is None and d is not None:
            v = self.dates[d] = bulk.db_value(self.dialect, d)
        return v

    def flush(self) -> None:
        if not self.buffer:
            return
        buffer, self.buffer = self.buffer, []
        ids = self._ids(len(buffer))
        db = self._db
        rows = [
            (aid, pid, sid, lv, src, who, ev, db(on), db(until), self.now, self.user)
            for aid, (pid, sid, lv, src, who, ev, on, until) in zip(ids, buffer, strict=True)
        ]
        self.written += bulk.copy_rows(self.conn, "assessment", ("id", *INSERT_COLUMNS), rows)
        new: dict[int, list[Evidence]] = {}
        for aid, (pid, sid, lv, src, _who, _ev, on, until) in zip(ids, buffer, strict=True):
            new.setdefault(pid, []).append(Evidence(aid, sid, lv, src, on, until))
        pids = list(new)
        for i in range(0, len(pids), 5000):
            self._merge({p: new[p] for p in pids[i : i + 5000]})

    def _merge(self, new: dict[int, list[Evidence]]) -> None:
        old: dict[int, list[tuple[int, Evidence]]] = {}
        pids = list(new)
        mark = "?" if self.dialect == "sqlite" else "%s"
        sql = (
            "SELECT cs.person_id, cs.skill_id, a.skill_id, cs.level, cs.source, cs.assessment_id, cs.assessed_on, "
            "cs.valid_until FROM current_skill cs JOIN assessment a ON a.id = cs.assessment_id "
            f"WHERE cs.person_id IN ({', '.join([mark] * len(pids))})"
        )
        dbapi = self.conn.connection.driver_connection
        assert dbapi is not None
        cur = dbapi.cursor()
        try:  # the DBAPI cursor directly: millions of rows, no per-row ORM or type processing
            cur.execute(sql, pids)
            dates = self.parsed
            for pid, target, assessed, lv, src, aid, on, until in cur:
                on = dates.get(on) or dates.setdefault(on, _d(on))
                until = dates.get(until) if until in dates else dates.setdefault(until, _d(until))
                old.setdefault(pid, []).append((target, Evidence(aid, assessed, lv, src, on, until)))
        finally:
            cur.close()
        upserts: list[tuple[Any, ...]] = []
        classes = self.classes
        for pid, evidence in new.items():
            targets: set[int] = set()
            for ev in evidence:
                targets.update(classes.get(ev.skill_id, (ev.skill_id,)))
            winners = {t: ev for t, ev in old.get(pid, ()) if t in targets}
            if any(ev.valid_until is not None and ev.valid_until < self.day for ev in winners.values()):
                self.recompute.add(pid)  # an old winner lapsed: only the full history knows what shows through
                continue
            prof = current_profile(
                [*evidence, *winners.values()],
                as_of=self.day,
                trust_order=self.trust,
                equivalents=classes,
                only=targets,
            )
            for t, e in prof.entries.items():
                previous = winners.get(t)
                if previous is None or previous.assessment_id != e.assessment_id:
                    upserts.append(
                        (pid, t, e.level, e.source, e.assessment_id, self._db(e.assessed_on), self._db(e.valid_until))
                    )
        if upserts:
            _upsert_current(self.conn, upserts)


def _d(value: Any) -> Any:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _upsert_current(conn: sa.Connection, rows: list[tuple[Any, ...]]) -> None:
    """Insert or replace ``current_skill`` rows (one statement per chunk on PostgreSQL)."""
    if conn.dialect.name == "sqlite":
        dbapi = conn.connection.driver_connection
        assert dbapi is not None
        dbapi.executemany(
            "INSERT INTO current_skill (person_id, skill_id, level, source, assessment_id, assessed_on, valid_until) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (person_id, skill_id) DO UPDATE SET level = excluded.level, "
            "source = excluded.source, assessment_id = excluded.assessment_id, "
            "assessed_on = excluded.assessed_on, valid_until = excluded.valid_until",
            rows,
        )
        return
    cols = list(zip(*rows, strict=True))
    conn.execute(
        sa.text(
            "INSERT INTO current_skill (person_id, skill_id, level, source, assessment_id, assessed_on, valid_until) "
            "SELECT * FROM unnest(CAST(:p AS int[]), CAST(:s AS int[]), CAST(:l AS int[]), CAST(:src AS varchar[]), "
            "CAST(:a AS int[]), CAST(:on AS date[]), CAST(:until AS date[])) "
            "ON CONFLICT (person_id, skill_id) DO UPDATE SET level = excluded.level, source = excluded.source, "
            "assessment_id = excluded.assessment_id, assessed_on = excluded.assessed_on, "
            "valid_until = excluded.valid_until"
        ),
        {
            "p": list(cols[0]),
            "s": list(cols[1]),
            "l": list(cols[2]),
            "src": list(cols[3]),
            "a": list(cols[4]),
            "on": list(cols[5]),
            "until": list(cols[6]),
        },
    )


def _people_index(conn: sa.Connection, who: str, scope: sa.ColumnElement[bool] | None = None) -> dict[str, int]:
    col = {"person_id": P.c.id, "citizen_id": P.c.citizen_id, "email": P.c.email}[who]
    rows = conn.execute(sa.select(col, P.c.id).where(col.is_not(None), *([scope] if scope is not None else [])))
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
