"""People: civil servants and external experts in one table, so a team can mix them."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy.orm import Mapped, mapped_column

from hrsys.core.db import Base, TimestampMixin, enum_column


class PersonKind(enum.StrEnum):
    civil_servant = "civil_servant"
    external_expert = "external_expert"


class PositionType(enum.StrEnum):
    """OCSC position classification (since 2008)."""

    executive = "executive"  # บริหาร
    managerial = "managerial"  # อำนวยการ
    knowledge_worker = "knowledge_worker"  # วิชาการ
    general = "general"  # ทั่วไป


class PositionLevel(enum.StrEnum):
    executive_primary = "executive_primary"  # บริหาร ต้น
    executive_senior = "executive_senior"  # บริหาร สูง
    managerial_primary = "managerial_primary"  # อำนวยการ ต้น
    managerial_senior = "managerial_senior"  # อำนวยการ สูง
    practitioner = "practitioner"  # ปฏิบัติการ
    professional = "professional"  # ชำนาญการ
    senior_professional = "senior_professional"  # ชำนาญการพิเศษ
    expert = "expert"  # เชี่ยวชาญ
    advisory = "advisory"  # ทรงคุณวุฒิ
    operational = "operational"  # ปฏิบัติงาน
    experienced = "experienced"  # ชำนาญงาน
    senior = "senior"  # อาวุโส
    highly_skilled = "highly_skilled"  # ทักษะพิเศษ


LEVELS_BY_TYPE: dict[PositionType, tuple[PositionLevel, ...]] = {
    PositionType.executive: (PositionLevel.executive_primary, PositionLevel.executive_senior),
    PositionType.managerial: (PositionLevel.managerial_primary, PositionLevel.managerial_senior),
    PositionType.knowledge_worker: (
        PositionLevel.practitioner,
        PositionLevel.professional,
        PositionLevel.senior_professional,
        PositionLevel.expert,
        PositionLevel.advisory,
    ),
    PositionType.general: (
        PositionLevel.operational,
        PositionLevel.experienced,
        PositionLevel.senior,
        PositionLevel.highly_skilled,
    ),
}

LEVEL_LABEL_TH: dict[PositionLevel, str] = {
    PositionLevel.executive_primary: "บริหาร ระดับต้น",
    PositionLevel.executive_senior: "บริหาร ระดับสูง",
    PositionLevel.managerial_primary: "อำนวยการ ระดับต้น",
    PositionLevel.managerial_senior: "อำนวยการ ระดับสูง",
    PositionLevel.practitioner: "ปฏิบัติการ",
    PositionLevel.professional: "ชำนาญการ",
    PositionLevel.senior_professional: "ชำนาญการพิเศษ",
    PositionLevel.expert: "เชี่ยวชาญ",
    PositionLevel.advisory: "ทรงคุณวุฒิ",
    PositionLevel.operational: "ปฏิบัติงาน",
    PositionLevel.experienced: "ชำนาญงาน",
    PositionLevel.senior: "อาวุโส",
    PositionLevel.highly_skilled: "ทักษะพิเศษ",
}


class Sector(enum.StrEnum):
    private = "private"
    academic = "academic"
    state_enterprise = "state_enterprise"
    international = "international"
    civil_society = "civil_society"
    public = "public"


def _level_matches_type_sql() -> str:
    parts = ["(position_type IS NULL AND position_level IS NULL)"]
    for ptype, levels in LEVELS_BY_TYPE.items():
        names = ", ".join(f"'{lv.name}'" for lv in levels)
        parts.append(f"(position_type = '{ptype.name}' AND position_level IN ({names}))")
    return " OR ".join(parts)


LIST_COLUMNS = (
    "id",
    "kind",
    "first_name_th",
    "last_name_th",
    "first_name_en",
    "last_name_en",
    "agency_id",
    "organisation",
    "position_type",
    "position_level",
    "role_id",
    "active",
)
"""The people list's columns, in the order its statements select them (``hrsys.people.list_sql``); the SQLite
index ``ix_person_agency_page`` holds them all, led by the agency and the id."""


class Person(TimestampMixin, Base):
    """A civil servant (home agency, position) or an external expert (organisation, sector).

    ``search_text`` is the lower-cased names in both scripts, kept by the
    database itself; it carries the substring (trigram) index used by name search.
    """

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PersonKind] = mapped_column(enum_column(PersonKind))
    title_th: Mapped[str | None] = mapped_column(sa.String(50))
    first_name_th: Mapped[str] = mapped_column(sa.String(150))
    last_name_th: Mapped[str] = mapped_column(sa.String(150))
    first_name_en: Mapped[str] = mapped_column(sa.String(150))
    last_name_en: Mapped[str] = mapped_column(sa.String(150))
    search_text: Mapped[str] = mapped_column(
        sa.String(700),
        sa.Computed(
            "lower(first_name_th || ' ' || last_name_th || ' ' || first_name_en || ' ' || last_name_en)",
            persisted=True,
        ),
    )
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    citizen_id: Mapped[str | None] = mapped_column(sa.String(13), unique=True)
    date_of_birth: Mapped[dt.date | None] = mapped_column(sa.Date)
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id", ondelete="RESTRICT"))
    organisation: Mapped[str | None] = mapped_column(sa.String(300))
    sector: Mapped[Sector | None] = mapped_column(enum_column(Sector))
    position_type: Mapped[PositionType | None] = mapped_column(enum_column(PositionType))
    position_level: Mapped[PositionLevel | None] = mapped_column(enum_column(PositionLevel))
    role_id: Mapped[int | None] = mapped_column(sa.ForeignKey("role.id", ondelete="SET NULL"))
    role_since: Mapped[dt.date | None] = mapped_column(sa.Date)
    salary_grade: Mapped[str | None] = mapped_column(sa.String(20))
    monthly_cost_baht: Mapped[int | None] = mapped_column(sa.Integer)
    hired_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.text("true"), default=True)
    anonymised_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1", nullable=False)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.Index("ix_person_agency_id_id", "agency_id", "id"),
        # SQLite only: an agency's list page from one index range, without a table lookup per row
        # (see ``hrsys.people.list_sql.Shape.covering``). PostgreSQL finds its rows fast enough by key.
        sa.Index(
            "ix_person_agency_page",
            "agency_id",
            "id",
            *(name for name in LIST_COLUMNS if name not in ("agency_id", "id")),
        ).ddl_if(dialect="sqlite"),
        # Covers name search inside a small agency subtree without reading the wide rows.
        sa.Index("ix_person_agency_search", "agency_id", "search_text"),
        sa.Index("ix_person_role_id_id", "role_id", "id"),
        sa.Index("ix_person_kind_id", "kind", "id"),
        # Team assembly walks the holders of a skill cheapest first (``hrsys.taskforces.proposals``).
        sa.Index("ix_person_cost_id", "monthly_cost_baht", "id"),
        sa.CheckConstraint(_level_matches_type_sql(), name="level_matches_type"),
        sa.CheckConstraint("kind <> 'civil_servant' OR agency_id IS NOT NULL", name="civil_servant_has_agency"),
        sa.CheckConstraint("citizen_id IS NULL OR length(citizen_id) = 13", name="citizen_id_length"),
        sa.CheckConstraint("monthly_cost_baht IS NULL OR monthly_cost_baht >= 0", name="cost_nonnegative"),
    )
