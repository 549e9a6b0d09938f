"""The money of a task force per Thai fiscal year, under the separation of duties (:func:`put_budget`), and
the ``budget_approval`` requests that carry its approvals to the approvers (see README.md, "Requests").

A user who requests money (changes ``requested_baht``) asks the HR officers of the task force's agency tree
to approve it: a ``budget_approval`` request on the year's row, payload ``{"stage": "request", ...}``. An
approval made on the direct route closes it; a new request cancels it and asks again. What deciding it
does is in :mod:`hrsys.taskforces.budget_requests`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hrsys.access.models import UserRole
from hrsys.core.copying import copied
from hrsys.core.errors import Conflict, Invalid, NotFound
from hrsys.core.fiscal import fiscal_year, fiscal_year_bounds
from hrsys.requests.models import Request, RequestKind, RequestStatus
from hrsys.requests.service import close_open, open_request
from hrsys.taskforces.models import TaskForce, TaskForceBudget
from hrsys.taskforces.schemas import BudgetOut, BudgetPut
from hrsys.taskforces.service import get

FY_MIN, FY_MAX = 2500, 2700
SUBJECT = "taskforce_budget"
"""``subject_type`` of a budget request (the row of one fiscal year)."""


def budget_out(session: Session, taskforce_id: int) -> list[BudgetOut]:
    rows = session.scalars(
        sa.select(TaskForceBudget)
        .where(TaskForceBudget.taskforce_id == taskforce_id)
        .order_by(TaskForceBudget.fiscal_year)
    )
    out = []
    for b in rows:
        lo, hi = fiscal_year_bounds(b.fiscal_year)
        out.append(copied(BudgetOut, b, starts_on=lo, ends_on=hi))
    return out


def _budget_rule(message: str, rule: str, **extra: Any) -> Conflict:
    return Conflict(message, rule=rule, extra=extra or None)


def put_budget(
    session: Session,
    taskforce_id: int,
    year: int,
    data: BudgetPut,
    *,
    user_id: int | None = None,
    via_request: bool = False,
) -> list[BudgetOut]:
    """Set the money of one Thai fiscal year (BE). The year must touch the task force's period (or be the year
    after it ends, when late payments are disbursed).

    Separation of duties, by signed-in user (``user_id``; None for commands, which are not compared):

    - whoever changes ``requested_baht`` becomes the requester, and the requester never approves: a change of
      ``approved_baht`` by them is a 409 ``separation_of_duties``;
    - ``approved_baht`` above the request needs a second approver: one user approves the request in full,
      then a different user (neither the requester nor that approver) raises it above; otherwise a 409
      ``excess_needs_second_approver``. A new request forgets the excess approval, and an approval that the
      request no longer covers is a 409 ``approved_exceeds_requested``;
    - nothing is disbursed for a task force cancelled before it started (409 ``cancelled_no_disbursement``).

    Requests (not ``via_request``, the decision of one): a user's new request that the approval does not yet
    cover asks for its approval (:func:`ask_approval`; the request it replaces is cancelled), and an approval
    set here closes what waited (:func:`approvals_closed`).
    """
    tf = get(session, taskforce_id, lock=True)
    first, last = fiscal_year(tf.starts_on), fiscal_year(tf.ends_on) + 1
    if not FY_MIN <= year <= FY_MAX:
        raise Invalid.one("fiscal_year", f"must be a Buddhist Era year between {FY_MIN} and {FY_MAX}")
    if not first <= year <= last:
        raise Invalid.one(
            "fiscal_year", f"task force {tf.code} runs in fiscal years {first} to {last - 1} (payments until {last})"
        )
    row = session.scalar(
        sa.select(TaskForceBudget).where(TaskForceBudget.taskforce_id == tf.id, TaskForceBudget.fiscal_year == year)
    )
    if row is None:
        row = TaskForceBudget(taskforce_id=tf.id, fiscal_year=year, requested_baht=0, approved_baht=0)
        session.add(row)
    if tf.cancelled and data.disbursed_baht > 0:
        raise _budget_rule(
            f"task force {tf.code} was cancelled before it started: nothing can be disbursed for it",
            "cancelled_no_disbursement",
        )
    requested_by, approved_by, excess_by = (
        row.requested_by_user_id,
        row.approved_by_user_id,
        row.excess_approved_by_user_id,
    )
    if data.requested_baht != row.requested_baht:
        requested_by, excess_by = user_id, None
    if data.approved_baht != row.approved_baht:
        if user_id is not None and user_id == requested_by:
            raise _budget_rule(
                f"you requested the money of fiscal year {year}: someone else must approve it",
                "separation_of_duties",
                requested_by_user_id=requested_by,
            )
        if data.approved_baht <= data.requested_baht:
            approved_by, excess_by = (user_id if data.approved_baht else None), None
        else:
            covered = row.approved_baht >= data.requested_baht and approved_by is not None
            if user_id is not None and (not covered or approved_by == user_id):
                raise _budget_rule(
                    f"approving {data.approved_baht:,} baht against {data.requested_baht:,} requested needs two "
                    "approvers: one approves the request in full, then another approves the excess",
                    "excess_needs_second_approver",
                    requested_baht=data.requested_baht,
                    approved_by_user_id=approved_by if covered else None,
                )
            excess_by = user_id
    if data.approved_baht > data.requested_baht and excess_by is None and user_id is not None:
        raise _budget_rule(
            f"{data.approved_baht:,} baht approved would exceed the {data.requested_baht:,} requested without an "
            "approval of the excess: lower the approval first, or have a second approver approve the excess",
            "approved_exceeds_requested",
            requested_baht=data.requested_baht,
            approved_baht=data.approved_baht,
        )
    request_changed = data.requested_baht != row.requested_baht
    approval_changed = data.approved_baht != row.approved_baht
    row.requested_baht = data.requested_baht
    row.approved_baht = data.approved_baht
    row.disbursed_baht = data.disbursed_baht
    row.requested_by_user_id, row.approved_by_user_id, row.excess_approved_by_user_id = (
        requested_by,
        approved_by,
        excess_by,
    )
    session.flush()
    if not via_request:
        if request_changed:
            approvals_closed(session, row, RequestStatus.cancelled, user_id)
            if user_id is not None and row.approved_baht < row.requested_baht:
                ask_approval(session, tf, row, requester_user_id=user_id)
        elif approval_changed and row.approved_baht > 0:
            approvals_closed(session, row, RequestStatus.approved, user_id)
    return budget_out(session, tf.id)


def _title(tf: TaskForce, row: TaskForceBudget, amount: int, excess: bool) -> str:
    if excess:
        return (
            f"อนุมัติงบประมาณส่วนเกิน {tf.code} ปีงบประมาณ {row.fiscal_year}: {amount:,} บาท / "
            f"Approve the excess, {tf.code} FY {row.fiscal_year}: {amount:,} baht "
            f"(requested {row.requested_baht:,})"
        )
    return (
        f"อนุมัติงบประมาณ {tf.code} ปีงบประมาณ {row.fiscal_year}: {amount:,} บาท / "
        f"Approve the budget, {tf.code} FY {row.fiscal_year}: {amount:,} baht"
    )


def ask_approval(session: Session, tf: TaskForce, row: TaskForceBudget, *, requester_user_id: int | None) -> Request:
    """Ask the HR officers of the task force's agency tree to approve the amount requested."""
    return open_request(
        session,
        kind=RequestKind.budget_approval,
        subject_type=SUBJECT,
        subject_id=row.id,
        title=_title(tf, row, row.requested_baht, excess=False),
        requester_user_id=requester_user_id,
        agency_id=tf.agency_id,
        decider_role=UserRole.hr_officer,
        payload=_payload(tf, row, "request", row.requested_baht),
    )


def ask_excess(
    session: Session, tf: TaskForce, row: TaskForceBudget, amount: int, *, first_approver: int | None
) -> Request:
    """The second approval the rules require for ``amount`` above the request: asked by the first approver
    (who therefore cannot decide it), of the same HR officers."""
    return open_request(
        session,
        kind=RequestKind.budget_approval,
        subject_type=SUBJECT,
        subject_id=row.id,
        title=_title(tf, row, amount, excess=True),
        requester_user_id=first_approver,
        agency_id=tf.agency_id,
        decider_role=UserRole.hr_officer,
        payload=_payload(tf, row, "excess", amount),
    )


def _payload(tf: TaskForce, row: TaskForceBudget, stage: str, amount: int) -> dict[str, Any]:
    return {
        "stage": stage,
        "taskforce_id": tf.id,
        "fiscal_year": row.fiscal_year,
        "requested_baht": row.requested_baht,
        "amount": amount,
    }


def approvals_closed(session: Session, row: TaskForceBudget, status: RequestStatus, user_id: int | None) -> None:
    close_open(
        session,
        kind=RequestKind.budget_approval,
        subject_type=SUBJECT,
        subject_id=row.id,
        status=status,
        by_user_id=user_id,
    )


def delete_budget(session: Session, taskforce_id: int, year: int) -> None:
    tf = get(session, taskforce_id)
    row = session.scalar(
        sa.select(TaskForceBudget).where(TaskForceBudget.taskforce_id == tf.id, TaskForceBudget.fiscal_year == year)
    )
    if row is None:
        raise NotFound("budget of fiscal year", year)
    approvals_closed(session, row, RequestStatus.cancelled, None)
    session.delete(row)
    session.flush()
