"""The inbox (what waits for me to decide) and the requests I asked: Core reads, two queries a page.

Which pending requests a caller may decide, as one ``WHERE`` term (:func:`decidable`), the same rule as
:func:`hrsys.requests.service.may_decide`:

- addressed to the caller by name (``decider_user_id``), whatever the role;
- decided by the caller's role: administrators every one nationwide; HR officers those whose deciding agency
  lies in their subtree. The deciding agency is the request's agency moved up ``escalation_level`` levels;
  it is in the subtree at ``P`` (depth ``d``) exactly when the request's agency is in that subtree and at a
  depth of at least ``d + escalation_level``, so the term is a range on the agency's path and a comparison,
  with no walk up the tree;
- never the caller's own requests, nor those about the caller.

"Urgent" order is the due date, then the asking: a request is overdue exactly when its due date is before
today, so ordering by the due date puts the overdue ones first, oldest due first, and one index
(``status, due_on``) serves it. Counts per kind are one grouped query over the same terms without the kind.
"""

from __future__ import annotations

from typing import Any, Literal, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from hrsys.access import scope
from hrsys.access.identity import CurrentUser
from hrsys.access.models import User, UserRole
from hrsys.agencies.models import Agency
from hrsys.core import clock
from hrsys.core.errors import FieldError, Forbidden, check
from hrsys.core.pagination import page_errors
from hrsys.requests.models import Request, RequestKind, RequestStatus
from hrsys.requests.schemas import AgencyRef, Inbox, InboxItem, RequestOut, RequestPage
from hrsys.requests.service import link

Sort = Literal["urgent", "oldest"]

Requester = aliased(User, name="requester")
Decider = aliased(User, name="decided_by")


def decidable(user: CurrentUser) -> sa.ColumnElement[bool]:
    """The pending requests ``user`` may decide (the request's agency joined as :class:`Agency`)."""
    named = Request.decider_user_id == user.id
    if user.is_admin:
        by_role: sa.ColumnElement[bool] = Request.decider_role.is_not(None)
    elif user.is_hr and user.agency_path:
        lo, hi = scope.subtree_bounds(user.agency_path)
        depth = user.agency_path.count("/") - 2
        by_role = sa.and_(
            Request.decider_role == UserRole.hr_officer,
            sa.or_(
                Request.agency_id.is_(None),
                sa.and_(Agency.path >= lo, Agency.path < hi, Agency.depth - Request.escalation_level >= depth),
            ),
        )
    elif user.is_hr:
        by_role = sa.false()
    else:
        by_role = Request.decider_role == user.role
    terms = [Request.status == RequestStatus.pending, sa.or_(named, by_role)]
    terms.append(sa.or_(Request.requester_user_id.is_(None), Request.requester_user_id != user.id))
    if user.person_id is not None:
        terms.append(sa.or_(Request.person_id.is_(None), Request.person_id != user.person_id))
    return sa.and_(*terms)


def _agency_filter(session: Session | sa.Connection, user: CurrentUser, agency: str) -> sa.ColumnElement[bool]:
    """Requests of the agency named by code or id, and of its subtree; 422 unknown, 403 outside the caller's."""
    by_id = agency.isascii() and agency.isdigit() and len(agency) < 10
    row = session.execute(
        sa.select(Agency.id, Agency.path).where(Agency.id == int(agency) if by_id else Agency.code == agency)
    ).first()
    if row is None:
        check([FieldError("agency", f"no agency {agency}")])
        raise AssertionError  # pragma: no cover - check raised
    if user.is_hr and not (user.agency_path and row.path.startswith(user.agency_path)):
        raise Forbidden("agency: outside your agency subtree", errors=[FieldError("agency", "outside your subtree")])
    lo, hi = scope.subtree_bounds(row.path)
    return sa.and_(Agency.path >= lo, Agency.path < hi)


def inbox(
    session: Session | sa.Connection,
    user: CurrentUser,
    *,
    kind: RequestKind | None = None,
    agency: str | None = None,
    overdue: bool | None = None,
    sort: Sort = "urgent",
    limit: int = 50,
    offset: int = 0,
) -> Inbox:
    """A page of what waits for ``user`` to decide, with the total and the counts per kind."""
    check(page_errors(limit, offset))
    today = clock.today()
    terms = [decidable(user)]
    if agency is not None:
        terms.append(_agency_filter(session, user, agency))
    if overdue is not None:
        terms.append(Request.due_on < today if overdue else sa.or_(Request.due_on.is_(None), Request.due_on >= today))
    counted = (
        sa.select(Request.kind, sa.func.count())
        .select_from(Request)
        .outerjoin(Agency, Agency.id == Request.agency_id)
        .where(*terms)
        .group_by(Request.kind)
    )
    counts = {str(k): n for k, n in session.execute(counted)}
    if kind is not None:
        terms.append(Request.kind == kind)
    order = [Request.due_on, Request.asked_at, Request.id] if sort == "urgent" else [Request.asked_at, Request.id]
    q = (
        sa.select(
            Request.id,
            Request.kind,
            Request.title,
            Requester.username,
            Request.person_id,
            Agency.code,
            Agency.name_th,
            Agency.name_en,
            Request.asked_at,
            Request.due_on,
            Request.escalation_level,
            Request.subject_type,
            Request.subject_id,
            Request.payload,
            Request.version,
        )
        .select_from(Request)
        .outerjoin(Agency, Agency.id == Request.agency_id)
        .outerjoin(Requester, Requester.id == Request.requester_user_id)
        .where(*terms)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    items = [
        InboxItem(
            id=r.id,
            kind=RequestKind(r.kind),
            title=r.title,
            requester=r.username,
            person_id=r.person_id,
            agency=AgencyRef(code=r.code, name_th=r.name_th, name_en=r.name_en) if r.code else None,
            asked_at=r.asked_at,
            due_on=r.due_on,
            overdue=r.due_on is not None and r.due_on < today,
            escalation_level=r.escalation_level,
            link=_link(r),
            version=r.version,
        )
        for r in session.execute(q)
    ]
    total = counts.get(str(kind), 0) if kind is not None else sum(counts.values())
    return Inbox(items=items, total=total, total_exact=True, limit=limit, offset=offset, counts=counts)


class _Row:
    """What a kind's ``link`` reads of a request (id, kind, subject, payload, person), from a row: building an
    ORM ``Request`` per item cost more than both queries of an inbox page."""

    __slots__ = ("id", "kind", "payload", "person_id", "subject_id", "subject_type")

    def __init__(self, row: Any) -> None:
        self.id, self.kind, self.person_id = row.id, RequestKind(row.kind), row.person_id
        self.subject_type, self.subject_id, self.payload = row.subject_type, row.subject_id, row.payload or {}


def _link(row: Any) -> str:
    """The kind's link from the row's columns."""
    return link(cast(Request, _Row(row)))


def _request_select() -> sa.Select[Any]:
    return (
        sa.select(
            Request.id,
            Request.kind,
            Request.title,
            Request.status,
            Requester.username.label("requester"),
            Request.person_id,
            Agency.code,
            Agency.name_th,
            Agency.name_en,
            Request.asked_at,
            Request.due_on,
            Request.escalation_level,
            Request.decision,
            Request.reason,
            Decider.username.label("decided_by"),
            Request.decided_at,
            Request.payload,
            Request.subject_type,
            Request.subject_id,
            Request.version,
        )
        .select_from(Request)
        .outerjoin(Agency, Agency.id == Request.agency_id)
        .outerjoin(Requester, Requester.id == Request.requester_user_id)
        .outerjoin(Decider, Decider.id == Request.decided_by_user_id)
    )


def _out(r: Any) -> RequestOut:
    status = RequestStatus(r.status)
    today = clock.today()
    details = (r.payload or {}).get("decision")
    return RequestOut(
        id=r.id, kind=RequestKind(r.kind), title=r.title, status=status, requester=r.requester,
        person_id=r.person_id,
        agency=AgencyRef(code=r.code, name_th=r.name_th, name_en=r.name_en) if r.code else None,
        asked_at=r.asked_at, due_on=r.due_on,
        overdue=status is RequestStatus.pending and r.due_on is not None and r.due_on < today,
        escalation_level=r.escalation_level, decision=r.decision, reason=r.reason, decided_by=r.decided_by,
        decided_at=r.decided_at, details=details if isinstance(details, dict) else None, link=_link(r),
        version=r.version,
    )  # fmt: skip


def request_out(session: Session, request_id: int) -> RequestOut:
    """One request as the API shows it (after a flush: it reads the row as the transaction sees it)."""
    session.flush()
    return _out(session.execute(_request_select().where(Request.id == request_id)).one())


def my_requests(
    session: Session | sa.Connection,
    user: CurrentUser,
    *,
    mine: bool = True,
    status: RequestStatus | None = None,
    limit: int = 50,
    offset: int = 0,
) -> RequestPage:
    """What ``user`` asked (``mine``), or what they decided (``mine=false``), newest first."""
    check(page_errors(limit, offset))
    who = Request.requester_user_id if mine else Request.decided_by_user_id
    terms = [who == user.id]
    if status is not None:
        terms.append(Request.status == status)
    total = session.scalar(sa.select(sa.func.count()).select_from(Request).where(*terms)) or 0
    q = _request_select().where(*terms).order_by(Request.asked_at.desc(), Request.id.desc()).limit(limit)
    items = [_out(r) for r in session.execute(q.offset(offset))]
    return RequestPage(items=items, total=total, total_exact=True, limit=limit, offset=offset)
