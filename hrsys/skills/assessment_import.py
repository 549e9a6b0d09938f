"""Bulk import of assessments from CSV or XLSX (``hrsys assessments import``, ``POST /api/v1/assessments/import``).

Columns (header names, any order): one of ``citizen_id``, ``email`` or
``person_id`` naming the person (when several are given, the first of
``person_id``, ``citizen_id``, ``email`` leads and every other non-empty one must
name the same person: a row error otherwise); ``skill`` as ``FRAMEWORK:CODE`` (or
``framework`` and ``skill_code``); ``level`` (a number or a level code of the
framework's scale, e.g. ``practitioner``); ``source``; ``assessed_on``;
``valid_until`` (required for certifications); optional ``assessor_name`` and
``evidence``. Dates may be Buddhist Era. The checks are in
:mod:`hrsys.skills.assessment_rows`.

**How it goes.** The file is read once. Rows are checked against
dictionaries of people, skills and scales loaded once (about 100 MB for 500,000
people), and the good ones are written in chunks of :data:`CHUNK` rows:

1. the chunk is sorted by person and skill (stable, so a later line of the
   file still gets the higher id: the rule's last tie-break) and numbered from a
   block of ids (``max(id) + 1`` under SQLite's write lock; the sequence on
   PostgreSQL). Chunks are written as they come while they cover consecutive
   people (files grouped by person, in the order people were loaded); from the
   first chunk that does not, the rest of the file is put in person order by an
   external merge sort (:class:`~hrsys.skills.assessment_rows.SortedRuns`: sorted
   runs of 500,000 rows in temporary files, merged) before it is merged into the
   profiles (and, unless bulk mode has dropped the indexes, before it is
   appended), so that the indexes are always walked in order rather than hit at
   random;
2. it is appended to ``assessment``: ``COPY ... FROM STDIN`` on PostgreSQL; on
   SQLite one ``INSERT ... SELECT`` over the chunk passed as one JSON array;
3. ``current_skill`` is merged: the current winners of the (person, skill)
   pairs the chunk touches are read in one statement,
   :func:`~hrsys.skills.assessment_rows.merge_winners` applies the profile rule
   to them plus the new evidence, and only the rows that change are replaced
   (one delete and one insert per chunk). A person whose winner has expired
   meanwhile is recomputed from all their assessments at the end
   (:func:`~hrsys.skills.assessment_service.rebuild_profiles`).

The database statements run in one background thread, in order, while the
calling thread checks the next chunk and merges the previous one: each
statement handles a whole chunk, so the database works (SQLite in C without the
GIL, PostgreSQL in its own process) while Python works, on two cores.

**Bulk mode.** When the file is large (at least :data:`BULK_MIN_ROWS` rows) and
large against the table (at least :data:`BULK_RATIO` times the rows already in
``assessment`` on PostgreSQL, :data:`BULK_RATIO_SQLITE` times on SQLite), some
upkeep is left for the end, in the import's transaction (a failure or a refused
file leaves the schema as it was), and rows out of person order are appended at
once instead of after the sort:

- PostgreSQL: the secondary indexes of ``assessment`` and ``current_skill`` are
  dropped and built again, and the foreign keys from these two tables to
  ``person``, ``skill`` and ``assessment`` are dropped and added back
  ``NOT VALID`` (no trigger query per row, which is what made the import slow;
  enforced again for every later write). :func:`validate_keys`, which the
  command and the upload run after the commit, then checks the existing rows
  with one join per key, while reads and writes go on. Bulk mode holds ``ACCESS EXCLUSIVE`` locks on
  ``assessment`` and ``current_skill`` (profile and people-by-skill queries
  wait) and ``SHARE ROW EXCLUSIVE`` on ``person`` and ``skill`` (edits wait)
  until the import commits: run national loads off-hours, or pass
  ``bulk_mode=False`` (``--bulk off``). Measured at 500,000 rows into 500,000:
  twice as fast as keeping them up row by row. Below a quarter of the table
  the locks are not worth it.
- SQLite: only the index of ``assessment`` that leads with the person is
  dropped (rows out of person order would land in it at random); the others
  take new rows at a few hundred places (the end of each skill's run, each
  skill and level's run in person order) and cost less to keep than to
  rebuild. Chosen by size (``bulk_mode=None``), bulk mode starts only at the
  first chunk out of person order (before it, and for files grouped by person
  in load order, every index stays). Measured with people in random order:
  5M rows into 5M, 53.8-55.1 s against 68.9 s with every index kept; 2.5M into
  5M, 28.5 s against 31.5 s; with people in id order, 5M into 5M, 51.4 s
  against 48.3 s (hence the wait for disorder). It costs memory: 760-820 MiB
  at the peak against 500-590 MiB (SQLite's cache holds the rows appended
  while the file is read; the index is sorted at the end). The import holds
  SQLite's write lock in any mode and readers keep their snapshot.

**SQLite's key checks.** When the import begins the session's transaction (the
command; an upload whose session has already read something keeps them), SQLite
does not check foreign keys in it (:data:`~hrsys.core.db.SQLITE_UNCHECKED_KEYS`;
on again for the connection's next user). The checks would only repeat the
import's own: the transaction starts with ``BEGIN IMMEDIATE``, so the people and
skills looked up before the first row are there until it ends, and every
``current_skill`` row it writes is made from an assessment in the table. At
5M rows into 5M (people in random order) they were 11 s of 80.

**Refusals.** All-or-nothing is the default: at the first bad row writing stops
and what was written is undone (PostgreSQL: a savepoint; SQLite: the session's
transaction is rolled back, since a savepoint there keeps a copy of every page
it changes in memory), and checking goes on so that every bad row is reported
(line, column, reason; the first 1,000 problems are listed). ``partial=True``
writes the good rows and reports the bad ones. A file with a header and no rows under it is refused
(line 1), as the people import refuses one.

**Repeats.** A row identical to an assessment already there (:data:`SAME_ASSESSMENT`; an earlier run of
the same file, typically) is not kept: after the last chunk, with the indexes back, two set statements over
the import's own rows repoint the profiles such a row won and delete the repeats (:meth:`_Writer._skip_repeats`);
the report counts them as ``skipped``. Each committed import leaves one audit event.

**Memory** is bounded by the lookups and three chunks in flight, not by the file
(figures in ``hrsys/skills/README.md``).
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, TypeVar, cast

import msgspec
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.core.db import SQLITE_UNCHECKED_KEYS, utcnow
from hrsys.core.errors import Conflict
from hrsys.people import citizen_id as cid_rules
from hrsys.people.importer import record_import
from hrsys.people.models import Person
from hrsys.skills import bulk
from hrsys.skills.assessment_rows import (
    HEADER_ALIASES,
    KNOWN_COLUMNS,
    CurrentRow,
    Lookups,
    Problems,
    Row,
    RowChecker,
    SkillInfo,
    SortedRuns,
    in_person_order,
    merge_winners,
    resolve_columns,
    touched_skills,
)
from hrsys.skills.assessment_service import CURRENT_COLUMNS, load_equivalences, rebuild_profiles, today, trust_order
from hrsys.skills.models import Framework, ProficiencyLevel, Skill
from hrsys.skills.profile import Evidence
from hrsys.skills.schemas import BulkImportReport, RowProblem
from hrsys.skills.tabular import TableError, read_table

__all__ = [
    "BULK_MIN_ROWS",
    "BULK_RATIO",
    "BULK_RATIO_SQLITE",
    "CHUNK",
    "KNOWN_COLUMNS",
    "import_assessments",
    "validate_keys",
]

T = TypeVar("T")

P = cast(sa.Table, Person.__table__)
S = cast(sa.Table, Skill.__table__)
F = cast(sa.Table, Framework.__table__)
L = cast(sa.Table, ProficiencyLevel.__table__)

CHUNK = 100_000
"""Rows written per chunk."""
MAX_QUEUED = 4
"""Statements waiting for the statement thread at most (each holds a chunk's data, 10-30 MB)."""
RUN_ROWS = 500_000
"""Rows per sorted run when a file has to be put in person order (about 150 MB of Python objects)."""
BULK_MIN_ROWS = 200_000
"""Bulk mode needs at least this many rows in the file ..."""
BULK_RATIO = 0.25
"""... and on PostgreSQL at least this share of the rows already in ``assessment`` ..."""
BULK_RATIO_SQLITE = 0.5
"""... and on SQLite at least half of them, and the file out of person order (see the module docstring)."""

ASSESSMENT_COLUMNS = (
    "id",
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
SAVEPOINT = "hrsys_assessment_import"
REPEAT_BLOCK = 10_000
"""Repeated rows removed per statement (bound parameters: SQLite takes at most 32,766)."""
_by_person_skill = itemgetter(0, 1)


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
    The cyclic garbage collector is paused meanwhile (:func:`hrsys.skills.bulk.collector_paused`).
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
    writer: _Writer | None = None
    if not dry_run:
        writer = (_PostgresWriter if conn.dialect.name == "postgresql" else _SqliteWriter)(
            session, day, recorded_by_user_id
        )
        if bulk_mode is None:
            big = writer.worth_bulk(table.row_estimate or 0)
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


def _spill(writer: _Writer, runs: SortedRuns, rows: list[Row]) -> None:
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


class _Chunk:
    """A chunk on its way: its new evidence by person, and the pending read of the winners it touches."""

    __slots__ = ("new", "pairs", "winners")

    def __init__(self, new: dict[int, list[Evidence]], pairs: list[tuple[int, int]]) -> None:
        self.new = new
        self.pairs = pairs
        self.winners: Future[Any] | None = None


class _Writer:
    """Writes checked chunks and keeps ``current_skill`` merged (see the module docstring).

    Every database statement goes through :meth:`_run`: one background thread
    executes them in order. :meth:`write` stages a chunk (sort, number, append)
    and merges the previous one, whose winners were read meanwhile; the merge of
    chunk k therefore overlaps the append of chunk k+1 and the check of chunk k+2.
    """

    def __init__(self, session: Session, day: dt.date, user: int | None) -> None:
        self.session = session
        self.conn = session.connection()
        dbapi = self.conn.connection.driver_connection
        assert dbapi is not None
        self.dbapi: Any = dbapi
        self.dialect = self.conn.dialect.name
        self.day = day
        self.user = user
        self.written = 0
        self.skipped = 0
        """Rows identical to an assessment already there (an earlier run of the import), removed by :meth:`finish`."""
        self.stamp = utcnow()
        """``recorded_at`` of every row this import writes."""
        self.id_range: tuple[int, int] | None = None
        """The lowest and highest id this import gave."""
        self.bulk = False
        self.bulk_when_unordered = False
        """Enter bulk mode at the first chunk out of person order (:meth:`unordered`)."""
        self.recompute: set[int] = set()
        self.restore: list[str] = []
        """DDL that puts back what bulk mode dropped, in order."""
        self.classes = load_equivalences(self.conn)
        self.class_skills = sorted(self.classes)
        self.trust = trust_order()
        self.active = False
        self.pending: _Chunk | None = None
        self.dates: dict[Any, Any] = {None: None}
        self.jobs: ThreadPoolExecutor | None = None
        self.queued: collections.deque[Future[Any]] = collections.deque()
        """Jobs sent to the statement thread, oldest first (done ones are dropped as new ones come)."""
        self.failure: BaseException | None = None
        """The first job of the statement thread that failed."""

    # --- the statement thread -----------------------------------------------------------------------

    def _run(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Send a job to the statement thread. After a job has failed, later ones do not run, and the
        first failure is what every wait raises (:meth:`_result`, :meth:`_drain`)."""
        self._check()
        if self.jobs is None:
            self.jobs = ThreadPoolExecutor(1, thread_name_prefix="hrsys-assessment-import")
        queued = self.queued
        while queued and queued[0].done():
            queued.popleft()
        if len(queued) >= MAX_QUEUED:  # each job holds a chunk's data: wait rather than pile them up
            self._result(queued.popleft())
        job = self.jobs.submit(self._guarded, fn, *args)
        queued.append(job)
        return job

    def _guarded(self, fn: Callable[..., T], *args: Any) -> T:
        if self.failure is not None:
            raise RuntimeError("not run: an earlier statement of the import failed")
        try:
            return fn(*args)
        except BaseException as exc:
            self.failure = exc
            raise

    def _check(self) -> None:
        if self.failure is not None:
            raise self.failure

    def _result(self, job: Future[T]) -> T:
        try:
            return job.result()
        except BaseException:
            self._check()  # the first failure, not the job that was skipped because of it
            raise

    def _drain(self) -> None:
        """Wait for every job sent (they run in order: the last one is enough); raise the first failure."""
        if self.queued:
            last = self.queued[-1]
            self.queued.clear()
            self._result(last)

    def _stop(self) -> None:
        if self.jobs is not None:
            self.jobs.shutdown(wait=True, cancel_futures=True)
            self.jobs = None
            self.queued.clear()

    # --- life cycle ---------------------------------------------------------------------------------

    def worth_bulk(self, expected_rows: int) -> bool:
        """Bulk mode for a file of ``expected_rows`` (the thresholds of the module docstring)."""
        if expected_rows < BULK_MIN_ROWS:
            return False
        existing = self.conn.exec_driver_sql("SELECT max(id) FROM assessment").scalar() or 0
        ratio = BULK_RATIO if self.dialect == "postgresql" else BULK_RATIO_SQLITE
        return expected_rows >= ratio * existing

    BULK_ONLY_UNORDERED = False
    """Bulk mode (when the file is large enough) only from the first chunk out of person order."""

    def begin(self, bulk_mode: bool) -> None:
        self.active = True
        self.bulk = bulk_mode
        if bulk_mode:
            self._enter_bulk()

    def unordered(self) -> None:
        """The file has just shown that it is not in person order: enter bulk mode if it waited for that."""
        if self.bulk_when_unordered and not self.bulk:
            self._drain()  # the statement thread uses the connection: nothing may run there meanwhile
            self.bulk = True
            self._enter_bulk()

    def append(self, rows: list[Row]) -> Sequence[int]:
        """Number ``rows`` and append them to ``assessment`` (in the statement thread); return their ids."""
        ids = self._ids(len(rows))
        self._insert(ids, rows)
        self.written += len(rows)
        if ids:
            lo, hi = (ids[0], ids[-1]) if isinstance(ids, range) else (min(ids), max(ids))
            if self.id_range is not None:
                lo, hi = min(lo, self.id_range[0]), max(hi, self.id_range[1])
            self.id_range = (lo, hi)
        return ids

    def write(self, rows: list[Row]) -> None:
        """Sort a chunk by person and skill, append it, and merge it (see :meth:`merge`)."""
        rows.sort(key=_by_person_skill)
        self.merge(rows, self.append(rows) if rows else ())

    def merge(self, rows: list[Row], ids: Sequence[int]) -> None:
        """Stage the merge of appended ``rows`` (sorted by person) and carry out the previous chunk's.

        The previous chunk's winners were read while this one was checked. Each read of winners sees
        every earlier write to the people it reads: when a person has rows in both chunks, the previous
        chunk's changes are sent before this chunk's winners are read; otherwise the read goes first.
        """
        staged: _Chunk | None = None
        if rows:
            new: dict[int, list[Evidence]] = {}
            for aid, (pid, sid, level, src, _who, _text, on, until) in zip(ids, rows, strict=True):
                ev = Evidence(aid, sid, level, src, on, until)
                items = new.get(pid)
                if items is None:
                    new[pid] = [ev]
                else:
                    items.append(ev)
            classes = self.classes
            pairs = [(pid, target) for pid, evidence in new.items() for target in touched_skills(evidence, classes)]
            staged = _Chunk(new, pairs)
        pending = self.pending
        if staged is not None and (pending is None or next(reversed(pending.new)) < next(iter(staged.new))):
            # No person in both chunks: this chunk's winners do not depend on the previous chunk's writes, so
            # they are read first, and the statement thread has work while the previous chunk is merged
            # (:meth:`SortedRuns.chunks` ends its lists between people).
            staged.winners = self._winners(staged.pairs)
        if pending is not None:
            self._merge(pending)
        if staged is not None and staged.winners is None:
            staged.winners = self._winners(staged.pairs)
        self.pending = staged

    def _merge(self, chunk: _Chunk) -> None:
        assert chunk.winners is not None
        old = self._winner_map(self._result(chunk.winners), chunk.pairs)
        current, replaced, recompute = merge_winners(
            chunk.new, old, day=self.day, trust_order=self.trust, classes=self.classes
        )
        self.recompute |= recompute
        if current:
            self._replace_current(replaced, current)

    def finish(self) -> None:
        """Merge the last chunk, put back what bulk mode dropped, recompute the people whose winners lapsed."""
        try:
            if self.pending is not None:
                self._merge(self.pending)
                self.pending = None
            if self.restore:
                self._run(self._rebuild, self.restore)
            self.restore = []
            self._drain()
        finally:
            self._stop()
        self._skip_repeats()
        if self.recompute:
            rebuild_profiles(self.session, person_ids=self.recompute, as_of=self.day)
        self._close()
        self.active = False

    def abandon(self, *, quiet: bool = False) -> None:
        """Undo everything written (a dropped index or key comes back with it): nothing is written.

        ``quiet``: on the way out of an error, a failure to undo is left to the caller's rollback.
        """
        self.pending = None
        self.written = 0
        try:
            self._stop()
            if self.active:
                self.active = False
                self._undo()
        except Exception:
            if not quiet:
                raise

    def _skip_repeats(self) -> None:
        """Remove the rows of this import that repeat an assessment already there (see :data:`SAME_ASSESSMENT`).

        After the indexes are back: one statement finds the repeats among the import's rows (its id range,
        ``recorded_at`` and recorder; each row is one probe of the person-skill-date index); usually there
        are none. Otherwise, by blocks of ids, the profiles that a repeat won are pointed at the assessment
        it repeats (the latest of the older ones, else the first of the file's: same level, source and
        dates, so the profile stays the same), then the repeats are deleted.
        """
        if self.id_range is None:
            return
        lo, hi = self.id_range
        mine = "n.id BETWEEN :lo AND :hi AND n.recorded_at = :now AND " + (
            "n.recorded_by_user_id IS NULL" if self.user is None else "n.recorded_by_user_id = :user"
        )
        params = {"lo": lo, "hi": hi, "now": self._stamp_param(), "user": self.user}
        repeats = list(
            self.conn.execute(
                sa.text(
                    f"SELECT n.id FROM assessment n WHERE {mine} AND EXISTS "
                    f"(SELECT 1 FROM assessment o WHERE {SAME_ASSESSMENT} AND o.id < n.id) ORDER BY n.id"
                ),
                params,
            ).scalars()
        )
        ids: sa.BindParameter[list[int]] = sa.bindparam("ids", expanding=True)
        repoint = sa.text(
            "UPDATE current_skill SET assessment_id = (SELECT coalesce("
            f"(SELECT max(o.id) FROM assessment o WHERE {SAME_ASSESSMENT} AND o.id < :lo), "
            f"(SELECT min(o.id) FROM assessment o WHERE {SAME_ASSESSMENT} AND o.id < n.id)) "
            "FROM assessment n WHERE n.id = current_skill.assessment_id) WHERE assessment_id IN :ids"
        ).bindparams(ids)
        delete = sa.text("DELETE FROM assessment WHERE id IN :ids").bindparams(ids)
        for k in range(0, len(repeats), REPEAT_BLOCK):
            block = repeats[k : k + REPEAT_BLOCK]
            self.conn.execute(repoint, {"lo": lo, "ids": block})
            self.conn.execute(delete, {"ids": block})
        self.skipped = len(repeats)
        self.written -= self.skipped

    def _stamp_param(self) -> Any:
        """``recorded_at`` of this import's rows as the driver compares it with the column."""
        return self.stamp

    # --- per database -------------------------------------------------------------------------------

    def _undo(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        """After a successful import."""

    def _rebuild(self, ddl: list[str]) -> None:
        """Put back what bulk mode dropped (in the statement thread)."""
        for statement in ddl:
            self.conn.exec_driver_sql(statement)

    def _enter_bulk(self) -> None:
        raise NotImplementedError

    def _ids(self, n: int) -> Sequence[int]:
        raise NotImplementedError

    # Each of these prepares its data in the calling thread and sends one or two statements through
    # :meth:`_run`: the statement thread does nothing but talk to the database.

    def _insert(self, ids: Sequence[int], rows: list[Row]) -> None:
        """Append ``rows`` numbered by ``ids`` to ``assessment``."""
        raise NotImplementedError

    def _winners(self, pairs: list[tuple[int, int]]) -> Future[Any]:
        """Read the current winners of ``pairs`` (person, skill); :meth:`_winner_map` reads the result."""
        raise NotImplementedError

    def _winner_map(self, result: Any, pairs: list[tuple[int, int]]) -> dict[int, dict[int, Evidence]]:
        raise NotImplementedError

    def _replace_current(self, stale: list[tuple[int, int]], rows: list[CurrentRow]) -> None:
        """Delete the ``stale`` (person, skill) rows of ``current_skill``, then insert ``rows``."""
        raise NotImplementedError

    def _date(self, value: Any) -> Any:
        """A date from the driver (SQLite gives ISO text)."""
        if value.__class__ is not str:
            return value
        hit = self.dates.get(value)
        if hit is None:
            hit = self.dates[value] = dt.date.fromisoformat(value)
        return hit

    def _assessed_skill_sql(self) -> str:
        """SQL for the skill an ``cs`` winner assessed (looked up only for skills that have equivalents)."""
        if not self.class_skills:
            return "cs.skill_id"
        ids = ", ".join(str(i) for i in self.class_skills)
        return (
            f"CASE WHEN cs.skill_id IN ({ids}) THEN "
            "(SELECT a.skill_id FROM assessment a WHERE a.id = cs.assessment_id) ELSE cs.skill_id END"
        )


def _evidence_map(records: Sequence[Sequence[Any]], dates: Callable[[Any], Any]) -> dict[int, dict[int, Evidence]]:
    """``(person, skill, assessed skill, level, source, assessment, on, until)`` -> person -> skill -> Evidence."""
    out: dict[int, dict[int, Evidence]] = {}
    for pid, target, assessed, level, source, aid, on, until in records:
        ev = Evidence(aid, assessed, level, source, dates(on), dates(until))
        by_skill = out.get(pid)
        if by_skill is None:
            out[pid] = {target: ev}
        else:
            by_skill[target] = ev
    return out


_json = msgspec.json.Encoder()

SAME_ASSESSMENT = (
    "o.person_id = n.person_id AND o.skill_id = n.skill_id AND o.assessed_on = n.assessed_on "
    "AND o.level = n.level AND o.source = n.source "
    "AND (o.valid_until = n.valid_until OR (o.valid_until IS NULL AND n.valid_until IS NULL)) "
    "AND (o.assessor_name = n.assessor_name OR (o.assessor_name IS NULL AND n.assessor_name IS NULL)) "
    "AND (o.evidence = n.evidence OR (o.evidence IS NULL AND n.evidence IS NULL))"
)
"""When an assessment ``n`` repeats an assessment ``o``: the same person, skill, date, level, source, expiry,
assessor and evidence text (``hrsys/skills/README.md``, "Importing twice")."""


class _SqliteWriter(_Writer):
    """SQLite: each statement takes a whole chunk as one JSON array (``json_each``) or returns one
    (``json_group_array``), so the C work of a chunk runs in one call without the GIL, and no Python
    value crosses row by row."""

    def __init__(self, session: Session, day: dt.date, user: int | None) -> None:
        super().__init__(session, day, user)
        self.next_id = (self.conn.exec_driver_sql("SELECT max(id) FROM assessment").scalar() or 0) + 1
        self.now = bulk.sqlite_datetime(self.stamp)
        # The chunk's Row tuples as they are; the id is the first id plus the position in the array, and
        # what every row shares is bound once (each value taken out of JSON costs about 0.4 microseconds).
        self.insert_sql = (
            f"INSERT INTO assessment ({', '.join(ASSESSMENT_COLUMNS)}) "
            f"SELECT ?2 + key, {', '.join(f'value->>{i}' for i in range(8))}, ?3, ?4 FROM json_each(?1)"
        )
        self.winners_sql = (
            "SELECT json_group_array(json_array(cs.person_id, cs.skill_id, "
            f"{self._assessed_skill_sql()}, cs.level, cs.source, cs.assessment_id, cs.assessed_on, cs.valid_until)) "
            "FROM json_each(?) j JOIN current_skill cs ON cs.person_id = j.value->>0 AND cs.skill_id = j.value->>1"
        )
        # a winner's level, source and dates are its assessment's: only (person, skill, assessment) travel,
        # when assessments are numbered in person order (the lookups then walk the table in order)
        self.current_sql = (
            f"INSERT INTO current_skill ({', '.join(CURRENT_COLUMNS)}) "
            "SELECT j.value->>0, j.value->>1, a.level, a.source, a.id, a.assessed_on, a.valid_until "
            "FROM json_each(?) j JOIN assessment a ON a.id = j.value->>2"
        )
        # in bulk mode they are numbered in file order: each row travels whole (at 5M rows into 5M, people
        # in random order, the lookups made this statement half as slow again)
        self.current_whole_sql = (
            f"INSERT INTO current_skill ({', '.join(CURRENT_COLUMNS)}) "
            f"SELECT {', '.join(f'value->>{i}' for i in range(len(CURRENT_COLUMNS)))} FROM json_each(?)"
        )

    BULK_ONLY_UNORDERED = True

    def _stamp_param(self) -> Any:
        return self.now  # the text the rows were written with

    def begin(self, bulk_mode: bool) -> None:
        # room for the indexes of a large table while rows go in at many places
        self.conn.exec_driver_sql("PRAGMA cache_size=-131072")
        super().begin(bulk_mode)

    def _close(self) -> None:
        self.conn.exec_driver_sql("PRAGMA cache_size=-65536")

    def _rebuild(self, ddl: list[str]) -> None:
        # An index build sorts its whole table: in temporary files, not in memory (the connection's
        # temp_store), or ten million rows would take several hundred MB of RAM.
        with contextlib.suppress(sa.exc.OperationalError):  # refused while a temporary table is open
            self.conn.exec_driver_sql("PRAGMA temp_store=FILE")
        try:
            super()._rebuild(ddl)
        finally:
            self.conn.exec_driver_sql("PRAGMA temp_store=MEMORY")

    def _undo(self) -> None:
        self.conn.exec_driver_sql("PRAGMA cache_size=-65536")
        self.session.rollback()

    def _enter_bulk(self) -> None:
        # Only the indexes of ``assessment`` that lead with the person: rows out of person order land
        # at random in them. The others take new entries at a few hundred places (the end of each
        # skill's run; each skill and level's run in person order), which costs less than a rebuild.
        rows = self.conn.exec_driver_sql(
            "SELECT m.name, m.sql FROM sqlite_master m, pragma_index_info(m.name) i "
            "WHERE m.type = 'index' AND m.tbl_name = 'assessment' AND m.sql IS NOT NULL AND i.seqno = 0 "
            "AND i.name = 'person_id' ORDER BY m.name"
        ).all()
        for name, sql in rows:
            self.conn.exec_driver_sql(f'DROP INDEX "{name}"')
            self.restore.append(sql)

    def _ids(self, n: int) -> Sequence[int]:
        first = self.next_id
        self.next_id += n
        return range(first, first + n)

    def _execute(self, *statements: tuple[str, str] | tuple[str, str, tuple[Any, ...]]) -> Any:
        """Run ``(sql, json[, more parameters])`` statements (one step each); return the first column of the
        last one's row."""
        cur = self.dbapi.cursor()
        try:
            row = None
            for sql, payload, *more in statements:
                row = cur.execute(sql, (payload, *(more[0] if more else ()))).fetchone()
            return row[0] if row else None
        finally:
            cur.close()

    def _insert(self, ids: Sequence[int], rows: list[Row]) -> None:
        payload = _json.encode(rows).decode()
        self._run(self._execute, (self.insert_sql, payload, (ids[0], self.now, self.user)))

    def _winners(self, pairs: list[tuple[int, int]]) -> Future[Any]:
        return self._run(self._execute, (self.winners_sql, _json.encode(pairs).decode()))

    def _winner_map(self, result: Any, pairs: list[tuple[int, int]]) -> dict[int, dict[int, Evidence]]:
        return _evidence_map(msgspec.json.decode(result) if result else [], self._date)

    def _replace_current(self, stale: list[tuple[int, int]], rows: list[CurrentRow]) -> None:
        statements = []
        if stale:
            statements.append(
                (
                    "DELETE FROM current_skill WHERE (person_id, skill_id) IN "
                    "(SELECT value->>0, value->>1 FROM json_each(?))",
                    _json.encode(stale).decode(),
                )
            )
        if self.bulk:
            statements.append((self.current_whole_sql, _json.encode(rows).decode()))
        else:
            statements.append((self.current_sql, _json.encode([(r[0], r[1], r[4]) for r in rows]).decode()))
        self._run(self._execute, *statements)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
"""Backslash, tab, newline and carriage return escaped for PostgreSQL's COPY text format."""


class _PostgresWriter(_Writer):
    """PostgreSQL: ``COPY ... FROM STDIN`` (text format, built here), arrays through ``unnest``."""

    LOCKED_FOR_KEYS = ("person", "skill")
    TABLES = ("assessment", "current_skill")
    BULK_KEYS: dict[str, tuple[set[str], ...] | None] = {
        "assessment": ({"person_id"}, {"skill_id"}),
        "current_skill": None,
    }
    """Foreign keys that bulk mode drops: on ``assessment`` those checked for every row (the others
    are NULL in imported rows); on ``current_skill`` all of them."""

    def __init__(self, session: Session, day: dt.date, user: int | None) -> None:
        super().__init__(session, day, user)
        self.now = self.stamp.isoformat()
        self.user_text = "\\N" if user is None else str(user)
        self.iso: dict[Any, str] = {None: "\\N"}
        self.sequence = ""
        self.ahead: Future[Sequence[int]] | None = None
        """Ids reserved for the next chunk (unused ones are a gap in the sequence, as after any rollback)."""

    def begin(self, bulk_mode: bool) -> None:
        self.conn.exec_driver_sql(f"SAVEPOINT {SAVEPOINT}")
        # the chunk statements are simple and many: compiling them (JIT) costs more than it saves
        self.conn.exec_driver_sql("SET LOCAL jit = off")
        super().begin(bulk_mode)

    def _close(self) -> None:
        self.conn.exec_driver_sql(f"RELEASE SAVEPOINT {SAVEPOINT}")

    def _undo(self) -> None:
        self.conn.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
        self.conn.exec_driver_sql(f"RELEASE SAVEPOINT {SAVEPOINT}")

    def _enter_bulk(self) -> None:
        run = self.conn.exec_driver_sql
        run("SET LOCAL lock_timeout = '30s'")
        try:  # the referenced tables first (the keys are added back under these locks), always in this order
            run(f"LOCK TABLE {', '.join(self.LOCKED_FOR_KEYS)} IN SHARE ROW EXCLUSIVE MODE")
            run(f"LOCK TABLE {', '.join(self.TABLES)} IN ACCESS EXCLUSIVE MODE")
        except sa.exc.OperationalError as exc:
            raise Conflict(
                "other transactions are using the assessment tables; try the import again later",
                rule="bulk_import_lock",
            ) from exc
        run("SET LOCAL lock_timeout TO DEFAULT")
        # index builds sort in memory; the keys' validating joins hash in memory
        run("SET LOCAL maintenance_work_mem = '256MB'")
        run("SET LOCAL work_mem = '256MB'")
        keys = []
        for table, name, definition, cols in run(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), "
            "(SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a "
            "WHERE a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)) "
            "FROM pg_constraint c WHERE c.contype = 'f' "
            "AND c.conrelid IN ('assessment'::regclass, 'current_skill'::regclass) ORDER BY 1, 2"
        ):
            wanted = self.BULK_KEYS[table]
            if wanted is None or set(cols) in wanted:
                keys.append((table, name, definition))
        indexes = run(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid IN ('assessment'::regclass, 'current_skill'::regclass) AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY 1"
        ).all()
        for table, name, _definition in keys:
            run(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, definition in indexes:
            run(f'DROP INDEX "{name}"')
            self.restore.append(definition)
        # Added back NOT VALID: enforced for every row written from then on, and the imported rows are valid by
        # construction (people and skills were looked up under these locks); validate_keys checks the old
        # rows after the commit, outside the locks (15 s of the 45 s spent here at 10 million assessments).
        self.restore += [
            f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {sql.removesuffix(" NOT VALID")} NOT VALID'
            for table, name, sql in keys
        ]
        self.sequence = run("SELECT pg_get_serial_sequence('assessment', 'id')").scalar_one()
        cache = run("SELECT seqcache FROM pg_sequence WHERE seqrelid = %(s)s::regclass", {"s": self.sequence}).scalar()
        if cache != 1:  # other sessions may hold cached values: take ids one by one
            self.sequence = ""

    def _ids(self, n: int) -> Sequence[int]:
        ahead, self.ahead = self.ahead, None
        block = self._result(ahead if ahead is not None and n <= CHUNK else self._run(self._reserve, n))
        if n == CHUNK:  # more rows may follow: number the next chunk while this one is written
            self.ahead = self._run(self._reserve, CHUNK)
        return block[:n]

    def _reserve(self, n: int) -> Sequence[int]:
        run = self.conn.exec_driver_sql
        if self.sequence:  # nobody else can insert while the table is locked: one block, two statements
            first = int(run(f"SELECT nextval('{self.sequence}')").scalar_one())
            run(f"SELECT setval('{self.sequence}', {first + n - 1})")
            return range(first, first + n)
        return [
            int(i)
            for i in run(
                f"SELECT nextval(pg_get_serial_sequence('assessment', 'id')) FROM generate_series(1, {int(n)})"
            ).scalars()
        ]

    def _copy(self, table: str, columns: Sequence[str], blocks: list[str]) -> None:
        with self.dbapi.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
            for block in blocks:
                cp.write(block)

    def _insert(self, ids: Sequence[int], rows: list[Row]) -> None:
        iso = self.iso
        now, user, esc = self.now, self.user_text, _COPY_ESCAPES
        blocks: list[str] = []
        lines: list[str] = []
        for aid, (pid, sid, level, src, who, evidence, on, until) in zip(ids, rows, strict=True):
            on_text = iso.get(on) or iso.setdefault(on, on.isoformat())
            until_text = iso.get(until) or iso.setdefault(until, until.isoformat())  # type: ignore[union-attr]
            who_text = "\\N" if who is None else who.translate(esc)
            evidence_text = "\\N" if evidence is None else evidence.translate(esc)
            lines.append(
                f"{aid}\t{pid}\t{sid}\t{level}\t{src}\t{who_text}\t{evidence_text}\t{on_text}\t{until_text}\t"
                f"{now}\t{user}\n"
            )
            if len(lines) >= 10_000:
                blocks.append("".join(lines))
                lines = []
        if lines:
            blocks.append("".join(lines))
        self._run(self._copy, "assessment", ASSESSMENT_COLUMNS, blocks)

    def _winners(self, pairs: list[tuple[int, int]]) -> Future[Any]:
        return self._run(self._fetch_winners, pairs)

    def _fetch_winners(self, pairs: list[tuple[int, int]]) -> list[tuple[Any, ...]]:
        """The touched winners, then the skill each one assessed (looked up only where a skill has equivalents)."""
        if not pairs:
            return []
        select = (
            "SELECT cs.person_id, cs.skill_id, cs.level, cs.source, cs.assessment_id, cs.assessed_on, "
            "cs.valid_until FROM current_skill cs "
        )
        lo, hi = pairs[0][0], pairs[-1][0]  # pairs come sorted by person
        with self.dbapi.cursor() as cur:
            if hi - lo < 3 * len({p for p, _ in pairs}):
                # the chunk's people are (nearly) consecutive: one index range read is about 7 times
                # faster than a probe per pair; the untouched skills are dropped here
                cur.execute(select + "WHERE cs.person_id BETWEEN %s AND %s", (lo, hi))
                wanted = set(pairs)
                rows = [r for r in cur.fetchall() if (r[0], r[1]) in wanted]
            else:
                cur.execute(
                    select + "WHERE (cs.person_id, cs.skill_id) IN (SELECT * FROM unnest(%s::int[], %s::int[]))",
                    ([p for p, _ in pairs], [s for _, s in pairs]),
                )
                rows = cur.fetchall()
            classes = self.classes
            need = [r[4] for r in rows if r[1] in classes]
            assessed: dict[int, int] = {}
            if need:
                cur.execute("SELECT id, skill_id FROM assessment WHERE id = ANY(%s)", (need,))
                assessed = dict(cur.fetchall())
        return [(p, t, assessed.get(a, t), lv, src, a, on, until) for p, t, lv, src, a, on, until in rows]

    def _winner_map(self, result: Any, pairs: list[tuple[int, int]]) -> dict[int, dict[int, Evidence]]:
        return _evidence_map(result, self._date)

    def _delete_and_copy(self, stale: list[tuple[int, int]], blocks: list[str]) -> None:
        with self.dbapi.cursor() as cur:
            if stale:
                cur.execute(
                    "DELETE FROM current_skill cs USING unnest(%s::int[], %s::int[]) AS t(p, s) "
                    "WHERE cs.person_id = t.p AND cs.skill_id = t.s",
                    ([p for p, _ in stale], [s for _, s in stale]),
                )
        self._copy("current_skill", CURRENT_COLUMNS, blocks)

    def _replace_current(self, stale: list[tuple[int, int]], rows: list[CurrentRow]) -> None:
        iso = self.iso
        lines: list[str] = []
        for p, s, lv, src, a, on, until in rows:
            on_text = iso.get(on) or iso.setdefault(on, on.isoformat())
            until_text = iso.get(until) or iso.setdefault(until, until.isoformat())  # type: ignore[union-attr]
            lines.append(f"{p}\t{s}\t{lv}\t{src}\t{a}\t{on_text}\t{until_text}\n")
        self._run(self._delete_and_copy, stale, ["".join(lines)])
