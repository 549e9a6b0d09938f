"""The child process of the assessments import benchmark (:mod:`hrsys.bench.skills`).

``python -m hrsys.bench.assessment_import DATABASE_URL FILE`` imports FILE with ``hrsys assessments import``
semantics, prints ``written seconds peak_mib problems cpu_seconds keys_seconds`` and rolls back, so the
benchmark leaves no trace. A process of its own, importing only what the import needs, so that its peak
memory and CPU time are the import's.
"""

from __future__ import annotations

import resource
import sys
import time

from sqlalchemy.orm import Session

from hrsys.core.db import make_engine
from hrsys.skills.assessments.importer import import_assessments, validate_keys


def child_import(url: str, file: str) -> None:
    """Import, report, roll back."""
    engine = make_engine(url)
    with Session(engine) as session:
        before = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        report = import_assessments(session, file)
        seconds = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_SELF)
        t1 = time.perf_counter()
        validate_keys(session.connection())  # what the command does after its commit (PostgreSQL)
        keys_seconds = time.perf_counter() - t1
        session.rollback()
    peak_mib = after.ru_maxrss / 1024
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(f"{report.written} {seconds:.3f} {peak_mib:.1f} {len(report.problems)} {cpu:.1f} {keys_seconds:.3f}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m hrsys.bench.assessment_import DATABASE_URL FILE")
    child_import(sys.argv[1], sys.argv[2])
