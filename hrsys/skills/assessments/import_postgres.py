"""The assessments import's writer for PostgreSQL: ``COPY ... FROM STDIN`` (text format, built here),
arrays through ``unnest``.

**Bulk mode.** The secondary indexes of ``assessment`` and ``current_skill`` are
dropped and built again, and the foreign keys from these two tables to
``person``, ``skill`` and ``assessment`` are dropped and added back
``NOT VALID`` (no trigger query per row, which is what made the import slow;
enforced again for every later write).
:func:`~hrsys.skills.assessments.importer.validate_keys`, which the command runs
after the commit, then checks the existing rows with one join per key, while reads
and writes go on. Bulk mode holds ``ACCESS EXCLUSIVE`` locks on ``assessment`` and
``current_skill`` (profile and people-by-skill queries wait) and ``SHARE ROW
EXCLUSIVE`` on ``person`` and ``skill`` (edits wait) until the import commits: run
national loads off-hours, or pass ``bulk_mode=False`` (``--bulk off``); a web
upload never enters it. Measured at 500,000 rows into 500,000: twice as fast as
keeping them up row by row. Below a quarter of the table the locks are not worth it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.core.errors import Conflict
from hrsys.skills.assessments.import_writer import ASSESSMENT_COLUMNS, Writer, evidence_map
from hrsys.skills.assessments.merge import CurrentRow
from hrsys.skills.assessments.profile import Evidence
from hrsys.skills.assessments.rows import Row
from hrsys.skills.assessments.service import CURRENT_COLUMNS

SAVEPOINT = "hrsys_assessment_import"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
"""Backslash, tab, newline and carriage return escaped for PostgreSQL's COPY text format."""


class PostgresWriter(Writer):
    """PostgreSQL: ``COPY ... FROM STDIN`` (text format, built here), arrays through ``unnest``."""

    LOCKED_FOR_KEYS = ("person", "skill")
    TABLES = ("assessment", "current_skill")
    BULK_KEYS: dict[str, tuple[set[str], ...] | None] = {
        "assessment": ({"person_id"}, {"skill_id"}),
        "current_skill": None,
    }
    """Foreign keys that bulk mode drops: on ``assessment`` those checked for every row (the others
    are NULL in imported rows); on ``current_skill`` all of them."""

    def __init__(self, session: Session, day: dt.date, user: int | None, *, chunk: int) -> None:
        super().__init__(session, day, user, chunk=chunk)
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
        block = self._result(ahead if ahead is not None and n <= self.chunk else self._run(self._reserve, n))
        if n == self.chunk:  # more rows may follow: number the next chunk while this one is written
            self.ahead = self._run(self._reserve, self.chunk)
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
        return evidence_map(result, self._date)

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
