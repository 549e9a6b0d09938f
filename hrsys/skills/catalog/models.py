"""The skills catalog: frameworks, scales, groups, skills, expected-level profiles, equivalences, imports."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy.orm import Mapped, mapped_column

from hrsys.core.db import Base, TimestampMixin, utcnow


class Framework(TimestampMixin, Base):
    __tablename__ = "framework"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name_th: Mapped[str] = mapped_column(sa.String(300))
    name_en: Mapped[str] = mapped_column(sa.String(300))
    version: Mapped[str] = mapped_column(sa.String(40))
    source: Mapped[str | None] = mapped_column(sa.Text)
    source_url: Mapped[str | None] = mapped_column(sa.String(500))
    licence: Mapped[str | None] = mapped_column(sa.String(200))
    attribution: Mapped[str | None] = mapped_column(sa.Text)
    description: Mapped[str | None] = mapped_column(sa.Text)
    families: Mapped[list[Any]] = mapped_column(JsonB, default=list)
    """Job families or personnel groups that the framework's profiles belong to: ``[{code, name_th, name_en}]``."""
    retired: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.text("false"), default=False)


class ProficiencyLevel(Base):
    """One step of a framework's ordered proficiency scale."""

    __tablename__ = "proficiency_level"

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(sa.ForeignKey("framework.id", ondelete="CASCADE"))
    level: Mapped[int] = mapped_column(sa.Integer)
    code: Mapped[str] = mapped_column(sa.String(40))
    label_th: Mapped[str] = mapped_column(sa.String(200))
    label_en: Mapped[str] = mapped_column(sa.String(200))
    descriptor: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.UniqueConstraint("framework_id", "level"),
        sa.CheckConstraint("level >= 0 AND level <= 10", name="level_range"),
    )


class SkillGroup(Base):
    __tablename__ = "skill_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(sa.ForeignKey("framework.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(sa.String(80))
    name_th: Mapped[str] = mapped_column(sa.String(300))
    name_en: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str | None] = mapped_column(sa.Text)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("skill_group.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    retired: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.text("false"), default=False)

    __table_args__ = (sa.UniqueConstraint("framework_id", "code"),)


class Skill(TimestampMixin, Base):
    """A skill; ``code`` is unique within its framework. Retired skills stay for history."""

    __tablename__ = "skill"

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(sa.ForeignKey("framework.id", ondelete="RESTRICT"))
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("skill_group.id", ondelete="SET NULL"), index=True)
    code: Mapped[str] = mapped_column(sa.String(120))
    name_th: Mapped[str | None] = mapped_column(sa.String(500))
    name_en: Mapped[str] = mapped_column(sa.String(500))
    description: Mapped[str | None] = mapped_column(sa.Text)
    aliases: Mapped[str | None] = mapped_column(sa.Text)
    """Alternative labels, one per line."""
    retired: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.text("false"), default=False)
    position: Mapped[int] = mapped_column(sa.Integer, server_default="0", default=0)
    """Order of the skill in its framework's files (browse order)."""
    search_text: Mapped[str] = mapped_column(
        sa.Text,
        sa.Computed(
            "lower(code || ' ' || coalesce(name_th, '') || ' ' || name_en || ' ' || coalesce(aliases, ''))",
            persisted=True,
        ),
    )
    """Code, names and aliases, lower-cased; carries the substring (trigram) index of skill search."""

    __table_args__ = (sa.UniqueConstraint("framework_id", "code"),)


class SkillProfile(Base):
    """Expected levels for a target group or a role level, as a framework defines them.

    The Thai standard's target groups (IT / non-IT staff at operational, director
    and executive levels) and the DDaT-shaped role levels (e.g. senior data analyst)
    are both profiles: a named set of (skill, expected level).
    """

    __tablename__ = "skill_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(sa.ForeignKey("framework.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(sa.String(120))
    name_th: Mapped[str] = mapped_column(sa.String(300))
    name_en: Mapped[str] = mapped_column(sa.String(300))
    family: Mapped[str | None] = mapped_column(sa.String(80))
    """Code of one of the framework's ``families`` (job family or personnel group)."""
    role: Mapped[str | None] = mapped_column(sa.String(200))
    role_level: Mapped[str | None] = mapped_column(sa.String(80))
    description: Mapped[str | None] = mapped_column(sa.Text)
    position_levels: Mapped[list[Any]] = mapped_column(JsonB, default=list)
    """Thai position levels (``PositionLevel`` names) this profile applies to, if the framework says so."""
    position: Mapped[int] = mapped_column(sa.Integer, server_default="0", default=0)
    retired: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.text("false"), default=False)

    __table_args__ = (sa.UniqueConstraint("framework_id", "code"),)


class SkillProfileLevel(Base):
    __tablename__ = "skill_profile_level"

    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("skill_profile.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(sa.ForeignKey("skill.id", ondelete="CASCADE"), primary_key=True, index=True)
    level: Mapped[int] = mapped_column(sa.Integer)

    __table_args__ = (sa.CheckConstraint("level >= 1 AND level <= 10", name="level_range"),)


class SkillEquivalence(Base):
    """Two skills of different frameworks that mean the same thing (stored once, low id first)."""

    __tablename__ = "skill_equivalence"

    skill_a_id: Mapped[int] = mapped_column(sa.ForeignKey("skill.id", ondelete="CASCADE"), primary_key=True)
    skill_b_id: Mapped[int] = mapped_column(sa.ForeignKey("skill.id", ondelete="CASCADE"), primary_key=True, index=True)
    declared_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("framework.id", ondelete="CASCADE"), index=True, default=None
    )
    """The framework whose ``equivalences.toml`` declared the pair; its re-import owns the pair."""

    __table_args__ = (sa.CheckConstraint("skill_a_id < skill_b_id", name="ordered_pair"),)


class CatalogImport(Base):
    """A record of one import of a framework version, with what it changed."""

    __tablename__ = "catalog_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(sa.ForeignKey("framework.id", ondelete="CASCADE"), index=True)
    framework_version: Mapped[str] = mapped_column(sa.String(40))
    imported_at: Mapped[dt.datetime] = mapped_column(
        DateTimeUTC(timezone=True), default=utcnow, server_default=sa.func.now()
    )
    source: Mapped[str | None] = mapped_column(sa.String(500))
    summary: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)


# The tables typed as such (``Model.__table__`` is typed as a FromClause), for the modules that write Core
# statements: ``from hrsys.skills.catalog.models import skill_table as S``.
framework_table = cast(sa.Table, Framework.__table__)
level_table = cast(sa.Table, ProficiencyLevel.__table__)
group_table = cast(sa.Table, SkillGroup.__table__)
skill_table = cast(sa.Table, Skill.__table__)
equivalence_table = cast(sa.Table, SkillEquivalence.__table__)
profile_table = cast(sa.Table, SkillProfile.__table__)
profile_level_table = cast(sa.Table, SkillProfileLevel.__table__)
