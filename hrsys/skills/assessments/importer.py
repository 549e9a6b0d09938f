"""Bulk import of assessments from CSV or XLSX (``hrsys assessments import``, ``POST /api/v1/assessments/import``).

Columns (header names, any order): one of ``citizen_id``, ``email`` or
``person_id`` naming the person (when several are given, the first of
``person_id``, ``citizen_id``, ``email`` leads and every other non-empty one must
name the same person: a row error otherwise); ``skill`` as ``FRAMEWORK:CODE`` (or
``framework`` and ``skill_code``); ``level`` (a number or a level code of the
framework's scale, e.g. ``practitioner``); ``source``; ``assessed_on``;
``valid_until`` (required for certifications); optional ``assessor_name`` and
``evidence``. Dates may be Buddhist Era. The checks are in
:mod:`hrsys.skills.assessments.rows`.

This module runs an import: it reads the file, checks the rows, decides on bulk mode and hands the good
rows to a writer (:mod:`~hrsys.skills.assessments.import_writer`, with one subclass per database:
:mod:`~hrsys.skills.assessments.import_sqlite`, :mod:`~hrsys.skills.assessments.import_postgres`).

**How it goes.** The file is read once. Rows are checked against
dictionaries of people, skills and scales loaded once (about 100 MB for 500,000
people), and the good ones are written in chunks of :data:`CHUNK` rows:

1. the chunk is sorted by person and skill (stable, so a later line of the
   file still gets the higher id: the rule's last tie-break) and numbered from a
   block of ids (``max(id) + 1`` under SQLite's write lock; the sequence on
   PostgreSQL). Chunks are written as they come while they cover consecutive
   people (files grouped by person, in the order people were loaded); from the
   first chunk that does not, the rest of the file is put in person order by an
   external merge sort (:class:`~hrsys.skills.assessments.runs.SortedRuns`: sorted
   runs of 500,000 rows in temporary files, merged) before it is merged into the
   profiles (and, unless bulk mode has dropped the indexes, before it is
   appended), so that the indexes are always walked in order rather than hit at
   random;
2. it is appended to ``assessment``: ``COPY ... FROM STDIN`` on PostgreSQL; on
   SQLite one ``INSERT ... SELECT`` over the chunk passed as one JSON array;
3. ``current_skill`` is merged: the current winners of the (person, skill)
   pairs the chunk touches are read in one statement,
   :func:`~hrsys.skills.assessments.merge.merge_winners` applies the profile rule
   to them plus the new evidence, and only the rows that change are replaced
   (one delete and one insert per chunk). A person whose winner has expired
   meanwhile is recomputed from all their assessments at the end
   (:func:`~hrsys.skills.assessments.service.rebuild_profiles`).

**Bulk mode.** When the file is large (at least :data:`BULK_MIN_ROWS` rows) and
large against the table (at least :data:`BULK_RATIO` times the rows already in
``assessment`` on PostgreSQL, :data:`BULK_RATIO_SQLITE` times on SQLite), some
upkeep is left for the end, in the import's transaction (a failure or a refused
file leaves the schema as it was), and rows out of person order are appended at
once instead of after the sort. What each database drops and puts back, and the
figures, are in its writer's module. Bulk mode locks the assessment tables on
PostgreSQL, so it is for the command line only (``hrsys assessments import``,
``--bulk auto|on|off``): the routes that take an upload (the API and the page)
pass ``bulk_mode=False`` and keep every index and key live. Chosen by size
(``bulk_mode=None``, the default of this function), SQLite enters bulk mode only
at the first chunk out of person order.

**Refusals.** All-or-nothing is the default: at the first bad row writing stops
and what was written is undone (PostgreSQL: a savepoint; SQLite: the session's
transaction is rolled back, since a savepoint there keeps a copy of every page
it changes in memory), and checking goes on so that every bad row is reported
(line, column, reason; the first 1,000 problems are listed). ``partial=True``
writes the good rows and reports the bad ones. A file with a header and no rows under it is refused
(line 1), as the people import refuses one.

**Repeats.** A row identical to an assessment already there
(:data:`~hrsys.skills.assessments.import_writer.SAME_ASSESSMENT`; an earlier run of the same file,
typically) is not kept: after the last chunk, with the indexes back, two set statements over the import's
own rows repoint the profiles such a row won and delete the repeats
(:meth:`~hrsys.skills.assessments.import_writer.Writer._skip_repeats`); the report counts them as ``skipped``.
Each committed import leaves one audit event.

**Memory** is bounded by the lookups and three chunks in flight, not by the file
(figures in ``hrsys/skills/README.md``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.core.db import SQLITE_UNCHECKED_KEYS
from hrsys.core.errors import Conflict
from hrsys.core.import_report import BulkImportReport, RowProblem
from hrsys.core.table_reader import TableError, read_table
from hrsys.people import citizen_id as cid_rules
from hrsys.people.importer import record_import
from hrsys.people.models import Person
from hrsys.skills.assessments import bulk
from hrsys.skills.assessments.import_postgres import PostgresWriter as _PostgresWriter
from hrsys.skills.assessments.import_sqlite import SqliteWriter as _SqliteWriter
from hrsys.skills.assessments.import_writer import Writer
from hrsys.skills.assessments.rows import (
    HEADER_ALIASES,
    KNOWN_COLUMNS,
    Lookups,
    Problems,
    Row,
    RowChecker,
    SkillInfo,
    resolve_columns,
)
from hrsys.skills.assessments.runs import SortedRuns, in_person_order
from hrsys.skills.assessments.service import today
from hrsys.skills.catalog.models import framework_table as F
from hrsys.skills.catalog.models import level_table as L
from hrsys.skills.catalog.models import skill_table as S

__all__ = [
    "BULK_MIN_ROWS",
    "BULK_RATIO",
    "BULK_RATIO_SQLITE",
    "CHUNK",
    "KNOWN_COLUMNS",
    "import_assessments",
    "validate_keys",
]

P = cast(sa.Table, Person.__table__)

CHUNK = 100_000
"""Rows written per chunk."""
RUN_ROWS = 500_000
"""Rows per sorted run when a file has to be put in person order (about 150 MB of Python objects)."""
BULK_MIN_ROWS = 200_000
"""Bulk mode needs at least this many rows in the file ..."""
BULK_RATIO = 0.25
"""... and on PostgreSQL at least this share of the rows already in ``assessment`` ..."""
BULK_RATIO_SQLITE = 0.5
"""... and on SQLite at least half of them, and the file out of person order (see the module docstring)."""


@bulk.collector_paused()
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
    bulk_mode: bool | None = None,
) -> BulkImportReport:
    """Stream, check and write assessments; the caller commits when ``report.committed`` is true.

    ``person_scope``: a condition on the ``person`` table limiting whom rows may name (an HR
    officer's agency subtree); anyone else is reported as unknown on their line.
    ``bulk_mode``: force bulk mode on or off (default: chosen by the file's size, see above).
    The cyclic garbage collector is paused meanwhile (:func:`hrsys.skills.assessments.bulk.collector_paused`).
    When the file is refused on SQLite, the session's transaction is rolled back.
    """
    started = time.perf_counter()
    label = filename or str(source if isinstance(source, str | Path) else "upload")
    problems = Problems()
    checked = written = skipped = 0

    def done(committed: bool) -> BulkImportReport:
        return BulkImportReport(
            kind="assessments",
            file=label,
            rows=checked,
            written=written if committed else 0,
            created=written if committed else 0,
            rejected_rows=problems.bad_rows,
            skipped=skipped if committed else 0,
            problems=[RowProblem(line=p.line, column=p.column, reason=p.reason) for p in problems.items],
            problems_truncated=problems.truncated,
            committed=committed,
            seconds=round(time.perf_counter() - started, 3),
        )

    try:
        table = read_table(source, filename, aliases=HEADER_ALIASES)
    except TableError as exc:
        problems.add(*exc.problem())
        return done(False)
    columns = resolve_columns(table.headers, problems)
    if columns is None:
        return done(False)

    if not dry_run and not session.in_transaction() and session.get_bind().dialect.name == "sqlite":
        # The session's own transaction, without SQLite's key checks, holding the write lock from its
        # first statement: nobody can remove a person or a skill after the lookups (module docstring).
        conn = session.connection(execution_options={SQLITE_UNCHECKED_KEYS: True, "sqlite_begin": "IMMEDIATE"})
    else:
        conn = session.connection()
    day = today()
    writer: Writer | None = None
    if not dry_run:
        writer = (_PostgresWriter if conn.dialect.name == "postgresql" else _SqliteWriter)(
            session, day, recorded_by_user_id, chunk=CHUNK
        )
        if bulk_mode is None:
            big = _worth_bulk(writer, table.row_estimate or 0)
            writer.bulk_when_unordered = big and writer.BULK_ONLY_UNORDERED
            bulk_mode = big and not writer.BULK_ONLY_UNORDERED
        writer.begin(bulk_mode)
    runs: SortedRuns | None = None  # set once the file shows it is not in person order
    try:
        lookups = _lookups(conn, columns.who, person_scope, [c for c, _ in columns.also])
        checker = RowChecker(columns, lookups, day=day, problems=problems, citizen_id_problem=cid_rules.problem)
        buffer: list[Row] = []
        tick = 500_000
        for row in checker.check(table.readable_rows()):
            if writer is not None:
                buffer.append(row)
                if len(buffer) >= CHUNK:
                    if problems.bad_rows and not partial:
                        writer.abandon()
                        writer = None
                    elif runs is None and in_person_order(buffer):
                        writer.write(buffer)
                    else:
                        if runs is None:
                            writer.unordered()
                            runs = SortedRuns(run_rows=RUN_ROWS)
                        _spill(writer, runs, buffer)
                    buffer = []
            if progress is not None and checker.rows >= tick:
                progress(checker.rows)
                tick += 500_000
        checked = checker.rows
        if table.broken is not None:  # refused even with partial: what follows the break was never read
            problems.add(*table.broken.problem())
            problems.unreadable = True
        elif checked == 0:  # a header alone is most likely the wrong file, as for the people import
            problems.add(1, "file", "there are no rows under the header; nothing to import")
            problems.unreadable = True
        if writer is not None:
            if problems.bad_rows and (not partial or problems.unreadable):
                writer.abandon()
                writer = None
            else:
                if runs is not None:
                    _spill(writer, runs, buffer)
                    for chunk, seqs in runs.chunks(CHUNK):
                        if writer.bulk:  # appended already, numbered in file order
                            writer.merge(chunk, seqs)
                        else:
                            writer.write(chunk)
                else:
                    writer.write(buffer)
                writer.finish()
                written, skipped = writer.written, writer.skipped
    except BaseException as exc:
        if writer is not None:
            writer.abandon(quiet=True)
        if isinstance(exc, (sa.exc.IntegrityError, conn.dialect.dbapi.IntegrityError)):  # type: ignore[union-attr]
            # only when someone removed a person or skill while the rows went in (PostgreSQL outside bulk mode)
            raise Conflict(
                "a person or skill named in the file was changed while it was imported; nothing was written, "
                "run the import again",
                rule="import_concurrent_change",
            ) from exc
        raise
    finally:
        if runs is not None:
            runs.close()
    report = done(writer is not None)
    if report.committed:  # the rows went in through the DBAPI: one audit event for the file
        record_import(session, report, entity="assessment", partial=partial)
    return report


def validate_keys(bind: sa.Engine | sa.Connection) -> list[str]:
    """Validate the foreign keys of ``assessment`` and ``current_skill`` that a bulk import added back
    ``NOT VALID``; return their names. Call it after committing an import (PostgreSQL; nothing elsewhere),
    with the engine (its own transaction) or a connection (in the connection's transaction).

    Until then those keys hold for every row written since, and the rows the import wrote were checked
    under its locks; validating reads both tables whole, under locks that let reads and writes go on
    (``SHARE UPDATE EXCLUSIVE``). Safe to call at any time: it also finishes the work of an import whose
    process stopped before getting here.
    """
    if bind.dialect.name != "postgresql":
        return []
    with bind.begin() if isinstance(bind, sa.Engine) else contextlib.nullcontext(bind) as conn:
        pending = conn.exec_driver_sql(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE contype = 'f' AND NOT convalidated "
            "AND conrelid IN ('assessment'::regclass, 'current_skill'::regclass) ORDER BY 1, 2"
        ).all()
        if pending:
            conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")  # each check is a join of two whole tables
        for table, name in pending:
            conn.exec_driver_sql(f'ALTER TABLE {table} VALIDATE CONSTRAINT "{name}"')
    return [name for _table, name in pending]


def _worth_bulk(writer: Writer, expected_rows: int) -> bool:
    """Bulk mode for a file of ``expected_rows`` (the thresholds of the module docstring)."""
    if expected_rows < BULK_MIN_ROWS:
        return False
    existing = writer.conn.exec_driver_sql("SELECT max(id) FROM assessment").scalar() or 0
    ratio = BULK_RATIO if writer.dialect == "postgresql" else BULK_RATIO_SQLITE
    return expected_rows >= ratio * existing


def _spill(writer: Writer, runs: SortedRuns, rows: list[Row]) -> None:
    """Put rows that came out of person order aside, to be merged in order at the end.

    In bulk mode ``assessment`` has no secondary index, so the rows are appended at once, in
    file order (the table and its key only grow at the end), and only what the merge needs is
    put aside; otherwise the rows wait too, and go in sorted.
    """
    if writer.bulk and rows:
        runs.add(rows, writer.append(rows))
    else:
        runs.add(rows)


def _people(conn: sa.Connection, who: str, scope: sa.ColumnElement[bool] | None) -> dict[str, int]:
    col = {"person_id": P.c.id, "citizen_id": P.c.citizen_id, "email": P.c.email}[who]
    rows = conn.execute(sa.select(col, P.c.id).where(col.is_not(None), *([scope] if scope is not None else [])))
    if who == "person_id":
        return {str(k): i for k, i in rows}
    if who == "email":
        return {k.lower(): i for k, i in rows}
    return {k: i for k, i in rows}


def _lookups(conn: sa.Connection, who: str, scope: sa.ColumnElement[bool] | None, also: Sequence[str] = ()) -> Lookups:
    people = _people(conn, who, scope)
    skills = {
        f"{fw}:{code}": SkillInfo(sid, fid, bool(retired))
        for sid, code, fid, retired, fw in conn.execute(
            sa.select(S.c.id, S.c.code, S.c.framework_id, S.c.retired, F.c.code).join(F, F.c.id == S.c.framework_id)
        )
    }
    scales: dict[int, dict[int, str]] = {}
    for fid, level, code in conn.execute(sa.select(L.c.framework_id, L.c.level, L.c.code)):
        scales.setdefault(fid, {})[level] = code
    return Lookups(people=people, skills=skills, scales=scales, also={c: _people(conn, c, scope) for c in also})
