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

Access imports no domain: the domains declare here what the rules read
(extension points, registered at import of each domain's package):

- :func:`register_agencies`: the agency table (``id``, ``code``, ``path``), for subtrees;
- :func:`register_people`: the person table (``id``, ``agency_id``), its kind column and
  the kind of external experts (the national pool), for the person rule and lists;
- :func:`register_person_link`: a link of a person to the reader's scope and the view it
  grants (a secondment hosted in the subtree, a task force of the subtree, a task force
  the reader leads). Links are tried in rank order and only while they could grant more
  than the reader already has, so the queries are the ones the table above needs and no
  more (the person check measured p95 1.84 ms on PostgreSQL with these rules);
- :func:`register_visibility`: the rule of one kind of object (``taskforce``, ``secondment``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from hrsys.access.identity import CurrentUser
from hrsys.access.models import UserRole
from hrsys.core.errors import FieldError, Forbidden, NotFound

Target = Session | sa.Connection
Column = sa.ColumnElement[int] | InstrumentedAttribute[int]


class Visibility(enum.IntEnum):
    none = 0
    limited = 1
    full = 2


# ---------------------------------------------------------------- extension points


@dataclass(frozen=True)
class People:
    """What the person rule reads of the people domain."""

    table: sa.Table
    """Has ``id`` and ``agency_id`` (the home agency)."""
    kind: sa.ColumnElement[Any]
    external: Any
    """The value of ``kind`` of external experts (visible, limited, to every HR officer)."""


@dataclass(frozen=True)
class PersonLink:
    """A link of a person to a reader's scope, declared by the domain that holds it."""

    rank: int
    grants: Callable[[CurrentUser, bool], Visibility]
    """The view the link gives ``user`` of a person (``True``: an external expert); ``none``: not for this reader.
    No query: it decides whether :attr:`find` needs to run."""
    find: Callable[[Target, CurrentUser, int], bool]
    """Whether the link exists between ``user`` and the person (one indexed query)."""


VisibilityRule = Callable[[Target, CurrentUser, int], Visibility]


class _Rules:
    """The registered declarations (one set per process)."""

    agencies: sa.Table | None = None
    people: People | None = None
    links: tuple[PersonLink, ...] = ()
    visibility: dict[str, VisibilityRule] = {}


_rules = _Rules()


def register_agencies(table: sa.Table) -> None:
    """Declare the agency table: ``id``, ``code`` and the materialised ``path`` (``/1/4/``)."""
    _rules.agencies = table


def register_people(people: People) -> None:
    """Declare the person table for the person rule and the lists."""
    _rules.people = people


def register_person_link(link: PersonLink) -> None:
    """Add a link of a person to a reader's scope (tried in rank order)."""
    _rules.links = tuple(sorted((*_rules.links, link), key=lambda x: x.rank))


def register_visibility(kind: str, rule: VisibilityRule) -> None:
    """Declare how much of one object of ``kind`` (``taskforce``, ``secondment``) a user may see."""
    _rules.visibility[kind] = rule


def hr_officers(view: Visibility) -> Callable[[CurrentUser, bool], Visibility]:
    """``grants`` of a link that shows ``view`` of a person to HR officers (with an agency) only."""
    return lambda user, external: view if user.is_hr and user.agency_path else Visibility.none


def task_force_leads(user: CurrentUser, external: bool) -> Visibility:
    """``grants`` of a link that shows a limited view of a person to task-force leads only."""
    return (
        Visibility.limited if user.role is UserRole.taskforce_lead and user.person_id is not None else Visibility.none
    )


def _missing(what: str) -> LookupError:
    return LookupError(f"no {what} registered with hrsys.access.scope: import the domains (hrsys.models)")


def agency_table() -> sa.Table:
    """The registered agency table."""
    if _rules.agencies is None:
        raise _missing("agency table")
    return _rules.agencies


def people_table() -> People:
    """The registered person table."""
    if _rules.people is None:
        raise _missing("person table")
    return _rules.people


def _visibility(kind: str) -> VisibilityRule:
    try:
        return _rules.visibility[kind]
    except KeyError:
        raise _missing(f"{kind} rule") from None


# ---------------------------------------------------------------- agencies


def subtree_bounds(path: str) -> tuple[str, str]:
    """Range ``[lo, hi)`` of materialised paths inside the subtree at ``path`` (``'/'`` < ``'0'``)."""
    return path, path[:-1] + "0"


def subtree_agency_ids(user: CurrentUser) -> sa.Select[tuple[int]]:
    """Ids of the agencies in an HR officer's subtree (empty for a user without an agency)."""
    A = agency_table()
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


def agency_in_scope(target: Target, user: CurrentUser, agency_id: int | None) -> bool:
    """May ``user`` manage things of ``agency_id`` (admins: any; HR officers: their subtree)?"""
    if user.is_admin:
        return True
    if not user.is_hr or agency_id is None or not user.agency_path:
        return False
    A = agency_table()
    path = target.scalar(sa.select(A.c.path).where(A.c.id == agency_id))
    if path is None:
        return False
    lo, hi = subtree_bounds(user.agency_path)
    return lo <= path < hi


def require_agency(target: Target, user: CurrentUser, agency_id: int | None, *, field: str = "agency") -> None:
    """403 unless ``user`` may manage things of ``agency_id`` (agencies are public: no need to hide them)."""
    if not agency_in_scope(target, user, agency_id):
        raise Forbidden(
            f"{field}: outside your agency scope",
            errors=[FieldError(field, "outside your agency scope")],
        )


def require_agency_code(target: Target, user: CurrentUser, code: str | None, *, field: str = "agency") -> None:
    """403 unless ``user`` may manage things of the agency with ``code``. An unknown code passes (the service
    reports it as a 422 field error); None passes (no agency)."""
    if code is None or user.is_admin:
        return
    A = agency_table()
    agency_id = target.scalar(sa.select(A.c.id).where(A.c.code == code))
    if agency_id is not None:
        require_agency(target, user, agency_id, field=field)


# ---------------------------------------------------------------- people


def people_condition(user: CurrentUser) -> sa.ColumnElement[bool] | None:
    """A ``WHERE`` term on the ``person`` table for lists: the people a user may list. None: everyone.

    HR officers list the people whose home agency is in their subtree; anyone else
    only themselves. (External experts are found through secondments and task forces.)
    """
    if user.is_admin:
        return None
    P = people_table().table
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
    return person_id_column.in_(sa.select(people_table().table.c.id).where(cond))


def person_visibility(target: Target, user: CurrentUser, person_id: int) -> Visibility:
    """How much of person ``person_id`` ``user`` may see (``none`` also for a person that does not exist)."""
    people, A = people_table(), agency_table()
    P = people.table
    row = target.execute(
        sa.select(P.c.id, people.kind, P.c.agency_id, A.c.path)
        .select_from(P.outerjoin(A, A.c.id == P.c.agency_id))
        .where(P.c.id == person_id)
    ).first()
    if row is None:
        return Visibility.none
    if user.is_admin or (user.person_id is not None and user.person_id == person_id):
        return Visibility.full
    external = row[1] == people.external
    if user.is_hr and user.agency_path:
        lo, hi = subtree_bounds(user.agency_path)
        if row.path is not None and lo <= row.path < hi:
            return Visibility.full
        best = Visibility.limited if external else Visibility.none  # the national expert pool
    elif user.role is UserRole.taskforce_lead and user.person_id is not None:
        best = Visibility.none
    else:
        return Visibility.none
    for link in _rules.links:
        grant = link.grants(user, external)
        if grant > best and link.find(target, user, person_id):
            best = grant
    return best


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


# ---------------------------------------------------------------- task forces and secondments


def taskforce_visibility(target: Target, user: CurrentUser, taskforce_id: int) -> Visibility:
    """How much of task force ``taskforce_id`` ``user`` may see (the rule task forces register)."""
    return _visibility("taskforce")(target, user, taskforce_id)


def _require(vis: Visibility, what: str, key: int, write: bool) -> Visibility:
    """404 for what ``user`` cannot see at all (unknown or not, alike); 403 for a write without full scope."""
    if vis is Visibility.none:
        raise NotFound(what, key)
    if write and vis < Visibility.full:
        raise Forbidden(f"{what} {key} is not yours to change")
    return vis


def require_taskforce(target: Target, user: CurrentUser, taskforce_id: int, *, write: bool = False) -> Visibility:
    """404 for an unknown task force; 403 for a write by someone without full scope on it."""
    return _require(taskforce_visibility(target, user, taskforce_id), "task force", taskforce_id, write)


def secondment_visibility(target: Target, user: CurrentUser, secondment_id: int) -> Visibility:
    """How much of secondment ``secondment_id`` ``user`` may see (the rule secondments register)."""
    return _visibility("secondment")(target, user, secondment_id)


def require_secondment(target: Target, user: CurrentUser, secondment_id: int, *, write: bool = False) -> Visibility:
    return _require(secondment_visibility(target, user, secondment_id), "secondment", secondment_id, write)
