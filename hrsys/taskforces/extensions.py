"""What task forces register with the layers below them (imported by the package, so any use of
task forces brings it): memberships as commitments of a person's time (:mod:`hrsys.allocation.sources`), and
the access rules of task forces and of their members (:mod:`hrsys.access.scope`)."""

from __future__ import annotations

from typing import cast

import sqlalchemy as sa

from hrsys.access.identity import CurrentUser
from hrsys.access.models import UserRole
from hrsys.access.scope import (
    PersonLink,
    Target,
    Visibility,
    agency_in_scope,
    register_person_link,
    register_visibility,
    subtree_agency_ids,
)
from hrsys.allocation.sources import CommitmentSource, register_source
from hrsys.taskforces.models import TaskForce, TaskForceMember
from hrsys.taskforces.states import MemberStatus

m = TaskForceMember
register_source(
    CommitmentSource(
        name="taskforce_member",
        rank=10,
        id=m.id,
        person_id=m.person_id,
        starts_on=m.starts_on,
        ends_on=m.ends_on,
        allocation=m.allocation,
        holds_time=m.status == MemberStatus.active,
    )
)

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


def _hr_sees_members(user: CurrentUser, external: bool) -> Visibility:
    return Visibility.limited if user.is_hr and user.agency_path else Visibility.none


def _member_in_subtree(target: Target, user: CurrentUser, person_id: int) -> bool:
    """A member of a task force owned by the HR officer's subtree."""
    member = target.scalar(
        sa.select(M.c.id)
        .select_from(M.join(T, T.c.id == M.c.taskforce_id))
        .where(M.c.person_id == person_id, T.c.agency_id.in_(subtree_agency_ids(user)))
        .limit(1)
    )
    return member is not None


def _lead_sees_members(user: CurrentUser, external: bool) -> Visibility:
    return (
        Visibility.limited if user.role is UserRole.taskforce_lead and user.person_id is not None else Visibility.none
    )


def _member_of_led(target: Target, user: CurrentUser, person_id: int) -> bool:
    """A member of a task force the reader leads."""
    led = sa.select(T.c.id).where(T.c.lead_id == user.person_id)
    return (
        target.scalar(sa.select(M.c.id).where(M.c.person_id == person_id, M.c.taskforce_id.in_(led)).limit(1))
        is not None
    )


register_visibility("taskforce", taskforce_visibility)
register_person_link(PersonLink(rank=20, grants=_hr_sees_members, find=_member_in_subtree))
register_person_link(PersonLink(rank=10, grants=_lead_sees_members, find=_member_of_led))
