"""Agencies: a tree of ministries, departments, provincial offices, local government and public bodies."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hrsys.core.db import Base, TimestampMixin, enum_column


class AgencyKind(enum.StrEnum):
    ministry = "ministry"
    department = "department"
    provincial_office = "provincial_office"
    local_government = "local_government"
    public_organisation = "public_organisation"
    other = "other"


class Agency(TimestampMixin, Base):
    """One node of the agency tree.

    ``path`` is a materialised path of ids (``/1/7/42/``) so a subtree is one
    prefix match; the service keeps it right when an agency moves.
    """

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name_th: Mapped[str] = mapped_column(sa.String(300))
    name_en: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[AgencyKind] = mapped_column(enum_column(AgencyKind))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id", ondelete="RESTRICT"), index=True)
    path: Mapped[str] = mapped_column(sa.String(500), index=True)
    depth: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    province: Mapped[str | None] = mapped_column(sa.String(100))
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1", nullable=False)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint("depth >= 0", name="depth_nonnegative"),
        sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )
