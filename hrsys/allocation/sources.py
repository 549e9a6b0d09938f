"""Extension point: the kinds of rows that hold a person's time.

Allocation knows no domain. Each domain whose rows book a person (task-force
memberships, secondments) declares them here once, at import of its models, with
:func:`register_source`: the columns of the period and the percentage, and the
condition under which a row holds time (an active membership; an approved, active
or extended secondment). :mod:`hrsys.allocation.service` builds the same one
indexed query per source from these declarations that it used to write by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

Column = Any
"""A mapped column (``InstrumentedAttribute``) or a table column."""


@dataclass(frozen=True)
class CommitmentSource:
    """One kind of row that books a person's time."""

    name: str
    """Prefix of :attr:`Commitment.source` (``taskforce_member:12``) and the key of ``exclude``."""
    rank: int
    """Sources are read in rank order, so that a refusal lists its commitments in a stable order."""
    id: Column
    person_id: Column
    starts_on: Column
    ends_on: Column
    allocation: Column
    holds_time: sa.ColumnElement[bool]
    """The condition under which a row holds time (a proposed secondment does not, until approved)."""

    @classmethod
    def of(cls, name: str, rank: int, model: Any, holds_time: sa.ColumnElement[bool]) -> CommitmentSource:
        """The source of a mapped class with the columns ``id, person_id, starts_on, ends_on, allocation``."""
        return cls(name, rank, model.id, model.person_id, model.starts_on, model.ends_on, model.allocation, holds_time)


SOURCES: dict[str, CommitmentSource] = {}
"""Every registered source by name; read through :func:`sources`."""


def register_source(source: CommitmentSource) -> None:
    """Declare a kind of commitment (once per process; a second declaration of a name replaces the first)."""
    SOURCES[source.name] = source


def sources() -> list[CommitmentSource]:
    """The registered sources, in rank order."""
    return sorted(SOURCES.values(), key=lambda s: s.rank)
