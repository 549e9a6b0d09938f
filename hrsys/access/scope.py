"""Object scope: which people, agencies, task forces and secondments a user may see or change.

The route rule (:mod:`hrsys.access.rules`) admits a role; these helpers decide on
the object. Three answers (:class:`Visibility`):

- ``full``: every field, and (with a role that may write) the right to change it;
- ``limited``: the object exists for this user, but sensitive personal fields are
  masked (:mod:`hrsys.access.masking`) and it cannot be changed (403 on writes);
- ``none``: as if it did not exist (404), so nothing leaks about people out of scope.

People (:func:`person_visibility`):

=====================  ===========================================================  ==========
reader                 person                                                       visibility
=====================  ===========================================================  ==========
admin                  anyone                                                       full
anyone with a person   themselves                                                   full
HR officer             home agency in the officer's agency subtree                  full
HR officer             external expert with a secondment hosted in the subtree      full
HR officer             other external experts (the national expert pool)            limited
HR officer             a civil servant seconded into, or in a task force of, the    limited
                       subtree
task-force lead        members and secondees of the task forces they lead           limited
anyone else                                                                         none
=====================  ===========================================================  ==========

Every check is one or two indexed Core queries; the list condition
(:func:`people_condition`) is one extra ``WHERE`` term on the list's own query.
"""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from hrsys.access.identity import CurrentUser
from hrsys.access.models import UserRole
from hrsys.agencies.models import Agency
from hrsys.core.errors import Forbidden, NotFound
from hrsys.people.models import Person, PersonKind
from hrsys.secondments.models import Secondment
from hrsys.taskforces.models import TaskForce, TaskForceMember

P = Person.__table__
A = Agency.__table__
S = Secondment.__table__
T = TaskForce.__table__
M = TaskForceMember.__table__

Target = Session | sa.Connection
Column = sa.ColumnElement[int] | InstrumentedAttribute[int]


class Visibility(enum.IntEnum):
    none = 0
    limited = 1
    full = 2


def subtree_bounds(path: str) -> tuple[str, str]:
    """Range ``[lo, hi)`` of materialised paths inside the subtree at ``path`` (``'/'`` < ``'0'``)."""
    return path, path[:-1] + "0"


def subtree_agency_ids(user: CurrentUser) -> sa.Select[tuple[int]]:
    """Ids of the agencies in an HR officer's subtree (empty for a user without an agency)."""
    if not user.agency_path:
        return sa.select(A.c.id).where(sa.false())
    lo, hi = subtree_bounds(user.agency_path)
    return sa.select(A.c.id).where(A.c.path >= lo, A.c.path < hi)


def agency_condition(user: CurrentUser, agency_id_column: Column) -> sa.ColumnElement[bool] | None:
    """A ``WHERE`` term keeping rows whose agency is in the user's scope; None means no restriction (admin).

    HR officers: their subtree. Other roles hold no agency scope: ``false``.
    """
    if user.is_admin:
        return None
    if user.is_hr:
        return agency_id_column.in_(subtree_agency_ids(user))
    return sa.false()


def people_condition(user: CurrentUser) -> sa.ColumnElement[bool] | None:
    """A ``WHERE`` term on the ``person`` table for lists: the people a user may list. None: everyone.

    HR officers list the people whose home agency is in their subtree; anyone else
    only themselves. (External experts are found through secondments and task forces.)
    """
    if user.is_admin:
        return None
    if user.is_hr:
        return P.c.agency_id.in_(subtree_agency_ids(user))
    if user.person_id is not None:
        return P.c.id == user.person_id
    return sa.false()


def person_id_condition(user: CurrentUser, person_id_column: Column) -> sa.ColumnElement[bool] | None:
    """A ``WHERE`` term for rows that belong to a person (enrolments, plans, assessments ...): the rows of
    people the user may list (:func:`people_condition`). None: no restriction (admin)."""
    cond = people_condition(user)
    if cond is None:
        return None
    return person_id_column.in_(sa.select(P.c.id).where(cond))


def agency_in_scope(target: Target, user: CurrentUser, agency_id: int | None) -> bool:
    """May ``user`` manage things of ``agency_id`` (admins: any; HR officers: their subtree)?"""
    if user.is_admin:
        return True
    if not user.is_hr or agency_id is None or not user.agency_path:
        return False
    path = target.scalar(sa.select(A.c.path).where(A.c.id == agency_id))
    if path is None:
        return False
    lo, hi = subtree_bounds(user.agency_path)
    return lo <= path < hi


def person_visibility(target: Target, user: CurrentUser, person_id: int) -> Visibility:
    """How much of person ``person_id`` ``user`` may see (``none`` also for a person that does not exist)."""
    row = target.execute(
        sa.select(P.c.id, P.c.kind, P.c.agency_id, A.c.path)
        .select_from(P.outerjoin(A, A.c.id == P.c.agency_id))
        .where(P.c.id == person_id)
    ).first()
    if row is None:
        return Visibility.none
    if user.is_admin or (user.person_id is not None and user.person_id == person_id):
        return Visibility.full
    if user.is_hr and user.agency_path:
        lo, hi = subtree_bounds(user.agency_path)
        if row.path is not None and lo <= row.path < hi:
            return Visibility.full
        in_subtree = subtree_agency_ids(user)
        hosted = target.scalar(
            sa.select(S.c.id).where(S.c.person_id == person_id, S.c.host_agency_id.in_(in_subtree)).limit(1)
        )
        if row.kind == PersonKind.external_expert:
            return Visibility.full if hosted is not None else Visibility.limited
        if hosted is not None:
            return Visibility.limited
        member = target.scalar(
            sa.select(M.c.id)
            .select_from(M.join(T, T.c.id == M.c.taskforce_id))
            .where(M.c.person_id == person_id, T.c.agency_id.in_(in_subtree))
            .limit(1)
        )
        return Visibility.limited if member is not None else Visibility.none
    if user.role is UserRole.taskforce_lead and user.person_id is not None:
        led = sa.select(T.c.id).where(T.c.lead_id == user.person_id)
        member = target.scalar(sa.select(M.c.id).where(M.c.person_id == person_id, M.c.taskforce_id.in_(led)).limit(1))
        if member is None:
            member = target.scalar(
                sa.select(S.c.id).where(S.c.person_id == person_id, S.c.taskforce_id.in_(led)).limit(1)
            )
        return Visibility.limited if member is not None else Visibility.none
    return Visibility.none


def require_person(
    target: Target,
    user: CurrentUser,
    person_id: int,
    *,
    write: bool = False,
    need: Visibility = Visibility.limited,
) -> Visibility:
    """Raise unless ``user`` may read (or, with ``write``, change) person ``person_id``; return the visibility.

    Not visible: 404, exactly as for a person that does not exist. Visible but not
    enough (``write`` or ``need=full`` with a limited view): 403. A write needs a full
    view: one's own data (self-assessments, own plans), or an HR officer in scope, or
    an admin; which fields a person may change about themselves is the route's rule
    (``Access.hr`` routes never admit staff at all).
    """
    vis = person_visibility(target, user, person_id)
    if vis is Visibility.none:
        raise NotFound("person", person_id)
    if write:
        need = Visibility.full
    if vis < need:
        raise Forbidden(f"person {person_id} is outside your scope for this")
    return vis


def require_agency(target: Target, user: CurrentUser, agency_id: int | None, *, field: str = "agency") -> None:
    """403 unless ``user`` may manage things of ``agency_id`` (agencies are public: no need to hide them)."""
    if not agency_in_scope(target, user, agency_id):
        from hrsys.core.errors import FieldError

        raise Forbidden(
            f"{field}: outside your agency scope",
            errors=[FieldError(field, "outside your agency scope")],
        )


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


def require_taskforce(target: Target, user: CurrentUser, taskforce_id: int, *, write: bool = False) -> Visibility:
    """404 for an unknown task force; 403 for a write by someone without full scope on it."""
    vis = taskforce_visibility(target, user, taskforce_id)
    if vis is Visibility.none:
        raise NotFound("task force", taskforce_id)
    if write and vis < Visibility.full:
        raise Forbidden(f"task force {taskforce_id} is not yours to change")
    return vis


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


def require_secondment(target: Target, user: CurrentUser, secondment_id: int, *, write: bool = False) -> Visibility:
    vis = secondment_visibility(target, user, secondment_id)
    if vis is Visibility.none:
        raise NotFound("secondment", secondment_id)
    if write and vis < Visibility.full:
        raise Forbidden(f"secondment {secondment_id} is not yours to change")
    return vis


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


def require_agency_code(target: Target, user: CurrentUser, code: str | None, *, field: str = "agency") -> None:
    """403 unless ``user`` may manage things of the agency with ``code``. An unknown code passes (the service
    reports it as a 422 field error); None passes (no agency)."""
    if code is None or user.is_admin:
        return
    agency_id = target.scalar(sa.select(A.c.id).where(A.c.code == code))
    if agency_id is not None:
        require_agency(target, user, agency_id, field=field)
