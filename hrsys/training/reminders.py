"""Reminders of overdue development-plan items (registered with :mod:`hrsys.notifications.reminders`):
an item still to do or in progress, of a plan under way (approved or in progress), whose due date has
passed, to the person's user. Once per item and due date: an item moved to a later date is reminded again
when that one passes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.access.models import User
from hrsys.notifications.bulk import Notice
from hrsys.notifications.reminders import STREAM, register_source
from hrsys.training.models import DevelopmentPlan, DevelopmentPlanItem, PlanItemStatus, PlanStatus

OPEN_ITEMS = (PlanItemStatus.todo, PlanItemStatus.in_progress)
PLANS_UNDER_WAY = (PlanStatus.approved, PlanStatus.in_progress)


def plan_items_overdue(session: Session, today: dt.date) -> Iterator[Notice]:
    i = DevelopmentPlanItem
    stmt = (
        sa.select(i.id, i.plan_id, i.description, i.due_on, User.id.label("user_id"))
        .join(DevelopmentPlan, DevelopmentPlan.id == i.plan_id)
        .join(User, sa.and_(User.person_id == DevelopmentPlan.person_id, User.active.is_(True)))
        .where(
            i.status.in_(OPEN_ITEMS),
            i.due_on < today,  # reminder_rules.overdue
            DevelopmentPlan.status.in_(PLANS_UNDER_WAY),
        )
        .execution_options(yield_per=STREAM)
    )
    for r in session.execute(stmt):
        yield Notice(
            user_ids=(r.user_id,),
            cause_key=f"plan_item_overdue:{r.id}:{r.due_on.isoformat()}",
            kind="reminder_plan_item_overdue",
            params={"item": r.description, "due_on": r.due_on},
            link=f"/me#plan-{r.plan_id}",
        )


def register() -> None:
    register_source("plan_items_overdue", plan_items_overdue)
