"""What task forces register with the layers below them (imported by the package, so any use of
task forces brings it): memberships as commitments of a person's time (:mod:`hrsys.allocation.sources`), and
the access rules of task forces and of their members (:mod:`hrsys.access.scope`)."""

from __future__ import annotations

from typing import cast

import sqlalchemy as sa

from hrsys.access.identity import CurrentUser
from hrsys.access.scope import (
    PersonLink,
    Target,
    Visibility,
    agency_in_scope,
    hr_officers,
    register_person_link,
    register_visibility,
    subtree_agency_ids,
    task_force_leads,
)
from hrsys.allocation.sources import CommitmentSource, register_source
from hrsys.people.service import register_history, rows_of
from hrsys.taskforces import reminders
from hrsys.taskforces.models import TaskForce, TaskForceMember
from hrsys.taskforces.states import CONSENTED, HOLDING

m = TaskForceMember
# a pending membership (waiting for consent) holds the time, so nobody else can over-book it meanwhile
register_source(CommitmentSource.of("taskforce_member", 10, m, m.status.in_(HOLDING)))

T = cast(sa.Table, TaskForce.__table__)
M = cast(sa.Table, TaskForceMember.__table__)


def taskforce_visibility(target: Target, user: CurrentUser, taskforce_id: int) -> Visibility:
    """Task forces: full for admins, HR officers of the owning agency's subtree and the lead; limited for
    other signed-in users (mission, needs and KPIs are not personal data); none if it does not exist."""
    row = target.execute(sa.select(T.c.agency_id, T.c.lead_id).where(T.c.id == taskforce_id)).first()
    if row is None:
        return Visibility.none
    if user.is_admin or (user.person_id is not None and row.lead_id == user.person_id):
        return Visibility.full
    if user.is_hr and agency_in_scope(target, user, row.agency_id):
        return Visibility.full
    return Visibility.limited


def _member_in_subtree(target: Target, user: CurrentUser, person_id: int) -> bool:
    """A member of a task force owned by the HR officer's subtree (not while the appointment waits for consent)."""
    member = target.scalar(
        sa.select(M.c.id)
        .select_from(M.join(T, T.c.id == M.c.taskforce_id))
        .where(M.c.person_id == person_id, M.c.status.in_(CONSENTED), T.c.agency_id.in_(subtree_agency_ids(user)))
        .limit(1)
    )
    return member is not None


def led_by(user: CurrentUser) -> sa.Select[tuple[int]]:
    """Ids of the task forces ``user``'s person leads."""
    return sa.select(T.c.id).where(T.c.lead_id == user.person_id)


def _member_of_led(target: Target, user: CurrentUser, person_id: int) -> bool:
    """A member of a task force the reader leads (not while the appointment waits for consent)."""
    member = target.scalar(
        sa.select(M.c.id)
        .where(M.c.person_id == person_id, M.c.status.in_(CONSENTED), M.c.taskforce_id.in_(led_by(user)))
        .limit(1)
    )
    return member is not None


register_visibility("taskforce", taskforce_visibility)
register_person_link(PersonLink(rank=20, grants=hr_officers(Visibility.limited), find=_member_in_subtree))
register_person_link(PersonLink(rank=10, grants=task_force_leads, find=_member_of_led))


register_history("task-force memberships", 2, rows_of(TaskForceMember))  # a member is never deleted
reminders.register()  # KPI actuals due, in the daily reminders (hrsys.notifications.reminders)
