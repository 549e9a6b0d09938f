"""The daily reminders over the national dataset (:func:`hrsys.notifications.reminders.run_reminders`).

The generated dataset has no user accounts, and a reminder goes to users. The benchmark therefore gives,
for the run, every person a user with an e-mail address (the worst case: every reminder of a person is
also a mail) and every agency one HR officer, by ``INSERT ... SELECT`` (seconds, not measured); runs the
reminders for the generator's "today" (1 October 2026) in a child process of its own, so that its time
and peak memory are the run's alone; runs them once more (the second run of the day: nothing is written,
everything is read again); then removes what it added (the notifications, mails and users past the ids
it found), so the kept dataset stays as generated.

``python -m hrsys.bench.reminders DATABASE_URL YYYY-MM-DD`` is the child: it prints ``seconds peak_mib``
and the notifications written per source as JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import subprocess
import sys
import time

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hrsys.bench.context import BenchContext, BenchRow
from hrsys.core.db import SQLITE_UNCHECKED_KEYS

TODAY = dt.date(2026, 10, 1)
"""The generator's "today" (``ANCHOR`` in :mod:`hrsys.generate`): its dates are drawn around it."""
TARGET_SECONDS = 60.0
TARGET_MIB = 1024.0
PREFIX = "bench-reminders-"


def benchmarks(ctx: BenchContext) -> list[BenchRow]:
    return []  # it writes: see late_benchmarks


def late_benchmarks(ctx: BenchContext) -> list[BenchRow]:
    marks = _add_users(ctx.engine)
    try:
        first = _child(ctx)
        again = _child(ctx)
    finally:
        _remove(ctx.engine, marks)
    rows = []
    for label, (seconds, peak, counts) in (("first run of the day", first), ("second run, same day", again)):
        written = sum(counts.values())
        rows.append(
            BenchRow(
                name=f"daily reminders, {ctx.staff:,} staff, {label}",
                database=ctx.database,
                value=f"{seconds:.1f} s, peak {peak:.0f} MiB, {written:,} notifications",
                target="< 60 s, < 1 GiB",
                ok=seconds < TARGET_SECONDS and peak < TARGET_MIB,
                note=", ".join(f"{k} {v:,}" for k, v in counts.items()) if written else "",
            )
        )
    return rows


def _child(ctx: BenchContext) -> tuple[float, float, dict[str, int]]:
    out = subprocess.run(
        [sys.executable, "-m", "hrsys.bench.reminders", ctx.database_url, TODAY.isoformat()],
        check=True,
        capture_output=True,
        text=True,
    )
    line = out.stdout.strip().splitlines()[-1]
    seconds, peak, counts = line.split(" ", 2)
    return float(seconds), float(peak), json.loads(counts)


def _marks(conn: sa.Connection) -> dict[str, int]:
    return {
        t: conn.execute(sa.text(f"SELECT COALESCE(MAX(id), 0) FROM {t}")).scalar_one()
        for t in ("app_user", "notification", "outbox_mail")
    }


def _add_users(engine: Engine) -> dict[str, int]:
    """A staff user with an address for every person without one, and an HR officer for every agency."""
    with engine.begin() as conn:
        marks = _marks(conn)
        conn.execute(
            sa.text(
                "INSERT INTO app_user (username, email, password_hash, role, person_id, active, failed_logins,"
                " token_generation) SELECT :prefix || 'p' || p.id, 'p' || p.id || '@bench.invalid', 'x', 'staff',"
                " p.id, true, 0, 0 FROM person p"
                " WHERE NOT EXISTS (SELECT 1 FROM app_user u WHERE u.person_id = p.id)"
            ),
            {"prefix": PREFIX},
        )
        conn.execute(
            sa.text(
                "INSERT INTO app_user (username, email, password_hash, role, agency_id, active, failed_logins,"
                " token_generation) SELECT :prefix || 'a' || a.id, 'hr' || a.id || '@bench.invalid', 'x',"
                " 'hr_officer', a.id, true, 0, 0 FROM agency a"
            ),
            {"prefix": PREFIX},
        )
    return marks


def _remove(engine: Engine, marks: dict[str, int]) -> None:
    """Delete what the run added, without checking keys row by row (nothing else points at these rows)."""
    with engine.connect().execution_options(**{SQLITE_UNCHECKED_KEYS: True}) as conn, conn.begin():
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for table in ("outbox_mail", "notification", "app_user"):
            conn.execute(sa.text(f"DELETE FROM {table} WHERE id > :m"), {"m": marks[table]})


def child(url: str, day: str) -> None:
    import hrsys.models  # noqa: F401  every domain, so each has registered its reminder sources
    from hrsys.core.db import make_engine
    from hrsys.notifications.reminders import run_reminders

    engine = make_engine(url)
    t0 = time.perf_counter()
    counts = run_reminders(engine, today=dt.date.fromisoformat(day))
    seconds = time.perf_counter() - t0
    engine.dispose()
    print(f"{seconds:.3f} {peak_mib():.1f} {json.dumps(counts)}")


def peak_mib() -> float:
    """This process's peak resident memory: ``VmHWM`` of its own address space. Not ``ru_maxrss``, which on
    Linux keeps the high-water mark of the image before ``exec``: a child spawned by a large parent (the
    bench, after generating a dataset) would report at least the parent's size."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m hrsys.bench.reminders DATABASE_URL YYYY-MM-DD")
    child(sys.argv[1], sys.argv[2])
