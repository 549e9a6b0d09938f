"""The inbox and the requests API: thin handlers over ``inbox``, ``service`` and ``bulk``."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from hrsys.access.identity import User
from hrsys.access.rules import Access
from hrsys.core.handler_params import Db, Limit, Offset
from hrsys.requests import bulk, inbox, service
from hrsys.requests.models import RequestKind, RequestStatus
from hrsys.requests.schemas import BulkDecisionIn, BulkOut, DecisionIn, Inbox, RequestOut, RequestPage


class RequestController(Controller):
    path = "/api/v1"
    tags = ["Requests and the inbox"]

    @get("/inbox", opt={"access": Access.authenticated}, sync_to_thread=True)
    def read_inbox(
        self,
        db_session: Db,
        current_user: User,
        kind: FromQuery[RequestKind | None] = None,
        agency: Annotated[
            str | None,
            QueryParameter(
                description="An agency code or id of your subtree: its requests and its subtree's", max_length=32
            ),
        ] = None,
        overdue: Annotated[
            bool | None, QueryParameter(description="Only overdue (true) or not yet due (false)")
        ] = None,
        sort: Annotated[
            inbox.Sort,
            QueryParameter(description="urgent: overdue first, then by due date, then asked; oldest: by asking"),
        ] = "urgent",
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Inbox:
        """What waits for you to decide: requests addressed to you, and those your role decides in your scope
        (HR officers: your agency subtree, following escalation; administrators: nationwide). Never your own
        requests nor those about you. ``counts`` gives the matching requests per kind."""
        return inbox.inbox(
            db_session, current_user, kind=kind, agency=agency, overdue=overdue, sort=sort, limit=limit,
            offset=offset,
        )  # fmt: skip

    @get("/requests", opt={"access": Access.authenticated}, sync_to_thread=True)
    def list_requests(
        self,
        db_session: Db,
        current_user: User,
        mine: Annotated[
            bool, QueryParameter(description="true: the requests you asked; false: those you decided")
        ] = True,
        status: FromQuery[RequestStatus | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> RequestPage:
        """What you asked and where it stands (decision, reason, who decided and when), newest first."""
        return inbox.my_requests(db_session, current_user, mine=mine, status=status, limit=limit, offset=offset)

    @get("/requests/{request_id:int}", opt={"access": Access.authenticated}, sync_to_thread=True)
    def read_request(self, db_session: Db, current_user: User, request_id: FromPath[int]) -> RequestOut:
        """One request: for its requester, whoever may decide it, and administrators (404 for anyone else)."""
        service.get_request(db_session, request_id, current_user)
        return inbox.request_out(db_session, request_id)

    @post(
        "/requests/{request_id:int}/decision", opt={"access": Access.authenticated}, sync_to_thread=True,
        status_code=200,
    )  # fmt: skip
    def decide_request(
        self, db_session: Db, current_user: User, request_id: FromPath[int], data: JSONBody[DecisionIn]
    ) -> RequestOut:
        """Approve, reject (with a reason) or return for changes (with a reason). The owning domain applies
        the decision in the same transaction. 409 ``request_decided`` when it is no longer pending, 409
        ``separation_of_duties`` for its requester or the person it is about, 403 outside your scope."""
        service.decide(
            db_session, request_id, data.decision, user=current_user, reason=data.reason, details=data.details,
            version=data.version,
        )  # fmt: skip
        return inbox.request_out(db_session, request_id)

    @post(
        "/requests/{request_id:int}/cancel", opt={"access": Access.authenticated}, sync_to_thread=True,
        status_code=200,
    )  # fmt: skip
    def cancel_request(self, db_session: Db, current_user: User, request_id: FromPath[int]) -> RequestOut:
        """The requester withdraws a pending request (409 ``request_decided`` once decided)."""
        service.cancel(db_session, request_id, current_user)
        return inbox.request_out(db_session, request_id)

    @post("/requests/decisions", opt={"access": Access.authenticated}, sync_to_thread=True, status_code=200)
    def decide_requests(self, db_session: Db, current_user: User, data: JSONBody[BulkDecisionIn]) -> BulkOut:
        """Decide up to 200 requests at once. ``per_item``: each decision stands or fails alone; ``all_or_nothing``:
        the first failure undoes them all (``applied: false``). Each result has the status and problem that
        request alone would have had."""
        return bulk.decide_many(
            db_session, data.ids, data.decision, user=current_user, reason=data.reason, details=data.details,
            mode=data.mode, out=lambda s, req: inbox.request_out(s, req.id),
        )  # fmt: skip
