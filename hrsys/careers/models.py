"""Roles, their skill requirements, and transitions forming the career-path graph."""

from __future__ import annotations

import enum
from typing import Any

import sqlalchemy as sa
from advanced_alchemy.types import JsonB
from sqlalchemy.orm import Mapped, mapped_column

from hrsys.core.db import Base, TimestampMixin, enum_column


class Track(enum.StrEnum):
    data = "data"
    digital_service = "digital_service"
    digital_technology = "digital_technology"
    cyber_security = "cyber_security"
    digital_leadership = "digital_leadership"
    product_delivery = "product_delivery"
    architecture = "architecture"
    user_centred_design = "user_centred_design"
    it_operations = "it_operations"
    software_development = "software_development"
    general = "general"
    """Non-digital roles that people start from."""


class TransitionKind(enum.StrEnum):
    promotion = "promotion"
    lateral = "lateral"
    specialisation = "specialisation"


class Role(TimestampMixin, Base):
    __tablename__ = "role"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(60), unique=True)
    title_th: Mapped[str] = mapped_column(sa.String(300))
    title_en: Mapped[str] = mapped_column(sa.String(300))
    track: Mapped[Track] = mapped_column(enum_column(Track), index=True)
    level: Mapped[int] = mapped_column(sa.Integer)
    description: Mapped[str | None] = mapped_column(sa.Text)
    position_levels: Mapped[list[Any]] = mapped_column(JsonB, default=list)
    """Position levels (``PositionLevel`` names) of the Thai classification that fit this role."""
    critical: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.text("false"), default=False)
    retired: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.text("false"), default=False)
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1", nullable=False)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (sa.CheckConstraint("level >= 1 AND level <= 12", name="level_range"),)


class RoleRequirement(Base):
    __tablename__ = "role_requirement"

    id: Mapped[int] = mapped_column(primary_key=True)
    role_id: Mapped[int] = mapped_column(sa.ForeignKey("role.id", ondelete="CASCADE"))
    skill_id: Mapped[int] = mapped_column(sa.ForeignKey("skill.id", ondelete="RESTRICT"), index=True)
    level: Mapped[int] = mapped_column(sa.Integer)
    essential: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.text("true"), default=True)
    weight: Mapped[float] = mapped_column(sa.Float, server_default="1", default=1.0)

    __table_args__ = (
        sa.UniqueConstraint("role_id", "skill_id"),
        sa.CheckConstraint("level >= 1 AND level <= 10", name="level_range"),
        sa.CheckConstraint("weight > 0", name="weight_positive"),
    )


class RoleTransition(Base):
    """A move from one role to another: one edge of the career-path graph."""

    __tablename__ = "role_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_role_id: Mapped[int] = mapped_column(sa.ForeignKey("role.id", ondelete="CASCADE"))
    to_role_id: Mapped[int] = mapped_column(sa.ForeignKey("role.id", ondelete="CASCADE"), index=True)
    kind: Mapped[TransitionKind] = mapped_column(enum_column(TransitionKind))
    min_years: Mapped[float] = mapped_column(sa.Float, server_default="0", default=0.0)

    __table_args__ = (
        sa.UniqueConstraint("from_role_id", "to_role_id"),
        sa.CheckConstraint("from_role_id <> to_role_id", name="no_self_loop"),
        sa.CheckConstraint("min_years >= 0", name="min_years_nonnegative"),
    )
