"""What every part of the secondments package reads the same way.

Who acts and on which day; one secondment, its latest conflict-of-interest review and
who asked for it (read from its history: the actor of the first move and of the latest
move to ``under_review``, so no column records it twice); the tables, the names and the
agency subtree that the Core queries of lists and reports share.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.agencies.models import Agency
from hrsys.core import clock
from hrsys.core.errors import Invalid
from hrsys.core.lookups import get_or_404
from hrsys.people.models import Person
from hrsys.secondments.lifecycle import SecondmentStatus
from hrsys.secondments.models import ConflictOfInterestReview, KnowledgeTransfer, Secondment, SecondmentTransition
from hrsys.taskforces.models import TaskForce

SEC = Secondment.__table__
PER = Person.__table__
AG = Agency.__table__
TF = TaskForce.__table__
KT = KnowledgeTransfer.__table__
COI = ConflictOfInterestReview.__table__
TR = SecondmentTransition.__table__


@dataclass(frozen=True)
class Actor:
    """Who is acting: the signed-in user (id and label), or a command's name."""

    user_id: int | None = None
    label: str | None = None


SYSTEM = Actor(None, "system")


def bangkok_today() -> dt.date:
    """Today in Thailand (secondment dates are Thai calendar days)."""
    return clock.today()


def get(session: Session, secondment_id: int) -> Secondment:
    return get_or_404(session, Secondment, secondment_id, "secondment")


def latest_review(session: Session, secondment_id: int) -> ConflictOfInterestReview | None:
    return session.scalar(
        sa.select(ConflictOfInterestReview)
        .where(ConflictOfInterestReview.secondment_id == secondment_id)
        .order_by(ConflictOfInterestReview.id.desc())
        .limit(1)
    )


def proposer_user_id(session: Session, secondment_id: int) -> int | None:
    """The user who proposed the secondment (the actor of its first recorded move), if a user did."""
    return session.scalar(
        sa.select(TR.c.actor_user_id)
        .where(TR.c.secondment_id == secondment_id, TR.c.from_status.is_(None))
        .order_by(TR.c.id)
        .limit(1)
    )


def submitter_user_id(session: Session, secondment_id: int) -> int | None:
    """The user who last submitted the secondment for review (its latest move to under_review), if a user did."""
    return session.scalar(
        sa.select(TR.c.actor_user_id)
        .where(TR.c.secondment_id == secondment_id, TR.c.to_status == str(SecondmentStatus.under_review))
        .order_by(TR.c.id.desc())
        .limit(1)
    )


_APP_USER = sa.table("app_user", sa.column("id"), sa.column("person_id"))


def person_of(session: Session, actor: Actor) -> int | None:
    """The person record of the acting user (a user may be a person of the register), if any."""
    if actor.user_id is None:
        return None
    return session.scalar(sa.select(_APP_USER.c.person_id).where(_APP_USER.c.id == actor.user_id))


def person_names(row: Any, prefix: str = "person_") -> dict[str, str]:
    """The Thai and English names of a row with the person's name columns, as ``{prefix}name_th`` and
    ``{prefix}name_en``."""
    return {
        f"{prefix}name_th": f"{row.first_name_th} {row.last_name_th}",
        f"{prefix}name_en": f"{row.first_name_en} {row.last_name_en}",
    }


def subtree(agency_code: str) -> sa.ScalarSelect[Any]:
    """Ids of the agency with ``agency_code`` and everything below it, as a sub-select."""
    root = sa.select(AG.c.path).where(AG.c.code == agency_code).scalar_subquery()
    hi = sa.func.substr(root, 1, sa.func.length(root) - 1) + sa.literal("0")
    return sa.select(AG.c.id).where(AG.c.path >= root, AG.c.path < hi).scalar_subquery()


def require_agency(conn: sa.Connection, code: str | None) -> None:
    if code is not None and conn.scalar(sa.select(AG.c.id).where(AG.c.code == code)) is None:
        raise Invalid.one("agency", f"no agency with code {code}")
