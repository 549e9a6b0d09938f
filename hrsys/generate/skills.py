"""Synthetic national-scale skills data for ``hrsys generate`` (runs after people and agencies).

1. Imports the shipped catalog (``skills_catalog/``: TH-DG and DDAT) and a synthetic
   15,000-skill taxonomy (framework ``SYNTH``, through the real CSV import), so that
   skill search is measured at the size of ESCO.
2. Adds about ten assessments per person (6 to 14; sources self, manager,
   training, certification, assessment centre, knowledge transfer; certifications
   valid two or three years, so some have expired) and the matching
   ``current_skill`` rows, computed person by person with the profile rule
   (:func:`hrsys.skills.assessments.profile.current_profile`) while the rows are generated.

Speed: rows come from a pool of pre-drawn assessment templates picked by
arithmetic on the person id (no random call per row), are written with COPY
(PostgreSQL) or one ``executemany`` per 50,000 rows (SQLite) with the secondary
indexes dropped and rebuilt once at the end. Deterministic for a given seed.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.generate.context import GenerateContext
from hrsys.people.models import Person
from hrsys.skills.assessments import bulk
from hrsys.skills.assessments.models import Assessment, CurrentSkill
from hrsys.skills.assessments.profile import DEFAULT_TRUST_ORDER, Evidence, current_profile
from hrsys.skills.assessments.service import CURRENT_COLUMNS, load_equivalences
from hrsys.skills.catalog.importer import import_catalog, import_csv
from hrsys.skills.catalog.models import Framework, Skill
from hrsys.skills.catalog.taxonomy import parse_mapping

CATALOG = Path(__file__).resolve().parents[2] / "skills_catalog"
ANCHOR = dt.date(2026, 10, 1)
"""The generated history ends on this day (the generator's "today")."""
POOL = 65_521  # a prime: template picks cycle through the whole pool
SYNTH_SKILLS = 15_000
SOURCE_SHARES = (
    ("self", 0.34),
    ("manager", 0.30),
    ("training", 0.15),
    ("certification", 0.09),
    ("assessment_centre", 0.07),
    ("knowledge_transfer", 0.05),
)
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
)
AS = cast(sa.Table, Assessment.__table__)
CS = cast(sa.Table, CurrentSkill.__table__)


def write_synthetic_taxonomy(path: Path, n: int = SYNTH_SKILLS, seed: int = 1) -> Path:
    """An ESCO-shaped CSV of ``n`` skills: URIs, labels, aliases on several lines, long descriptions, broaders."""
    rng = random.Random(f"{seed}:taxonomy")
    words = [
        *[
            "data",
            "analysis",
            "cloud",
            "security",
            "service",
            "design",
            "research",
            "agile",
            "policy",
            "budget",
            "procurement",
            "network",
        ],
        *[
            "software",
            "testing",
            "architecture",
            "privacy",
            "records",
            "archive",
            "statistics",
            "forecasting",
            "audit",
            "contract",
        ],
        *["วิเคราะห์", "ข้อมูล", "บริการ", "ดิจิทัล", "ความปลอดภัย", "นโยบาย", "งบประมาณ", "เครือข่าย", "ระบบ", "การจัดการ"],
    ]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["conceptUri", "preferredLabel", "altLabels", "description", "broaderUri"])
        for i in range(n):
            label = " ".join(rng.choice(words) for _ in range(rng.randint(2, 5))) + f" {i}"
            aliases = "\n".join(" ".join(rng.choice(words) for _ in range(3)) for _ in range(rng.randint(0, 4)))
            desc = " ".join(rng.choice(words) for _ in range(rng.randint(40, 120)))
            broader = f"http://example.org/skill/S{i - i % 40:05d}" if i % 40 else ""
            w.writerow([f"http://example.org/skill/S{i:05d}", label, aliases, desc, broader])
    return path


def _templates(ctx: GenerateContext, skill_ids: list[int], weights: list[float]) -> list[tuple[Any, ...]]:
    rng = ctx.rng("assessments")
    sources = [s for s, _ in SOURCE_SHARES]
    shares = [w for _, w in SOURCE_SHARES]
    out = []
    for _ in range(POOL):
        skill = rng.choices(skill_ids, weights)[0]
        source = rng.choices(sources, shares)[0]
        on = ANCHOR - dt.timedelta(days=rng.randint(1, 5 * 365))
        until = on + dt.timedelta(days=rng.choice((730, 1095))) if source == "certification" else None
        level = rng.choices((1, 2, 3, 4), (0.25, 0.4, 0.25, 0.1))[0]
        out.append((skill, level, source, on, until))
    return out


def generate(ctx: GenerateContext) -> int:
    """Catalog, synthetic taxonomy, ~10 assessments per person and current profiles; returns rows written."""

    engine = ctx.engine
    with Session(engine) as session:
        if session.scalar(sa.select(sa.func.count()).select_from(Framework)) == 0:
            import_catalog(session, CATALOG)
        if session.scalar(sa.select(Framework.id).where(Framework.code == "SYNTH")) is None:
            with tempfile.TemporaryDirectory() as tmp:
                path = write_synthetic_taxonomy(Path(tmp) / "synth.csv", seed=ctx.seed)
                import_csv(
                    session,
                    path,
                    framework="SYNTH",
                    mapping=parse_mapping(
                        "id=conceptUri,name_en=preferredLabel,aliases=altLabels,description=description,parent=broaderUri"
                    ),
                    name_en="Synthetic taxonomy (benchmarks only)",
                    version="1",
                )
        session.commit()
    with engine.begin() as conn:
        skills = conn.execute(
            sa.select(Skill.id, Skill.code, Framework.code)
            .join(Framework, Framework.id == Skill.framework_id)
            .where(Framework.code.in_(["TH-DG", "DDAT"]))
            .order_by(Skill.id)
        ).all()
        # Core Thai skills are assessed most, then the rest of TH-DG, then DDaT.
        weights = [4.0 if fw == "TH-DG" and code[:2] in {"DL", "DG", "LD"} else 2.0 if fw == "TH-DG" else 1.0
                   for _, code, fw in skills]  # fmt: skip
        templates = _templates(ctx, [s[0] for s in skills], weights)
        classes = load_equivalences(conn)
        first, last = conn.execute(sa.select(sa.func.min(Person.id), sa.func.max(Person.id))).one()
        if first is None:
            return 0
        start_id = (conn.scalar(sa.select(sa.func.max(AS.c.id))) or 0) + 1
        if conn.dialect.name == "postgresql":
            _skip_foreign_key_checks(conn)
        dropped = _drop_secondary_indexes(conn)
        total = _load(ctx, conn, first, last, start_id, templates, classes)
        for index in dropped:
            index.create(conn)
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('assessment', 'id'), (SELECT max(id) FROM assessment))"
            )
    return total


def _skip_foreign_key_checks(conn: sa.Connection) -> None:
    """PostgreSQL: skip the per-row foreign-key triggers for this transaction (rows are consistent by construction).

    Needs a superuser (as the benchmark database has); elsewhere the checks simply run.
    """
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    except sa.exc.DBAPIError:
        pass


def _drop_secondary_indexes(conn: sa.Connection) -> list[sa.Index]:
    dropped = []
    for table in (AS, CS):
        for index in table.indexes:
            index.drop(conn)
            dropped.append(index)
    return dropped


def _load(
    ctx: GenerateContext,
    conn: sa.Connection,
    first: int,
    last: int,
    start_id: int,
    templates: list[tuple[Any, ...]],
    classes: dict[int, frozenset[int]],
) -> int:
    dialect = conn.dialect.name
    as_of = ANCHOR
    recorded = bulk.db_value(dialect, dt.datetime(2026, 10, 1, tzinfo=dt.UTC))
    conv: dict[Any, Any] = {None: None}

    def day(d: dt.date | None) -> Any:
        v = conv.get(d)
        if v is None and d is not None:
            v = conv[d] = bulk.db_value(dialect, d)
        return v

    seed = ctx.seed
    n_people = last - first + 1
    written = 0
    next_id = start_id

    def people_rows() -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
        nonlocal next_id
        for pid in range(first, last + 1):
            k = 6 + (pid * 2654435761 + seed) % 9  # 6..14, mean 10
            base = pid * 7919 + seed * 104729
            evidence = []
            rows = []
            for j in range(k):
                skill, level, source, on, until = templates[(base + j * 40503) % POOL]
                evidence.append(Evidence(next_id, skill, level, source, on, until))
                rows.append((next_id, pid, skill, level, source, None, None, day(on), day(until), recorded))
                next_id += 1
            prof = current_profile(evidence, as_of=as_of, trust_order=DEFAULT_TRUST_ORDER, equivalents=classes)
            current = [
                (pid, e.skill_id, e.level, e.source, e.assessment_id, day(e.assessed_on), day(e.valid_until))
                for e in sorted(prof.entries.values(), key=lambda e: e.skill_id)
            ]
            yield rows, current

    batch_a: list[tuple[Any, ...]] = []
    batch_c: list[tuple[Any, ...]] = []
    for done, (rows, current) in enumerate(people_rows(), start=1):
        batch_a.extend(rows)
        batch_c.extend(current)
        if len(batch_a) >= 100_000:
            written += bulk.copy_rows(conn, "assessment", ASSESSMENT_COLUMNS, batch_a)
            written += bulk.copy_rows(conn, "current_skill", CURRENT_COLUMNS, batch_c)
            batch_a, batch_c = [], []
            ctx.progress("assessments", done, n_people)
    written += bulk.copy_rows(conn, "assessment", ASSESSMENT_COLUMNS, batch_a)
    written += bulk.copy_rows(conn, "current_skill", CURRENT_COLUMNS, batch_c)
    ctx.progress("assessments", n_people, n_people)
    return written
