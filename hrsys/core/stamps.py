"""Version stamps that let per-process caches know when to reload."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy.orm import Mapped, mapped_column

from hrsys.core.db import Base, utcnow


class VersionStamp(Base):
    """A counter per cached dataset (``agencies``, ``catalog``, ``career_graph`` ...).

    Writers bump it in the same transaction as their change; each worker compares
    it with the version its cache was built from.
    """

    __tablename__ = "version_stamp"

    name: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer, server_default="0", default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTimeUTC(timezone=True), default=utcnow, onupdate=utcnow, server_default=sa.func.now()
    )
