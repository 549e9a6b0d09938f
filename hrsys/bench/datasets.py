"""Generated datasets for the benchmarks, made once per (staff, seed) and kept.

SQLite: a file under ``--data-dir``; PostgreSQL: a database ``hrsys_bench_<staff>_<seed>`` on the server.
The generation figures are kept in a JSON file beside them, so repeated runs measure without regenerating.
A kept dataset is remade when the models' tables or indexes changed since
(:func:`hrsys.generate.national.schema_fingerprint`) or the database is not at the migrations' head.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from hrsys.core import migrate
from hrsys.core.db import make_engine, normalise_url
from hrsys.core.stamps import VersionStamp
from hrsys.generate.national import generate_into, schema_fingerprint


def _marker(engine: sa.Engine) -> tuple[int, int, int] | None:
    try:
        with engine.connect() as conn:
            rows: dict[str, int] = dict(
                conn.execute(  # type: ignore[arg-type]
                    sa.select(VersionStamp.name, VersionStamp.version).where(
                        VersionStamp.name.in_(["generated_staff", "generated_seed", "generated_schema"])
                    )
                ).all()
            )
    except sa.exc.DBAPIError:
        return None
    if "generated_staff" not in rows:
        return None
    return rows["generated_staff"], rows.get("generated_seed", 0), rows.get("generated_schema", 0)


def prepare(database: str, *, staff: int, seed: int, data_dir: Path, pg_url: str) -> tuple[str, dict[str, Any]]:
    """A generated database for (staff, seed): reused when present, else made now. Returns (url, figures)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    stem = f"national-{staff}-{seed}"
    facts_path = data_dir / f"{stem}-{database}.json"
    if database == "sqlite":
        db_path = data_dir / f"{stem}.db"
        url = f"sqlite:///{db_path.resolve()}"
    else:
        name = f"hrsys_bench_{staff}_{seed}"
        url = make_url(normalise_url(pg_url)).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        if database == "postgresql":
            admin = sa.create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
            with admin.connect() as conn:
                if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                    conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            admin.dispose()
        wanted = (staff, seed, schema_fingerprint())
        if _marker(engine) == wanted and facts_path.exists() and migrate.current(url) == migrate.head():
            return url, json.loads(facts_path.read_text())
        engine.dispose()
        _reset(database, url, pg_url)
        engine = make_engine(url)
        migrate.upgrade(url)
        summary = generate_into(engine, staff=staff, seed=seed)
        facts = {
            "seconds": summary.seconds,
            "staff": summary.staff,
            "agencies": summary.agencies,
            "steps": summary.steps,
            "generated_at": time.strftime("%Y-%m-%d %H:%M"),
        }
        facts_path.write_text(json.dumps(facts, indent=1))
        return url, facts
    finally:
        engine.dispose()


def _reset(database: str, url: str, pg_url: str) -> None:
    if database == "sqlite":
        path = Path(make_url(url).database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    name = make_url(url).database
    admin = sa.create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
