"""Benchmarks of the skills domain on a generated national-scale database (``make bench``).

- Import of assessments from CSV: a file of ``HRSYS_BENCH_ASSESSMENT_ROWS`` rows
  (default 5,000,000: ten per person for the first 500,000 people) into the
  generated database (which holds about ten assessments per person already),
  with each person's rows together but people in random order (as an export
  sorted by name or agency comes; ``HRSYS_BENCH_ASSESSMENT_ORDER=person`` puts
  them in id order). It runs with ``hrsys assessments import`` semantics in a
  child process whose peak memory and CPU time are measured, and is rolled back,
  so the database is unchanged. With fewer rows the 5,000,000-row figure is
  extrapolated linearly, which is only rough: bulk mode depends on the file's
  size against the table.
- Import of a 15,000-skill taxonomy (ESCO-shaped CSV, long descriptions), rolled back.
- Skill search p95 over the ~15,090 skills; profile p95; people-by-skill p95.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.bench.context import BenchContext, BenchRow, latency_row, time_calls
from hrsys.generate.skills import write_synthetic_taxonomy
from hrsys.people.listing import list_people
from hrsys.skills.assessments.people_list import skill_filters
from hrsys.skills.assessments.service import person_profile
from hrsys.skills.catalog.importer import import_csv
from hrsys.skills.catalog.service import search_skills
from hrsys.skills.catalog.taxonomy import parse_mapping

FULL_ROWS = 5_000_000


def write_assessments_csv(path: Path, engine: sa.Engine, rows: int, seed: int = 1, order: str = "person") -> int:
    """A CSV of ``rows`` assessments for existing people (by citizen ID), ten per person; returns people covered.

    ``order``: ``person`` (people by id, each person's rows together) or ``shuffled`` (each person's
    rows together, people in random order).
    """
    rng = random.Random(f"{seed}:bench-import")
    with engine.connect() as conn:
        n_people = (rows + 9) // 10
        people = [
            r[0]
            for r in conn.execute(
                sa.text("SELECT citizen_id FROM person WHERE citizen_id IS NOT NULL ORDER BY id LIMIT :n"),
                {"n": n_people},
            )
        ]
        skills = [
            f"{r[0]}:{r[1]}"
            for r in conn.execute(
                sa.text(
                    "SELECT f.code, s.code FROM skill s JOIN framework f ON f.id = s.framework_id "
                    "WHERE f.code IN ('TH-DG', 'DDAT') AND NOT s.retired"
                )
            )
        ]
    if order == "shuffled":
        random.Random(f"{seed}:bench-import-order").shuffle(people)
    sources = ["self", "manager", "training", "certification", "assessment_centre", "knowledge_transfer"]
    days = [
        f"{d.day:02d}/{d.month:02d}/{d.year + 543}"
        for d in (dt.date(2022, 1, 1) + dt.timedelta(days=i) for i in range(1400))
    ]
    written = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["citizen_id", "skill", "level", "source", "assessed_on", "valid_until", "assessor_name"])
        for cid in people:  # grouped by person, as an HR system's export is
            for _ in range(min(10, rows - written)):
                source = rng.choice(sources)
                on = rng.randrange(len(days))
                until = days[min(on + 730, len(days) - 1)] if source == "certification" else ""
                w.writerow([cid, rng.choice(skills), rng.randint(1, 4), source, days[on], until, "ผอ.กอง"])
                written += 1
    return len(people)


def _bench_assessment_import(ctx: BenchContext) -> BenchRow:
    rows, order = ctx.settings.bench.assessment_rows, ctx.settings.bench.assessment_order
    with ctx.engine.connect() as conn:
        existing = conn.scalar(sa.text("SELECT count(*) FROM assessment")) or 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "assessments.csv"
        write_assessments_csv(path, ctx.engine, rows, ctx.seed, order=order)
        size_mib = path.stat().st_size / 2**20
        out = subprocess.run(
            [sys.executable, "-m", "hrsys.bench.assessment_import", ctx.database_url, str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    if ctx.database == "postgresql":  # the rolled-back rows are dead tuples: clear them for the benchmarks that follow
        with ctx.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE) assessment, current_skill")
    written, seconds, peak_mib, problems, cpu = int(out[0]), float(out[1]), float(out[2]), int(out[3]), float(out[4])
    keys = float(out[5])
    full = seconds * FULL_ROWS / max(written, 1)
    target = 60.0 if ctx.database == "sqlite" else 90.0
    return BenchRow(
        name="assessments CSV import",
        database=ctx.database,
        value=f"{written:,} rows in {seconds:.1f} s ({written / seconds:,.0f} rows/s, CPU {cpu:.0f} s, "
        f"peak {peak_mib:.0f} MiB)" + ("" if written >= FULL_ROWS else f"; 5,000,000 rows ~ {full:.0f} s"),
        target=f"5M rows < {target:.0f} s, < 1 GiB",
        ok=full < target and peak_mib < 1024 and problems == 0,
        note=f"file {size_mib:.0f} MiB, people {'in random order' if order == 'shuffled' else 'by id'}, "
        f"into {existing:,} assessments; profiles merged; rolled back afterwards"
        + (f"; then {keys:.0f} s checking foreign keys, after the commit and its locks" if keys >= 0.5 else ""),
    )


def _bench_taxonomy(ctx: BenchContext) -> BenchRow:
    with tempfile.TemporaryDirectory() as tmp:
        path = write_synthetic_taxonomy(Path(tmp) / "taxonomy.csv", seed=ctx.seed + 1)
        mapping = parse_mapping(
            "id=conceptUri,name_en=preferredLabel,aliases=altLabels,description=description,parent=broaderUri"
        )
        with Session(ctx.engine) as session:
            t0 = time.perf_counter()
            report = import_csv(session, path, framework="BENCH-TAX", mapping=mapping)
            session.flush()
            seconds = time.perf_counter() - t0
            session.rollback()
    return BenchRow(
        name="taxonomy CSV import (15,000 skills)",
        database=ctx.database,
        value=f"{report.skills.added:,} skills, {report.groups.added:,} groups in {seconds:.2f} s",
        target="< 10 s",
        ok=seconds < 10,
        note="new framework, long descriptions and aliases; rolled back",
    )


SEARCHES = [
    "TH-DG:DU02",
    "du0",
    "CS",
    "data",
    "วิเคราะห์",
    "ข้อมูล",
    "security",
    "PDPA",
    "cloud service",
    "บริการ ดิจิทัล",
    "agile",
    "S01234",
    "procurement",
    "การจัดการ",
    "ai",
]


def benchmarks(ctx: BenchContext) -> list[BenchRow]:
    engine = ctx.engine
    rows: list[BenchRow] = []
    with engine.connect() as conn:
        n_skills = conn.scalar(sa.text("SELECT count(*) FROM skill")) or 0
        first, last = conn.execute(sa.text("SELECT min(id), max(id) FROM person")).one()
        ministries = [r[0] for r in conn.execute(sa.text("SELECT code FROM agency WHERE depth = 0 ORDER BY id"))]
    if first is None:
        return [BenchRow(name="skills", database=ctx.database, value="no people generated", ok=False)]
    samples = time_calls(lambda i: search_skills(engine, q=SEARCHES[i % len(SEARCHES)], limit=20), n=300)
    row = latency_row(f"skill search ({n_skills:,} skills)", ctx.database, samples, 20)
    rows.append(row)
    rng = ctx.rng("profiles")
    ids = [rng.randint(first, last) for _ in range(400)]
    rows.append(
        latency_row("person profile", ctx.database, time_calls(lambda i: person_profile(engine, ids[i]), n=300), 20)
    )

    filters = [
        (["TH-DG:DU02@3"], None),
        (["TH-DG:DL01@2", "TH-DG:DG02@2"], None),
        (["DDAT:DATA-ANALYSIS@4"], None),
        (["TH-DG:CS02@3", "TH-DG:DT03@3"], ministries[0] if ministries else None),
        (["TH-DG:LD02@4"], ministries[-1] if ministries else None),
        (["DDAT:PROGRAMMING@3", "DDAT:DEVOPS@2"], None),
    ]

    def people_by_skill(i: int) -> object:
        skills, agency = filters[i % len(filters)]
        return list_people(engine, agency=agency, skills=skill_filters(engine, skills), limit=50)

    rows.append(
        latency_row("people by skill (1-2 skills, +/- subtree)", ctx.database, time_calls(people_by_skill, n=120), 200)
    )
    rows.append(_bench_taxonomy(ctx))
    return rows


def late_benchmarks(ctx: BenchContext) -> list[BenchRow]:
    """Run after every other area's figures (see :func:`hrsys.bench.run.run_bench`): the import writes millions
    of rows and rolls them back."""
    return [_bench_assessment_import(ctx)]
