"""SQLite housekeeping that a server running for months depends on."""

from __future__ import annotations

import os

import sqlalchemy as sa

from hrsys.core.db import WAL_SIZE_LIMIT, make_engine, read_engine


def test_the_write_ahead_log_shrinks_back_after_a_large_transaction(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A bulk import writes a log as large as itself; while other connections stay open (a running server),
    the log file is cut back to the limit after the next commit instead of keeping that size."""
    path = tmp_path / "wal.db"
    engine = make_engine(f"sqlite:///{path}")
    wal = tmp_path / "wal.db-wal"
    try:
        with read_engine(engine).connect() as reader:  # another user of the file, as a server's pool would hold
            reader.exec_driver_sql("SELECT 1").all()
            with engine.begin() as conn:
                conn.exec_driver_sql("CREATE TABLE bulk (data BLOB)")
            blob = os.urandom(1 << 20)
            with engine.begin() as conn:
                conn.execute(
                    sa.text("INSERT INTO bulk VALUES (:b)"), [{"b": blob}] * (WAL_SIZE_LIMIT // len(blob) + 16)
                )
            assert wal.stat().st_size > WAL_SIZE_LIMIT
            with engine.begin() as conn:
                conn.exec_driver_sql("INSERT INTO bulk VALUES (x'00')")
            assert wal.stat().st_size <= WAL_SIZE_LIMIT
            assert reader.exec_driver_sql("SELECT count(*) FROM bulk").scalar() == WAL_SIZE_LIMIT // len(blob) + 17
    finally:
        engine.dispose()
