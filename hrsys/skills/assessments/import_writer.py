"""The assessments import's writer: checked chunks go to the database in a thread of its own.

Every database statement goes through :meth:`Writer._run`: one background thread
executes them in order, while the calling thread checks the next chunk and merges
the previous one. Each statement handles a whole chunk, so the database works
(SQLite in C without the GIL, PostgreSQL in its own process) while Python works,
on two cores. At most :data:`MAX_QUEUED` statements wait for the thread (each holds
a chunk's data): with four, bulk mode on SQLite peaked at 760-820 MiB instead of
930-970 MiB at 5,000,000 rows.

:class:`Writer` holds what both databases share: the statement thread, the life
cycle (:meth:`~Writer.begin`, :meth:`~Writer.finish`, :meth:`~Writer.abandon`),
the staging of a chunk's merge into ``current_skill`` (while one chunk is merged
in Python, the database already reads the next one's current winners) and the
removal of repeated rows (:data:`SAME_ASSESSMENT`). Each database's statements
are in its subclass (:mod:`~hrsys.skills.assessments.import_sqlite`,
:mod:`~hrsys.skills.assessments.import_postgres`). The import itself (reading,
checking, choosing bulk mode) is :mod:`hrsys.skills.assessments.importer`.
"""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from operator import itemgetter
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.core.db import utcnow
from hrsys.skills.assessments.merge import CurrentRow, merge_winners, touched_skills
from hrsys.skills.assessments.profile import Evidence
from hrsys.skills.assessments.rows import Row
from hrsys.skills.assessments.service import load_equivalences, rebuild_profiles, trust_order

T = TypeVar("T")

MAX_QUEUED = 4
"""Statements waiting for the statement thread at most (each holds a chunk's data, 10-30 MB)."""
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
"""The columns of ``assessment`` an import writes, in the order of its rows."""
REPEAT_BLOCK = 10_000
"""Repeated rows removed per statement (bound parameters: SQLite takes at most 32,766)."""
_by_person_skill = itemgetter(0, 1)


SAME_ASSESSMENT = (
    "o.person_id = n.person_id AND o.skill_id = n.skill_id AND o.assessed_on = n.assessed_on "
    "AND o.level = n.level AND o.source = n.source "
    "AND (o.valid_until = n.valid_until OR (o.valid_until IS NULL AND n.valid_until IS NULL)) "
    "AND (o.assessor_name = n.assessor_name OR (o.assessor_name IS NULL AND n.assessor_name IS NULL)) "
    "AND (o.evidence = n.evidence OR (o.evidence IS NULL AND n.evidence IS NULL))"
)
"""When an assessment ``n`` repeats an assessment ``o``: the same person, skill, date, level, source, expiry,
assessor and evidence text (``hrsys/skills/README.md``, "Importing twice")."""


class _Chunk:
    """A chunk on its way: its new evidence by person, and the pending read of the winners it touches."""

    __slots__ = ("new", "pairs", "winners")

    def __init__(self, new: dict[int, list[Evidence]], pairs: list[tuple[int, int]]) -> None:
        self.new = new
        self.pairs = pairs
        self.winners: Future[Any] | None = None


class Writer:
    """Writes checked chunks and keeps ``current_skill`` merged (see the module docstring).

    Every database statement goes through :meth:`_run`: one background thread
    executes them in order. :meth:`write` stages a chunk (sort, number, append)
    and merges the previous one, whose winners were read meanwhile; the merge of
    chunk k therefore overlaps the append of chunk k+1 and the check of chunk k+2.
    """

    def __init__(self, session: Session, day: dt.date, user: int | None, *, chunk: int) -> None:
        self.session = session
        self.chunk = chunk
        """Rows the import hands over per chunk (the last one may be shorter, a sorted one a little longer)."""
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


def evidence_map(records: Sequence[Sequence[Any]], dates: Callable[[Any], Any]) -> dict[int, dict[int, Evidence]]:
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
