"""What secondments register with the layers below them (imported by the package, so any use of
secondments brings it): booking secondments as commitments of a person's time
(:mod:`hrsys.allocation.sources`), the policy in force for ``settings.secondments.policy()``, its file read
at start (:mod:`hrsys.config`), and the access rules of secondments and of secondees (:mod:`hrsys.access.scope`)."""

from __future__ import annotations

from typing import cast

import sqlalchemy as sa

from hrsys.access import scope
from hrsys.access.identity import CurrentUser
from hrsys.allocation.sources import CommitmentSource, register_source
from hrsys.config import SecondmentSettings, check_at_start, provide
from hrsys.people.service import register_history, rows_of
from hrsys.secondments import reminders
from hrsys.secondments.lifecycle import SecondmentStatus
from hrsys.secondments.models import Secondment
from hrsys.secondments.policy import POLICY_ENV, SecondmentPolicy, load_policy
from hrsys.taskforces.models import TaskForce
from hrsys.taskforces.registrations import led_by

BOOKING_SECONDMENT_STATES = (SecondmentStatus.approved, SecondmentStatus.active, SecondmentStatus.extended)
"""Secondment states that hold a person's time (a proposal does not, until approved)."""

s = Secondment
register_source(CommitmentSource.of("secondment", 20, s, s.status.in_(BOOKING_SECONDMENT_STATES)))


def _policy(section: SecondmentSettings) -> SecondmentPolicy:
    return load_policy(section.policy_file)


provide("secondments.policy", _policy)
check_at_start("secondments.policy", lambda section: POLICY_ENV)  # the file is read now: a bad one stops the start


S = cast(sa.Table, Secondment.__table__)
T = cast(sa.Table, TaskForce.__table__)


def secondment_visibility(target: scope.Target, user: CurrentUser, secondment_id: int) -> scope.Visibility:
    """Secondments: full for admins, HR officers of the host or sending agency's subtree and the lead of the
    host task force; limited for the secondee; none otherwise."""
    row = target.execute(
        sa.select(S.c.person_id, S.c.host_agency_id, S.c.sending_agency_id, T.c.lead_id)
        .select_from(S.outerjoin(T, T.c.id == S.c.taskforce_id))
        .where(S.c.id == secondment_id)
    ).first()
    if row is None:
        return scope.Visibility.none
    if user.is_admin:
        return scope.Visibility.full
    if user.is_hr and (
        scope.agency_in_scope(target, user, row.host_agency_id)
        or scope.agency_in_scope(target, user, row.sending_agency_id)
    ):
        return scope.Visibility.full
    if user.person_id is not None and row.lead_id == user.person_id:
        return scope.Visibility.full
    if user.person_id is not None and row.person_id == user.person_id:
        return scope.Visibility.limited
    return scope.Visibility.none


def secondments_condition(user: CurrentUser) -> sa.ColumnElement[bool] | None:
    """A ``WHERE`` term on ``secondment`` for lists (None: everything)."""
    if user.is_admin:
        return None
    terms: list[sa.ColumnElement[bool]] = []
    if user.is_hr:
        ids = scope.subtree_agency_ids(user)
        terms += [S.c.host_agency_id.in_(ids), S.c.sending_agency_id.in_(ids)]
    if user.person_id is not None:
        terms.append(S.c.person_id == user.person_id)
        terms.append(S.c.taskforce_id.in_(led_by(user)))
    return sa.or_(*terms) if terms else sa.false()


def _hr_officers_of_the_host(user: CurrentUser, external: bool) -> scope.Visibility:
    """A secondment hosted in the HR officer's subtree: the whole record of an external expert, a limited
    view of a civil servant (whose home agency holds the rest)."""
    return scope.hr_officers(scope.Visibility.full if external else scope.Visibility.limited)(user, external)


def _hosted_in_subtree(target: scope.Target, user: CurrentUser, person_id: int) -> bool:
    hosted = target.scalar(
        sa.select(S.c.id)
        .where(S.c.person_id == person_id, S.c.host_agency_id.in_(scope.subtree_agency_ids(user)))
        .limit(1)
    )
    return hosted is not None


def _secondee_of_led(target: scope.Target, user: CurrentUser, person_id: int) -> bool:
    """Seconded into a task force the reader leads."""
    secondee = target.scalar(
        sa.select(S.c.id).where(S.c.person_id == person_id, S.c.taskforce_id.in_(led_by(user))).limit(1)
    )
    return secondee is not None


scope.register_visibility("secondment", secondment_visibility)
scope.register_person_link(scope.PersonLink(rank=10, grants=_hr_officers_of_the_host, find=_hosted_in_subtree))
scope.register_person_link(scope.PersonLink(rank=20, grants=scope.task_force_leads, find=_secondee_of_led))


register_history("secondments", 3, rows_of(Secondment))  # a person seconded is never deleted


reminders.register()  # secondments ending and end reports overdue, in the daily reminders
