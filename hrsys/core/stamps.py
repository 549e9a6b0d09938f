"""Version stamps that let per-process caches know when to reload (:mod:`hrsys.core.cache`).

A writer calls :func:`bump_version` in the same transaction as its change; every
worker's cache of that dataset reads the stamp (:func:`read_version`) and reloads
when it has moved, so several workers on one PostgreSQL database stay correct.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy.orm import Mapped, Session, mapped_column

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


def bump_version(session: Session, name: str) -> None:
    """Increase the stamp ``name`` in the caller's transaction, so caches in every worker reload."""
    updated = session.execute(
        sa.update(VersionStamp).where(VersionStamp.name == name).values(version=VersionStamp.version + 1)
    )
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.add(VersionStamp(name=name, version=1))
        session.flush()


def read_version(conn: sa.Connection, name: str) -> int:
    return conn.scalar(sa.select(VersionStamp.version).where(VersionStamp.name == name)) or 0


def read_stamps(conn: sa.Connection, names: Collection[str]) -> tuple[Any, ...]:
    """The (name, version, updated_at) of the stamps ``names``, in name order: the stamp of a cache built from
    the tables those stamps guard (see :class:`hrsys.core.cache.StampedCache`)."""
    rows = conn.execute(
        sa.select(VersionStamp.name, VersionStamp.version, VersionStamp.updated_at)
        .where(VersionStamp.name.in_(names))
        .order_by(VersionStamp.name)
    ).all()
    return tuple(tuple(r) for r in rows)
