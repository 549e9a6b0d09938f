"""Bulk decisions: one call decides many requests, all or nothing, or each on its own.

Each decision is :func:`hrsys.requests.service.decide`, inside a savepoint of the caller's transaction:

- ``per_item``: a savepoint per request; a failing one is rolled back alone and its result carries the
  problem (404, 403, 409, 422) it would have had on its own; the others are kept.
- ``all_or_nothing``: one savepoint around them all; the first failure rolls back every decision of the
  call (the domains' changes and the notifications with them) and stops. The answer is still 200 with
  ``applied: false``: the failing request's problem, and 424 for each other request, undone or not tried.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from hrsys.access.identity import CurrentUser
from hrsys.core.errors import AppError, Problem
from hrsys.requests.models import Decision, Request
from hrsys.requests.schemas import BulkItemResult, BulkOut, RequestOut
from hrsys.requests.service import decide

NOT_APPLIED = 424


def decide_many(
    session: Session,
    ids: list[int],
    decision: Decision,
    *,
    user: CurrentUser,
    reason: str | None,
    details: Mapping[str, Any] | None,
    mode: str,
    out: Callable[[Session, Request], RequestOut],
) -> BulkOut:
    """Decide each of ``ids`` (see the module's docstring); ``out`` renders a decided request."""
    results: list[BulkItemResult] = []
    if mode == "per_item":
        for rid in ids:
            try:
                with session.begin_nested():
                    req = decide(session, rid, decision, user=user, reason=reason, details=details)
                results.append(BulkItemResult(id=rid, status=200, request=out(session, req)))
            except AppError as exc:
                results.append(BulkItemResult(id=rid, status=exc.status, problem=exc.to_problem()))
        failed = sum(1 for r in results if r.status != 200)
        return BulkOut(mode=mode, applied=True, decided=len(ids) - failed, failed=failed, results=results)
    failure: tuple[int, AppError] | None = None
    outer = session.begin_nested()
    for rid in ids:
        try:
            req = decide(session, rid, decision, user=user, reason=reason, details=details)
        except AppError as exc:
            failure = (rid, exc)
            break
        results.append(BulkItemResult(id=rid, status=200, request=out(session, req)))
    if failure is None:
        outer.commit()
        return BulkOut(mode=mode, applied=True, decided=len(ids), failed=0, results=results)
    outer.rollback()
    bad, error = failure
    undone = Problem(
        type="/problems/not-applied",
        title="Not applied",
        status=NOT_APPLIED,
        detail=f"request {bad} could not be decided, so no decision of this call was kept",
    )
    results = [
        BulkItemResult(id=rid, status=error.status, problem=error.to_problem())
        if rid == bad
        else BulkItemResult(id=rid, status=NOT_APPLIED, problem=undone)
        for rid in ids
    ]
    return BulkOut(mode=mode, applied=False, decided=0, failed=len(ids), results=results)
