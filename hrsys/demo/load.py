"""The demo dataset behind ``make run``: one ministry's digital workforce, small enough to read.

A ministry with departments and provincial offices, a public organisation,
local government organisations, about 200 civil servants and a handful of
external experts, all with generated Thai and English names. The areas add
their demo rows through the steps in :data:`DEMO_STEPS` (each a module
``hrsys/demo/<area>.py`` with ``load(session, demo) -> str``); demo users come last
(:mod:`hrsys.demo.access`), with passwords generated now and written to
``Settings.demo_credentials_file``.
"""

from __future__ import annotations

import datetime as dt
import random
from types import ModuleType

import sqlalchemy as sa
from sqlalchemy.orm import Session

import hrsys.models  # noqa: F401  (every table, so foreign keys resolve)
from hrsys.agencies.models import Agency, AgencyKind
from hrsys.config import Settings
from hrsys.core.db import make_engine
from hrsys.core.stamps import VersionStamp, bump_version
from hrsys.demo import access, secondments, skills, taskforces, training
from hrsys.demo.context import Demo
from hrsys.generate import names
from hrsys.people import citizen_id
from hrsys.people.models import LEVELS_BY_TYPE, Person, PersonKind, PositionType, Sector

SEED = 2570

# (code, Thai name, English name, kind, parent code, province, staff)
AGENCIES: list[tuple[str, str, str, AgencyKind, str | None, str | None, int]] = [
    ("MDES", "กระทรวงดิจิทัลเพื่อเศรษฐกิจและสังคม", "Ministry of Digital Economy and Society",
     AgencyKind.ministry, None, None, 0),
    ("MDES-OPS", "สำนักงานปลัดกระทรวงดิจิทัลเพื่อเศรษฐกิจและสังคม",
     "Office of the Permanent Secretary, Ministry of Digital Economy and Society",
     AgencyKind.department, "MDES", None, 40),
    ("MDES-STAT", "สำนักงานสถิติแห่งชาติ", "National Statistical Office", AgencyKind.department, "MDES", None, 36),
    ("MDES-MET", "กรมอุตุนิยมวิทยา", "Thai Meteorological Department", AgencyKind.department, "MDES", None, 28),
    ("STAT-CMI", "สำนักงานสถิติจังหวัดเชียงใหม่", "Chiang Mai Provincial Statistical Office",
     AgencyKind.provincial_office, "MDES-STAT", "Chiang Mai", 14),
    ("STAT-KKN", "สำนักงานสถิติจังหวัดขอนแก่น", "Khon Kaen Provincial Statistical Office",
     AgencyKind.provincial_office, "MDES-STAT", "Khon Kaen", 12),
    ("STAT-SKA", "สำนักงานสถิติจังหวัดสงขลา", "Songkhla Provincial Statistical Office",
     AgencyKind.provincial_office, "MDES-STAT", "Songkhla", 12),
    ("MDES-DGA", "สำนักงานพัฒนารัฐบาลดิจิทัล (องค์การมหาชน)", "Digital Government Development Agency (Public Organisation)",
     AgencyKind.public_organisation, "MDES", None, 22),
    ("MOI", "กระทรวงมหาดไทย", "Ministry of Interior", AgencyKind.ministry, None, None, 0),
    ("MOI-DLA", "กรมส่งเสริมการปกครองท้องถิ่น", "Department of Local Administration", AgencyKind.department,
     "MOI", None, 10),
    ("PAO-CMI", "องค์การบริหารส่วนจังหวัดเชียงใหม่", "Chiang Mai Provincial Administrative Organisation",
     AgencyKind.local_government, "MOI-DLA", "Chiang Mai", 10),
    ("CM-KKN", "เทศบาลนครขอนแก่น", "Khon Kaen City Municipality", AgencyKind.local_government, "MOI-DLA",
     "Khon Kaen", 8),
    ("CM-HDY", "เทศบาลนครหาดใหญ่", "Hat Yai City Municipality", AgencyKind.local_government, "MOI-DLA",
     "Songkhla", 8),
]  # fmt: skip

EXPERTS = 8


DEMO_STEPS: tuple[ModuleType, ...] = (skills, training, taskforces, secondments)
"""Each area's demo rows (``load(session, demo) -> note``), in the order they run; demo users come last."""


def _agencies(session: Session, demo: Demo) -> None:
    for code, th, en, kind, parent_code, province, _ in AGENCIES:
        parent = demo.agencies.get(parent_code) if parent_code else None
        a = Agency(
            code=code, name_th=th, name_en=en, kind=kind, parent_id=parent.id if parent else None,
            path="/", depth=(parent.depth + 1) if parent else 0, province=province,
        )  # fmt: skip
        session.add(a)
        session.flush()
        session.execute(
            sa.update(Agency)
            .where(Agency.id == a.id)
            .values(path=f"{parent.path if parent else '/'}{a.id}/")
            .execution_options(synchronize_session=False)
        )
        session.refresh(a)
        demo.agencies[code] = a
    bump_version(session, "agencies")


def _staff(session: Session, demo: Demo) -> None:
    rng = demo.rng
    seq = 0
    for code, *_, count in AGENCIES:
        agency = demo.agencies[code]
        for _ in range(count):
            seq += 1
            female = rng.random() < 0.55
            g_th, g_en = rng.choice(names.GIVEN_FEMALE if female else names.GIVEN_MALE)
            s_th, s_en = rng.choice(names.SURNAMES)
            ptype = rng.choices(
                [PositionType.knowledge_worker, PositionType.general, PositionType.managerial, PositionType.executive],
                [0.62, 0.28, 0.08, 0.02],
            )[0]
            levels = LEVELS_BY_TYPE[ptype]
            level = levels[min(len(levels) - 1, int(rng.random() ** 1.8 * len(levels)))]
            p = Person(
                kind=PersonKind.civil_servant,
                title_th="นางสาว" if female else "นาย",
                first_name_th=g_th, last_name_th=s_th, first_name_en=g_en, last_name_en=s_en,
                email=f"{g_en.lower()}.{s_en.lower()[:3]}{seq}@{code.lower()}.go.th",
                citizen_id=citizen_id.make(f"3{seq + 10_000_000:011d}"),
                date_of_birth=dt.date(rng.randint(1966, 2000), rng.randint(1, 12), rng.randint(1, 28)),
                agency_id=agency.id, position_type=ptype, position_level=level,
                monthly_cost_baht=rng.randrange(25_000, 120_000, 500),
                hired_on=dt.date(rng.randint(1995, 2024), rng.randint(1, 12), 1),
            )  # fmt: skip
            session.add(p)
            demo.staff.append(p)
    session.flush()


def _experts(session: Session, demo: Demo) -> None:
    rng = demo.rng
    for i in range(EXPERTS):
        org, sector = names.EXTERNAL_ORGANISATIONS[i % len(names.EXTERNAL_ORGANISATIONS)]
        female = i % 2 == 0
        g_th, g_en = rng.choice(names.GIVEN_FEMALE if female else names.GIVEN_MALE)
        s_th, s_en = rng.choice(names.SURNAMES)
        p = Person(
            kind=PersonKind.external_expert, title_th="นางสาว" if female else "นาย",
            first_name_th=g_th, last_name_th=s_th, first_name_en=g_en, last_name_en=s_en,
            email=f"{g_en.lower()}.{s_en.lower()}@expert{i + 1}.example.com",
            organisation=org, sector=Sector[sector], monthly_cost_baht=rng.randrange(90_000, 250_000, 5_000),
        )  # fmt: skip
        session.add(p)
        demo.experts.append(p)
    session.flush()


def _pick_users(demo: Demo) -> None:
    by_agency: dict[int, list[Person]] = {}
    for p in demo.staff:
        by_agency.setdefault(p.agency_id or 0, []).append(p)
    ops = by_agency[demo.agencies["MDES-OPS"].id]
    stat = by_agency[demo.agencies["MDES-STAT"].id]
    dga = by_agency[demo.agencies["MDES-DGA"].id]
    demo.people_by_role.setdefault("admin", [ops[0]])
    demo.people_by_role.setdefault("hr_officer", [ops[1], stat[0]])
    demo.people_by_role.setdefault("taskforce_lead", [dga[0]])
    demo.people_by_role.setdefault("staff", [stat[3], dga[4]])


def load_into(session: Session, settings: Settings) -> str:
    """Load the demo in ``session``'s transaction; the caller commits. A database that has it already is left alone."""
    if session.get(VersionStamp, "demo_loaded") is not None:
        return "demo data is already loaded; nothing to do"
    demo = Demo(settings=settings, rng=random.Random(SEED))
    _agencies(session, demo)
    _staff(session, demo)
    _experts(session, demo)
    _pick_users(demo)
    for step in DEMO_STEPS:
        note = step.load(session, demo)
        if note:
            demo.notes.append(note)
        session.flush()
    users_note = _users(session, demo)
    session.add(VersionStamp(name="demo_loaded", version=1))
    session.flush()
    parts = [
        f"loaded the demo: {len(demo.agencies)} agencies, {len(demo.staff)} civil servants, "
        f"{len(demo.experts)} external experts",
        *demo.notes,
    ]
    if users_note:
        parts.append(users_note)
    return "\n".join(parts)


def _users(session: Session, demo: Demo) -> str:
    created = access.create_demo_users(session, demo.settings, demo.people_by_role)
    return (
        f"demo users: {', '.join(f'{u[0]} ({u[2]})' for u in created)}; "
        f"passwords in {demo.settings.demo_credentials_file}"
    )


def load_demo(settings: Settings) -> str:
    """``hrsys demo load``: one transaction; nothing is written if any step fails."""
    engine = make_engine(settings.database_url)
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            return load_into(session, settings)
    finally:
        engine.dispose()
