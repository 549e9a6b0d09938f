"""Training's answers to the careers package's extension points (:mod:`hrsys.careers.extensions`), and its
request kinds (:mod:`hrsys.requests.kinds`, see :mod:`hrsys.training.decisions`).

Registered when the training package is imported (``hrsys/training/__init__.py``).
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.careers import extensions
from hrsys.people.service import register_history, rows_of
from hrsys.training import decisions, reminders
from hrsys.training.catalog import course_catalog
from hrsys.training.models import DevelopmentPlan, Enrolment


def teachable(engine: Engine) -> Mapping[int, int]:
    """The highest level a plannable course teaches of each skill (the cached course catalog's)."""
    return course_catalog(engine).teachable


def plans_targeting(session: Session, role_id: int) -> int:
    """Development plans (of any status) that aim at the role."""
    return session.scalar(sa.select(sa.func.count()).where(DevelopmentPlan.target_role_id == role_id)) or 0


def register() -> None:
    extensions.register_teachable(teachable)
    extensions.register_role_targets(plans_targeting)
    register_history("enrolments", 4, rows_of(Enrolment))  # a person enrolled is never deleted
    decisions.register()  # what deciding a development plan, completion or enrolment request does
    reminders.register()  # overdue plan items, in the daily reminders (hrsys.notifications.reminders)
