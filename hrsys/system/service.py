"""The database health check."""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.core.db import read_engine


def database_health(engine: Engine) -> dict[str, object]:
    """Ping the database; report the dialect, latency and Alembic revision."""
    started = time.perf_counter()
    try:
        with read_engine(engine).connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            try:
                revision = conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
            except sa.exc.DBAPIError:
                conn.rollback()
                revision = None
        return {
            "status": "ok",
            "dialect": engine.dialect.name,
            "revision": revision,
            "latency_ms": round((time.perf_counter() - started) * 1000, 2),
        }
    except sa.exc.DBAPIError as exc:
        return {"status": "unavailable", "dialect": engine.dialect.name, "error": str(exc.orig)[:200]}
