"""The assessments import's writer for SQLite: a whole chunk per statement, as one JSON array.

Each statement takes a chunk as one JSON array (``json_each``) or returns one
(``json_group_array``), so the C work of a chunk runs in one call without the GIL,
and no Python value crosses row by row.

**Bulk mode.** Only the index of ``assessment`` that leads with the person is
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
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.skills.assessments import bulk
from hrsys.skills.assessments.import_writer import ASSESSMENT_COLUMNS, Writer, evidence_map
from hrsys.skills.assessments.merge import CurrentRow
from hrsys.skills.assessments.profile import Evidence
from hrsys.skills.assessments.rows import Row
from hrsys.skills.assessments.service import CURRENT_COLUMNS

_json = msgspec.json.Encoder()


class SqliteWriter(Writer):
    """SQLite: each statement takes a whole chunk as one JSON array (``json_each``) or returns one
    (``json_group_array``), so the C work of a chunk runs in one call without the GIL, and no Python
    value crosses row by row."""

    def __init__(self, session: Session, day: dt.date, user: int | None, *, chunk: int) -> None:
        super().__init__(session, day, user, chunk=chunk)
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
        return evidence_map(msgspec.json.decode(result) if result else [], self._date)

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
