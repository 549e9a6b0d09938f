"""A deterministic synthetic national-scale dataset: agencies, civil servants, then each domain's rows.

The same ``--staff`` and ``--seed`` always give the same data. People are written
with explicit ids through the driver's bulk path (``executemany`` on SQLite,
``COPY`` on PostgreSQL); the name-search index is rebuilt once at the end.
Each area then adds its rows through its generator in :data:`STEPS` (``hrsys/generate/<area>.py``,
see :mod:`hrsys.generate.context`).
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.schema import CreateIndex, CreateTable

import hrsys.models
from hrsys.agencies.models import Agency
from hrsys.config import Settings
from hrsys.core import migrate
from hrsys.core.db import make_engine
from hrsys.core.stamps import VersionStamp
from hrsys.generate import careers, names, requests, secondments, skills, taskforces, training
from hrsys.generate.context import GenerateContext
from hrsys.people import citizen_id, search
from hrsys.people.models import LEVELS_BY_TYPE, PositionType

CHUNK = 5_000
STEPS: tuple[ModuleType, ...] = (skills, careers, training, taskforces, secondments, requests)
"""Each area's generator (``generate(ctx) -> rows``), in the order they run: each reads what the earlier ones wrote."""

# Share of staff by position type, and of levels within each type (lower levels are more common).
TYPE_SHARES = [
    (PositionType.knowledge_worker, 0.55),
    (PositionType.general, 0.36),
    (PositionType.managerial, 0.07),
    (PositionType.executive, 0.02),
]
LEVEL_SHARES = {
    PositionType.knowledge_worker: [0.38, 0.34, 0.2, 0.07, 0.01],
    PositionType.general: [0.45, 0.33, 0.18, 0.04],
    PositionType.managerial: [0.7, 0.3],
    PositionType.executive: [0.8, 0.2],
}
MONTHLY_COST = {  # rough salary plus overheads by level, baht per month
    "practitioner": 32_000, "professional": 45_000, "senior_professional": 62_000, "expert": 85_000,
    "advisory": 110_000, "operational": 24_000, "experienced": 32_000, "senior": 42_000,
    "highly_skilled": 55_000, "managerial_primary": 70_000, "managerial_senior": 90_000,
    "executive_primary": 100_000, "executive_senior": 130_000,
}  # fmt: skip


@dataclass
class AgencyRow:
    id: int
    code: str
    name_th: str
    name_en: str
    kind: str
    parent_id: int | None
    path: str
    depth: int
    province: str | None
    weight: float


@dataclass
class GenerateSummary:
    staff: int
    agencies: int
    seconds: float
    steps: dict[str, tuple[int, float]] = field(default_factory=dict)

    def line(self) -> str:
        rate = (self.staff + self.agencies) / self.seconds if self.seconds else 0
        parts = [f"{self.staff:,} staff and {self.agencies:,} agencies in {self.seconds:.1f} s ({rate:,.0f} rows/s)"]
        parts += [f"{name}: {rows:,} rows in {secs:.1f} s" for name, (rows, secs) in self.steps.items()]
        return "generated " + "; ".join(parts)


def build_agencies(ctx_rng: Any, staff: int) -> list[AgencyRow]:
    """The agency tree: ministries, departments, provincial offices, local government, public bodies.

    About 300 agencies, whatever the staff count.
    """
    rows: list[AgencyRow] = []

    def add(code: str, th: str, en: str, kind: str, parent: AgencyRow | None, weight: float, prov: str | None = None):
        aid = len(rows) + 1
        row = AgencyRow(
            aid, code, th, en, kind, parent.id if parent else None,
            f"{parent.path if parent else '/'}{aid}/", (parent.depth + 1) if parent else 0, prov, weight,
        )  # fmt: skip
        rows.append(row)
        return row

    big = {"MOI", "MOPH", "MOE", "MOAC"}
    for m_th, m_en, m_code in names.MINISTRIES:
        ministry = add(m_code, m_th, m_en, "ministry", None, 0.0)
        for f_th, f_en, f_code in names.DEPARTMENT_FUNCTIONS:
            suffix = m_th.removeprefix("กระทรวง").removeprefix("สำนัก")
            dept = add(
                f"{m_code}-{f_code}", f"{f_th}{suffix}" if f_code == "OPS" else f"{f_th} ({m_th})",
                f"{f_en}, {m_en}", "department", ministry, ctx_rng.lognormvariate(0, 0.7) * (3 if m_code in big else 1),
            )  # fmt: skip
            if m_code in big and f_code in {"OPS"}:
                for p_th, p_en, p_code in names.PROVINCES:
                    add(
                        f"{m_code}-{p_code}", f"สำนักงานจังหวัด{p_th} ({m_th})", f"{p_en} Provincial Office, {m_en}",
                        "provincial_office", dept, ctx_rng.lognormvariate(0, 0.5) * 1.5, p_en,
                    )  # fmt: skip
        if m_code == "MOI":
            dla = add("MOI-DLA", "กรมส่งเสริมการปกครองท้องถิ่น", "Department of Local Administration", "department",
                      ministry, 0.8)  # fmt: skip
            for p_th, p_en, p_code in names.PROVINCES:
                add(f"PAO-{p_code}", f"องค์การบริหารส่วนจังหวัด{p_th}", f"{p_en} Provincial Administrative Organisation",
                    "local_government", dla, ctx_rng.lognormvariate(0, 0.5), p_en)  # fmt: skip
            for p_th, p_en, p_code in names.PROVINCES[:10]:
                add(f"CM-{p_code}", f"เทศบาลนคร{p_th}", f"{p_en} City Municipality", "local_government", dla,
                    ctx_rng.lognormvariate(0, 0.5), p_en)  # fmt: skip
        if m_code in {"MDES", "MHESI", "OPM", "MOF"}:
            for i, (t_th, t_en) in enumerate(
                [("สำนักงานพัฒนา", "Development Agency"), ("สถาบันส่งเสริม", "Promotion Institute")]
            ):
                add(f"{m_code}-PO{i + 1}", f"{t_th}{m_th.removeprefix('กระทรวง')} (องค์การมหาชน)",
                    f"{m_en.removeprefix('Ministry of ')} {t_en} (Public Organisation)", "public_organisation",
                    ministry, ctx_rng.lognormvariate(0, 0.5) * 0.5)  # fmt: skip
    return rows


def _person_rows(rng: Any, staff: int, agencies: list[AgencyRow], start_id: int = 1) -> Iterator[tuple[Any, ...]]:
    """Civil servants as tuples in the order of :data:`PERSON_COLUMNS`."""
    holders = [a for a in agencies if a.weight > 0]
    weights = [a.weight for a in holders]
    cum = []
    total = 0.0
    for w in weights:
        total += w
        cum.append(total)
    types = [t for t, _ in TYPE_SHARES]
    type_w = [s for _, s in TYPE_SHARES]
    today = dt.date(2026, 10, 1)
    now = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    for i in range(start_id, start_id + staff):
        female = rng.random() < 0.58
        g_th, g_en = rng.choice(names.GIVEN_FEMALE if female else names.GIVEN_MALE)
        s_th, s_en = rng.choice(names.SURNAMES)
        agency = holders[_bisect(cum, rng.random() * total)]
        ptype = rng.choices(types, type_w)[0]
        level = rng.choices(LEVELS_BY_TYPE[ptype], LEVEL_SHARES[ptype])[0]
        age = rng.randint(23, 60)
        born = dt.date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
        hired = dt.date(max(born.year + 22, 1990) + rng.randint(0, max(0, age - 23)) // 2, rng.randint(1, 12), 1)
        cid = citizen_id.make(f"{1 + i % 8}{i:011d}")
        yield (
            i, "civil_servant", "นางสาว" if female else "นาย", g_th, s_th, g_en, s_en,
            f"{g_en.lower()}.{s_en[:3].lower()}{i}@{agency.code.lower()}.go.th", cid, born, agency.id,
            ptype.name, level.name, MONTHLY_COST[level.name], hired, True, 1, now, now,
        )  # fmt: skip


PERSON_COLUMNS = (
    "id", "kind", "title_th", "first_name_th", "last_name_th", "first_name_en", "last_name_en", "email",
    "citizen_id", "date_of_birth", "agency_id", "position_type", "position_level", "monthly_cost_baht",
    "hired_on", "active", "version", "created_at", "updated_at",
)  # fmt: skip


def _bisect(cum: list[float], x: float) -> int:
    lo, hi = 0, len(cum) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _insert_agencies(conn: sa.Connection, agencies: list[AgencyRow]) -> None:
    now = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    conn.execute(
        sa.insert(Agency),
        [
            {
                "id": a.id,
                "code": a.code,
                "name_th": a.name_th,
                "name_en": a.name_en,
                "kind": a.kind,
                "parent_id": a.parent_id,
                "path": a.path,
                "depth": a.depth,
                "province": a.province,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for a in agencies
        ],
    )


def _insert_people(conn: sa.Connection, rows: Iterator[tuple[Any, ...]], staff: int, tick: Callable[[int], None]):
    dialect = conn.dialect.name
    cols = ", ".join(PERSON_COLUMNS)
    if dialect == "postgresql":
        dbapi = conn.connection.driver_connection
        with dbapi.cursor() as cur, cur.copy(f"COPY person ({cols}) FROM STDIN") as copy:  # type: ignore[union-attr]
            for n, row in enumerate(rows, 1):
                copy.write_row(row)
                if n % CHUNK == 0:
                    tick(CHUNK)
        tick(staff % CHUNK)
        return
    placeholders = ", ".join("?" for _ in PERSON_COLUMNS)
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    sql = f"INSERT INTO person ({cols}) VALUES ({placeholders})"
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(
            tuple(
                v.isoformat(" ") if isinstance(v, dt.datetime) else v.isoformat() if isinstance(v, dt.date) else v
                for v in row
            )
        )
        if len(batch) == CHUNK:
            cur.executemany(sql, batch)
            tick(len(batch))
            batch.clear()
    if batch:
        cur.executemany(sql, batch)
        tick(len(batch))


class _Progress:
    """A rich progress bar on a terminal; silent otherwise."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> _Progress:
        if self.enabled:
            self._bar = Progress(
                "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
            )
            self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def update(self, label: str, done: int, total: int) -> None:
        if self._bar is None:
            return
        if label not in self._tasks:
            self._tasks[label] = self._bar.add_task(label, total=total)
        self._bar.update(self._tasks[label], completed=done, total=total)


def schema_fingerprint() -> int:
    """A number that changes whenever the models' tables or indexes change (kept datasets are then remade).

    Rendered for both databases, so dialect options (``WITHOUT ROWID``) count too.
    """
    parts = []
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        for t in hrsys.models.metadata.sorted_tables:
            parts.append(str(CreateTable(t).compile(dialect=dialect)))
            parts += sorted(str(CreateIndex(i).compile(dialect=dialect)) for i in t.indexes)
    return zlib.crc32("\n".join(parts).encode()) & 0x7FFFFFFF


def generate_into(engine: Engine, *, staff: int, seed: int, echo: Callable[[str], None] = print) -> GenerateSummary:
    """Fill an empty, migrated database. Refuses a database that already has people."""
    with engine.connect() as conn:
        if conn.scalar(sa.text("SELECT count(*) FROM (SELECT id FROM person LIMIT 1) AS one")):
            raise SystemExit("hrsys generate: the database already has people; use an empty, migrated database")
    started = time.perf_counter()
    rng = random.Random(f"{seed}:agencies")
    agencies = build_agencies(rng, staff)
    with _Progress() as progress:
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            progress.update("staff", done, staff)

        with engine.begin() as conn:
            _insert_agencies(conn, agencies)
            search.uninstall(conn)  # rebuilt once below: far faster than a trigger per row
            _insert_people(conn, _person_rows(random.Random(f"{seed}:people"), staff, agencies), staff, tick)
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(
                    "SELECT setval(pg_get_serial_sequence('agency', 'id'), (SELECT max(id) FROM agency))"
                )
                conn.exec_driver_sql(
                    "SELECT setval(pg_get_serial_sequence('person', 'id'), (SELECT max(id) FROM person))"
                )
            search.install(conn)  # made again, so filled from the people just loaded
            conn.execute(
                sa.insert(VersionStamp),
                [
                    {"name": "generated_staff", "version": staff},
                    {"name": "generated_seed", "version": seed},
                    {"name": "generated_schema", "version": schema_fingerprint()},
                ],
            )
        summary = GenerateSummary(staff=staff, agencies=len(agencies), seconds=time.perf_counter() - started)
        ctx = GenerateContext(engine=engine, seed=seed, staff=staff, progress=progress.update)
        for step in STEPS:
            t0 = time.perf_counter()
            rows = step.generate(ctx)
            summary.steps[step.__name__.rsplit(".", 1)[1]] = (rows, time.perf_counter() - t0)
    # Fresh statistics for the planner; on PostgreSQL VACUUM also sets the visibility map that index-only
    # scans (the capped counts) need. On SQLite the domain steps add people and skills through the index
    # triggers: merge the full-text indexes again, or name searches read a score of segments.
    migrate.optimize(engine)
    echo(summary.line())
    return summary


def generate_national(settings: Settings, staff: int, seed: int) -> GenerateSummary:
    """``hrsys generate``: migrate the configured database if needed, then fill it."""
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        return generate_into(engine, staff=staff, seed=seed)
    finally:
        engine.dispose()
