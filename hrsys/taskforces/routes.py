"""Task-force API: thin handlers over the commands (:mod:`~hrsys.taskforces.service`, ``needs``, ``members``,
``monitoring``), the reads (``reads``, ``reporting``) and :mod:`~hrsys.taskforces.proposals`."""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Callable
from typing import Annotated, Any, Protocol, TypeVar

from litestar import Controller, Response, delete, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.orm import Session

from hrsys.access import audit
from hrsys.access.guard import taskforce_guard
from hrsys.access.identity import User
from hrsys.access.rules import Access
from hrsys.access.scope import Visibility, require_agency_code, taskforce_visibility
from hrsys.core.copying import copied
from hrsys.core.handler_params import Db, DbEngine, Limit, Offset
from hrsys.core.pagination import Page
from hrsys.taskforces import export, members, monitoring, needs, proposals, reads, reporting, service
from hrsys.taskforces.report import Report
from hrsys.taskforces.schemas import (
    ActualCreate,
    ActualOut,
    BudgetOut,
    BudgetPut,
    KpiCreate,
    KpiOut,
    KpiUpdate,
    MemberCreate,
    MemberOut,
    MemberUpdate,
    NeedCreate,
    NeedOut,
    NeedUpdate,
    ProposalListItem,
    ProposalOut,
    ProposalRequest,
    StatusChange,
    TaskForceCreate,
    TaskForceListItem,
    TaskForceOut,
    TaskForceUpdate,
)
from hrsys.taskforces.states import TaskForceStatus


class ReportFormat(enum.StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ONE: dict[str, Any] = {"guards": [taskforce_guard()], "sync_to_thread": True}
"""Routes on one task force: 404 if unknown, and (for writes) only its lead, HR officers in scope, admins."""
WRITE: dict[str, Any] = {"opt": {"access": Access.lead}, **ONE}
LEAD_READ: dict[str, Any] = {
    "opt": {"access": Access.lead},
    "guards": [taskforce_guard(write=True)],
    "sync_to_thread": True,
}
"""Reads for those who may change the task force (its report, its proposals)."""


T = TypeVar("T")

PathId = FromPath[int]


def in_transaction(session: Session, work: Callable[[], T]) -> T:
    """Run ``work`` and end the request's transaction in this worker thread: commit if it returns, roll back if
    it raises (the error then becomes the response as usual).

    The app's autocommit hook would end the transaction later, as a job of the same thread pool that runs the
    handlers. When every worker thread holds a request waiting for a lock (a person's row on PostgreSQL,
    the write lock on SQLite), the transaction that holds the lock could not end: PostgreSQL would wait for
    ever, SQLite until its busy timeout. Ending it here, in the thread that holds the lock, keeps every lock
    wait as short as one transaction. (The hook then finds nothing left to commit.)
    """
    try:
        result = work()
    except BaseException:
        session.rollback()
        raise
    session.commit()
    return result


def transaction(handler: Callable[..., T]) -> Callable[..., T]:
    """The handler, run by :func:`in_transaction` on its ``db_session`` (the route sees the same signature)."""

    @functools.wraps(handler)
    def run(self: Any, **kw: Any) -> T:
        return in_transaction(kw["db_session"], lambda: handler(self, **kw))

    return run


class _Row(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def taskforce_id(self) -> int: ...


class _Item(Protocol):
    @property
    def id(self) -> int: ...


Item = TypeVar("Item", bound=_Item)


def _answer(session: Session, listing: Callable[[Session, int], list[Item]], row: _Row) -> Item:
    """The entry of its task force's list (``listing``: needs, members or KPIs) of ``row``, just written."""
    return next(x for x in listing(session, row.taskforce_id) if x.id == row.id)


class TaskForceController(Controller):
    path = "/api/v1/taskforces"
    tags = ["Task forces"]

    @get("/", opt={"access": Access.authenticated}, sync_to_thread=True)
    def list_taskforces(
        self,
        db_engine: DbEngine,
        agency: Annotated[
            str | None, QueryParameter(description="Agency code: that agency and its sub-agencies")
        ] = None,
        status: FromQuery[TaskForceStatus | None] = None,
        q: Annotated[str | None, QueryParameter(description="Substring of a name or code", max_length=100)] = None,
        active_on: Annotated[dt.date | None, QueryParameter(description="Only task forces running on this day")] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[TaskForceListItem]:
        """Task forces, newest first, with their number of needs, active members and people waiting to consent."""
        return reads.list_taskforces(
            db_engine, agency=agency, status=status, q=q, active_on=active_on, limit=limit, offset=offset
        )

    @post("/", opt={"access": Access.hr}, sync_to_thread=True)
    @transaction
    def create_taskforce(self, db_session: Db, current_user: User, data: JSONBody[TaskForceCreate]) -> TaskForceOut:
        """Create a task force (status ``forming``) for an agency in your scope."""
        require_agency_code(db_session, current_user, data.agency)
        return reads.to_out(db_session, service.create(db_session, data))

    @get("/{taskforce_id:int}", opt={"access": Access.authenticated}, **ONE)
    @transaction
    def read_taskforce(self, db_session: Db, current_user: User, taskforce_id: PathId) -> TaskForceOut:
        """A task force with its needs, KPIs and budget; its members for those who may see them."""
        full = taskforce_visibility(db_session, current_user, taskforce_id) is Visibility.full
        return reads.to_out(db_session, service.get(db_session, taskforce_id), show_members=full)

    @patch("/{taskforce_id:int}", **WRITE)
    @transaction
    def update_taskforce(self, db_session: Db, taskforce_id: PathId, data: JSONBody[TaskForceUpdate]) -> TaskForceOut:
        """Change names, mission, lead, period or budget. Send the ``version`` you read to refuse stale edits."""
        return reads.to_out(db_session, service.update(db_session, taskforce_id, data))

    @post("/{taskforce_id:int}/status", status_code=200, **WRITE)
    @transaction
    def change_status(self, db_session: Db, taskforce_id: PathId, data: JSONBody[StatusChange]) -> TaskForceOut:
        """Move along forming -> active -> closed (forming -> closed cancels). Illegal moves are 409s that list
        the allowed ones; activating needs a member; closing ends the members and discards open proposals."""
        return reads.to_out(db_session, service.change_status(db_session, taskforce_id, data))

    # ------------------------------------------------------------------------ needs

    @post("/{taskforce_id:int}/needs", **WRITE)
    @transaction
    def add_need(self, db_session: Db, taskforce_id: PathId, data: JSONBody[NeedCreate]) -> NeedOut:
        return _answer(db_session, needs.needs_out, needs.add_need(db_session, taskforce_id, data))

    @patch("/{taskforce_id:int}/needs/{need_id:int}", **WRITE)
    @transaction
    def update_need(self, db_session: Db, taskforce_id: PathId, need_id: PathId, data: JSONBody[NeedUpdate]) -> NeedOut:
        return _answer(db_session, needs.needs_out, needs.update_need(db_session, taskforce_id, need_id, data))

    @delete("/{taskforce_id:int}/needs/{need_id:int}", **WRITE)
    @transaction
    def delete_need(self, db_session: Db, taskforce_id: PathId, need_id: PathId) -> None:
        """Delete a need that nobody fills (409 otherwise)."""
        needs.delete_need(db_session, taskforce_id, need_id)

    # ------------------------------------------------------------------------ members

    @post("/{taskforce_id:int}/members", **WRITE)
    @transaction
    def add_member(
        self, db_session: Db, current_user: User, taskforce_id: PathId, data: JSONBody[MemberCreate]
    ) -> MemberOut:
        """Appoint a person. 409 if it would take them past 100% of their time on any day (task forces and
        secondments together), if the need is full, or if they already fill it. Someone outside your scope is
        appointed ``pending``: their time is held and their consent and their home agency's are asked for."""
        member = members.add_member(db_session, taskforce_id, data, user=current_user)
        return _answer(db_session, members.members_out, member)

    @patch("/{taskforce_id:int}/members/{member_id:int}", **WRITE)
    @transaction
    def update_member(
        self, db_session: Db, taskforce_id: PathId, member_id: PathId, data: JSONBody[MemberUpdate]
    ) -> MemberOut:
        """Change allocation or period (checked again), or end or withdraw the membership."""
        return _answer(
            db_session, members.members_out, members.update_member(db_session, taskforce_id, member_id, data)
        )

    # ------------------------------------------------------------------------ KPIs and budget

    @post("/{taskforce_id:int}/kpis", **WRITE)
    @transaction
    def add_kpi(self, db_session: Db, taskforce_id: PathId, data: JSONBody[KpiCreate]) -> KpiOut:
        """A KPI: output, outcome or impact, with unit, baseline, target and due date."""
        return _answer(db_session, monitoring.kpis_out, monitoring.add_kpi(db_session, taskforce_id, data))

    @patch("/{taskforce_id:int}/kpis/{kpi_id:int}", **WRITE)
    @transaction
    def update_kpi(self, db_session: Db, taskforce_id: PathId, kpi_id: PathId, data: JSONBody[KpiUpdate]) -> KpiOut:
        return _answer(db_session, monitoring.kpis_out, monitoring.update_kpi(db_session, taskforce_id, kpi_id, data))

    @delete("/{taskforce_id:int}/kpis/{kpi_id:int}", **WRITE)
    @transaction
    def delete_kpi(self, db_session: Db, taskforce_id: PathId, kpi_id: PathId) -> None:
        monitoring.delete_kpi(db_session, taskforce_id, kpi_id)

    @post("/{taskforce_id:int}/kpis/{kpi_id:int}/actuals", **WRITE)
    @transaction
    def add_actual(
        self, db_session: Db, taskforce_id: PathId, kpi_id: PathId, data: JSONBody[ActualCreate]
    ) -> ActualOut:
        """Record the value measured on a day (one per day; also after the task force has closed)."""
        return copied(ActualOut, monitoring.add_actual(db_session, taskforce_id, kpi_id, data))

    @delete("/{taskforce_id:int}/kpis/{kpi_id:int}/actuals/{actual_id:int}", **WRITE)
    @transaction
    def delete_actual(self, db_session: Db, taskforce_id: PathId, kpi_id: PathId, actual_id: PathId) -> None:
        monitoring.delete_actual(db_session, taskforce_id, kpi_id, actual_id)

    @put("/{taskforce_id:int}/budget/{fiscal_year:int}", **WRITE)
    @transaction
    def put_budget(
        self, db_session: Db, taskforce_id: PathId, fiscal_year: PathId, data: JSONBody[BudgetPut], current_user: User
    ) -> list[BudgetOut]:
        """Set the money requested, approved and disbursed in one Thai fiscal year (BE: 2570 is Oct 2026 to
        Sep 2027). Returns every year. The requester never approves (409 ``separation_of_duties``); approved above
        requested needs a second approver after the first (409 ``excess_needs_second_approver``); nothing is
        disbursed for a task force cancelled before it started (409 ``cancelled_no_disbursement``)."""
        return monitoring.put_budget(db_session, taskforce_id, fiscal_year, data, user_id=current_user.id)

    @delete("/{taskforce_id:int}/budget/{fiscal_year:int}", **WRITE)
    @transaction
    def delete_budget(self, db_session: Db, taskforce_id: PathId, fiscal_year: PathId) -> None:
        monitoring.delete_budget(db_session, taskforce_id, fiscal_year)

    @get("/{taskforce_id:int}/report", **LEAD_READ)
    def report(
        self,
        db_session: Db,
        current_user: User,
        taskforce_id: PathId,
        format: FromQuery[ReportFormat] = ReportFormat.json,
        as_of: Annotated[dt.date | None, QueryParameter(description="Report date (default: today)")] = None,
    ) -> Response[Any]:
        """Targets against actuals, spend against budget by fiscal year, and cost per output; as JSON, CSV
        (``?format=csv``) or an Excel workbook (``?format=xlsx``)."""
        rep: Report = in_transaction(
            db_session, lambda: reporting.report(db_session, taskforce_id, as_of=as_of, viewer=current_user)
        )
        name = f"taskforce-{rep.taskforce.code}-report-{rep.as_of.isoformat()}".replace("/", "-")
        if format == ReportFormat.json:
            return Response(rep)
        # a file leaves hrsys (members' names and costs): one audit event
        rows = sum(len(table[2]) for table in export.tables(rep))
        summary = {"format": format.value, "as_of": rep.as_of, "rows": rows}
        audit.record(db_session, action="export", entity="taskforce_report", entity_id=taskforce_id, after=summary)
        body, media_type = (
            (export.to_csv(rep), "text/csv") if format == ReportFormat.csv else (export.to_xlsx(rep), XLSX)
        )
        disposition = f'attachment; filename="{name}.{format.value}"'
        return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})

    # ------------------------------------------------------------------------ proposals

    @post("/{taskforce_id:int}/proposals", **WRITE)
    @transaction
    def create_proposal(
        self, db_session: Db, current_user: User, taskforce_id: PathId, data: JSONBody[ProposalRequest]
    ) -> ProposalOut:
        """Propose a team for the needs still open: least cost (people's cost, preference for civil
        servants, and how well they already work together), a reason per member, and suggestions for
        needs it cannot cover. Kept as an open proposal."""
        return proposals.to_out(
            proposals.create(db_session, taskforce_id, data, user_id=current_user.id), db_session, current_user
        )

    @get("/{taskforce_id:int}/proposals", **LEAD_READ)
    @transaction
    def list_proposals(self, db_session: Db, current_user: User, taskforce_id: PathId) -> list[ProposalListItem]:
        return proposals.list_proposals(db_session, taskforce_id, current_user)

    @get("/{taskforce_id:int}/proposals/{proposal_id:int}", **LEAD_READ)
    @transaction
    def read_proposal(
        self, db_session: Db, current_user: User, taskforce_id: PathId, proposal_id: PathId
    ) -> ProposalOut:
        return proposals.read(db_session, taskforce_id, proposal_id, current_user)

    @post("/{taskforce_id:int}/proposals/{proposal_id:int}/accept", status_code=200, **WRITE)
    @transaction
    def accept_proposal(
        self, db_session: Db, current_user: User, taskforce_id: PathId, proposal_id: PathId
    ) -> list[MemberOut]:
        """Turn the proposal into members in one transaction: 409 (and nothing written) if a need changed or
        anyone is no longer free. People outside your scope become ``pending`` members (their time is held)
        until they and their home agency agree."""
        return proposals.accept(db_session, taskforce_id, proposal_id, user=current_user)

    @post("/{taskforce_id:int}/proposals/{proposal_id:int}/discard", status_code=200, **WRITE)
    @transaction
    def discard_proposal(
        self, db_session: Db, current_user: User, taskforce_id: PathId, proposal_id: PathId
    ) -> ProposalOut:
        return proposals.discard(db_session, taskforce_id, proposal_id, current_user)


CONTROLLERS = [TaskForceController]
