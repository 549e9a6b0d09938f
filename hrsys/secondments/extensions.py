"""What secondments register with the layers below them (imported by the package, so any use of
secondments brings it): booking secondments as commitments of a person's time
(:mod:`hrsys.allocation.sources`), the policy in force for ``settings.secondments.policy()``, its file read
at start (:mod:`hrsys.config`), and the access rules of secondments and of secondees (:mod:`hrsys.access.scope`)."""

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
from hrsys.config import SecondmentSettings, Settings, check_at_start, provide
from hrsys.secondments.lifecycle import SecondmentStatus
from hrsys.secondments.models import Secondment
from hrsys.secondments.policy import POLICY_ENV, SecondmentPolicy, load_policy
from hrsys.taskforces.models import TaskForce

BOOKING_SECONDMENT_STATES = (SecondmentStatus.approved, SecondmentStatus.active, SecondmentStatus.extended)
"""Secondment states that hold a person's time (a proposal does not, until approved)."""

s = Secondment
register_source(
    CommitmentSource(
        name="secondment",
        rank=20,
        id=s.id,
        person_id=s.person_id,
        starts_on=s.starts_on,
        ends_on=s.ends_on,
        allocation=s.allocation,
        holds_time=s.status.in_(BOOKING_SECONDMENT_STATES),
    )
)


def _policy(section: SecondmentSettings) -> SecondmentPolicy:
    return load_policy(section.policy_file)


def _read_policy_file(settings: Settings) -> None:
    try:
        _policy(settings.secondments)
    except ValueError as exc:
        raise ValueError(f"{POLICY_ENV}: {exc}") from None


provide("secondments.policy", _policy)
check_at_start("secondments", _read_policy_file)


S = cast(sa.Table, Secondment.__table__)
T = cast(sa.Table, TaskForce.__table__)


def secondment_visibility(target: Target, user: CurrentUser, secondment_id: int) -> Visibility:
    """Secondments: full for admins, HR officers of the host or sending agency's subtree and the lead of the
    host task force; limited for the secondee; none otherwise."""
    row = target.execute(
        sa.select(S.c.person_id, S.c.host_agency_id, S.c.sending_agency_id, T.c.lead_id)
        .select_from(S.outerjoin(T, T.c.id == S.c.taskforce_id))
        .where(S.c.id == secondment_id)
    ).first()
    if row is None:
        return Visibility.none
    if user.is_admin:
        return Visibility.full
    if user.is_hr and (
        agency_in_scope(target, user, row.host_agency_id) or agency_in_scope(target, user, row.sending_agency_id)
    ):
        return Visibility.full
    if user.person_id is not None and row.lead_id == user.person_id:
        return Visibility.full
    if user.person_id is not None and row.person_id == user.person_id:
        return Visibility.limited
    return Visibility.none


def secondments_condition(user: CurrentUser) -> sa.ColumnElement[bool] | None:
    """A ``WHERE`` term on ``secondment`` for lists (None: everything)."""
    if user.is_admin:
        return None
    terms: list[sa.ColumnElement[bool]] = []
    if user.is_hr:
        ids = subtree_agency_ids(user)
        terms += [S.c.host_agency_id.in_(ids), S.c.sending_agency_id.in_(ids)]
    if user.person_id is not None:
        terms.append(S.c.person_id == user.person_id)
        terms.append(S.c.taskforce_id.in_(sa.select(T.c.id).where(T.c.lead_id == user.person_id)))
    return sa.or_(*terms) if terms else sa.false()


def _hr_sees_secondees(user: CurrentUser, external: bool) -> Visibility:
    """A secondment hosted in the HR officer's subtree: the whole record of an external expert, a limited
    view of a civil servant (whose home agency holds the rest)."""
    if not (user.is_hr and user.agency_path):
        return Visibility.none
    return Visibility.full if external else Visibility.limited


def _hosted_in_subtree(target: Target, user: CurrentUser, person_id: int) -> bool:
    hosted = target.scalar(
        sa.select(S.c.id).where(S.c.person_id == person_id, S.c.host_agency_id.in_(subtree_agency_ids(user))).limit(1)
    )
    return hosted is not None


def _lead_sees_secondees(user: CurrentUser, external: bool) -> Visibility:
    return (
        Visibility.limited if user.role is UserRole.taskforce_lead and user.person_id is not None else Visibility.none
    )


def _secondee_of_led(target: Target, user: CurrentUser, person_id: int) -> bool:
    """Seconded into a task force the reader leads."""
    led = sa.select(T.c.id).where(T.c.lead_id == user.person_id)
    return (
        target.scalar(sa.select(S.c.id).where(S.c.person_id == person_id, S.c.taskforce_id.in_(led)).limit(1))
        is not None
    )


register_visibility("secondment", secondment_visibility)
register_person_link(PersonLink(rank=10, grants=_hr_sees_secondees, find=_hosted_in_subtree))
register_person_link(PersonLink(rank=20, grants=_lead_sees_secondees, find=_secondee_of_led))
