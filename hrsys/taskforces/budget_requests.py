"""What deciding a ``budget_approval`` request does (:mod:`hrsys.requests.kinds`), registered at the import of
the package. :func:`hrsys.requests.service.decide` calls :func:`apply` in the decider's transaction; the money
moves through :func:`hrsys.taskforces.budget.put_budget` with the decider as the user, so today's separation
of duties holds (the requester never approves; the excess needs a second approver) and a refusal rolls the
decision back, leaving the request pending.

- Stage ``request``: approve sets ``approved_baht`` to ``details["amount"]`` (default: the amount requested).
  An amount above the request is approved in two steps as the rules require: the request in full now, and a
  second request (stage ``excess``, asked by this approver, so another HR officer decides it) for the rest.
- Stage ``excess``: approve raises the approval to the payload's amount (or ``details["amount"]``, which must
  stay above the request).
- Reject and return leave the money as it is; the requester is told the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from hrsys.core.errors import Conflict, Invalid, NotFound
from hrsys.requests import kinds
from hrsys.requests.kinds import decision_details
from hrsys.requests.models import Decision, Request, RequestKind
from hrsys.taskforces.budget import ask_excess, put_budget
from hrsys.taskforces.models import TaskForce, TaskForceBudget
from hrsys.taskforces.schemas import BudgetPut

MAX_BAHT = 10**15


def _details(req: Request, details: Mapping[str, Any] | None) -> dict[str, Any]:
    """The decider's details: given to the handler, or kept on the request (``decision_details``)."""
    return dict(details) if details is not None else decision_details(req)


def _amount(details: Mapping[str, Any], default: int) -> int:
    amount = details.get("amount", default)
    if amount is None:
        return default
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= MAX_BAHT:
        raise Invalid.one("details.amount", "must be a whole number of baht, 0 or more")
    return amount


def apply(
    session: Session,
    req: Request,
    decision: Decision,
    decider_user_id: int | None,
    details: Mapping[str, Any] | None = None,
    **extra: Any,
) -> None:
    if decision is not Decision.approve:
        return
    row = session.get(TaskForceBudget, req.subject_id)
    if row is None:
        raise NotFound("budget of fiscal year", req.payload.get("fiscal_year", req.subject_id))
    if row.requested_baht != req.payload.get("requested_baht"):
        raise Conflict(
            f"the amount requested changed to {row.requested_baht:,} baht since this was asked",
            rule="request_stale",
        )
    known = _details(req, details)
    excess = req.payload.get("stage") == "excess"
    amount = _amount(known, int(req.payload.get("amount", row.requested_baht)))
    if excess and amount <= row.requested_baht:
        raise Invalid.one("details.amount", f"an excess approval must be above the {row.requested_baht:,} requested")
    first = amount if excess else min(amount, row.requested_baht)
    if first < row.disbursed_baht:
        raise Invalid.one("details.amount", f"cannot be less than the {row.disbursed_baht:,} baht already disbursed")
    put_budget(
        session,
        row.taskforce_id,
        row.fiscal_year,
        BudgetPut(requested_baht=row.requested_baht, approved_baht=first, disbursed_baht=row.disbursed_baht),
        user_id=decider_user_id,
        via_request=True,
    )
    if not excess and amount > row.requested_baht:
        tf = session.get(TaskForce, row.taskforce_id)
        assert tf is not None
        req.open_key = None  # this request closes with the decision; the excess waits for the same party
        session.flush()
        ask_excess(session, tf, row, amount, first_approver=decider_user_id)


def link(req: Request) -> str:
    taskforce_id = req.payload.get("taskforce_id")
    return f"/lead/taskforces/{taskforce_id}" if taskforce_id else "/inbox"


kinds.register(RequestKind.budget_approval, kinds.KindHandler(apply=apply, link=link, due_days=14))
