"""Task-force API: thin handlers over the commands (:mod:`~hrsys.taskforces.service`, ``needs``, ``members``,
``monitoring``), the reads (``reads``, ``reporting``) and :mod:`~hrsys.taskforces.proposals`."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from typing import Annotated, Any, Protocol, TypeVar

from litestar import Controller, Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.access import audit
from hrsys.access.guard import taskforce_guard
from hrsys.access.identity import CurrentUser
from hrsys.access.rules import Access
from hrsys.access.scope import Visibility, require_agency_code, taskforce_visibility
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
    from_attrs,
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
        db_engine: NamedDependency[Engine],
        agency: Annotated[
            str | None, QueryParameter(description="Agency code: that agency and its sub-agencies")
        ] = None,
        status: FromQuery[TaskForceStatus | None] = None,
        q: Annotated[str | None, QueryParameter(description="Substring of a name or code", max_length=100)] = None,
        active_on: Annotated[dt.date | None, QueryParameter(description="Only task forces running on this day")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> Page[TaskForceListItem]:
        """Task forces, newest first, with their number of needs and active members."""
        return reads.list_taskforces(
            db_engine, agency=agency, status=status, q=q, active_on=active_on, limit=limit, offset=offset
        )

    @post("/", opt={"access": Access.hr}, sync_to_thread=True)
    def create_taskforce(
        self,
        db_session: NamedDependency[Session],
        current_user: NamedDependency[CurrentUser],
        data: JSONBody[TaskForceCreate],
    ) -> TaskForceOut:
        """Create a task force (status ``forming``) for an agency in your scope."""

        def work() -> TaskForceOut:
            require_agency_code(db_session, current_user, data.agency)
            return reads.to_out(db_session, service.create(db_session, data))

        return in_transaction(db_session, work)

    @get("/{taskforce_id:int}", opt={"access": Access.authenticated}, **ONE)
    def read_taskforce(
        self,
        db_session: NamedDependency[Session],
        current_user: NamedDependency[CurrentUser],
        taskforce_id: FromPath[int],
    ) -> TaskForceOut:
        """A task force with its needs, KPIs and budget; its members for those who may see them."""

        def work() -> TaskForceOut:
            full = taskforce_visibility(db_session, current_user, taskforce_id) is Visibility.full
            return reads.to_out(db_session, service.get(db_session, taskforce_id), show_members=full)

        return in_transaction(db_session, work)

    @patch("/{taskforce_id:int}", **WRITE)
    def update_taskforce(
        self, db_session: NamedDependency[Session], taskforce_id: FromPath[int], data: JSONBody[TaskForceUpdate]
    ) -> TaskForceOut:
        """Change names, mission, lead, period or budget. Send the ``version`` you read to refuse stale edits."""
        return in_transaction(
            db_session, lambda: reads.to_out(db_session, service.update(db_session, taskforce_id, data))
        )

    @post("/{taskforce_id:int}/status", status_code=200, **WRITE)
    def change_status(
        self, db_session: NamedDependency[Session], taskforce_id: FromPath[int], data: JSONBody[StatusChange]
    ) -> TaskForceOut:
        """Move along forming -> active -> closed (forming -> closed cancels). Illegal moves are 409s that list
        the allowed ones; activating needs a member; closing ends the members and discards open proposals."""
        return in_transaction(
            db_session, lambda: reads.to_out(db_session, service.change_status(db_session, taskforce_id, data))
        )

    # ------------------------------------------------------------------------ needs

    @post("/{taskforce_id:int}/needs", **WRITE)
    def add_need(
        self, db_session: NamedDependency[Session], taskforce_id: FromPath[int], data: JSONBody[NeedCreate]
    ) -> NeedOut:
        return in_transaction(
            db_session,
            lambda: _answer(db_session, needs.needs_out, needs.add_need(db_session, taskforce_id, data)),
        )

    @patch("/{taskforce_id:int}/needs/{need_id:int}", **WRITE)
    def update_need(
        self,
        db_session: NamedDependency[Session],
        taskforce_id: FromPath[int],
        need_id: FromPath[int],
        data: JSONBody[NeedUpdate],
    ) -> NeedOut:
        return in_transaction(
            db_session,
            lambda: _answer(db_session, needs.needs_out, needs.update_need(db_session, taskforce_id, need_id, data)),
        )

    @delete("/{taskforce_id:int}/needs/{need_id:int}", **WRITE)
    def delete_need(
        self, db_session: NamedDependency[Session], taskforce_id: FromPath[int], need_id: FromPath[int]
    ) -> None:
        """Delete a need that nobody fills (409 otherwise)."""
        in_transaction(db_session, lambda: needs.delete_need(db_session, taskforce_id, need_id))

    # ------------------------------------------------------------------------ members

    @post("/{taskforce_id:int}/members", **WRITE)
    def add_member(
        self, db_session: NamedDependency[Session], taskforce_id: FromPath[int], data: JSONBody[MemberCreate]
    ) -> MemberOut:
        """Appoint a person. 409 if it would take them past 100% of their time on any day (task forces and
        secondments together), if the need is full, or if they already fill it."""
        return in_transaction(
            db_session,
            lambda: _answer(db_session, members.members_out, members.add_member(db_session, taskforce_id, data)),
        )

    @patch("/{taskforce_id:int}/members/{member_id:int}", **WRITE)
    def update_member(
        self,
        db_session: NamedDependency[Session],
        taskforce_id: FromPath[int],
        member_id: FromPath[int],
        data: JSONBody[MemberUpdate],
    ) -> MemberOut:
        """Change allocation or period (checked again), or end or withdraw the membership."""
        return in_transaction(
            db_session,
            lambda: _answer(
                db_session, members.members_out, members.update_member(db_session, taskforce_id, member_id, data)
            ),
        )

    # ------------------------------------------------------------------------ KPIs and budget

    @post("/{taskforce_id:int}/kpis", **WRITE)
    def add_kpi(
        self, db_session: NamedDependency[Session], taskforce_id: FromPath[int], data: JSONBody[KpiCreate]
    ) -> KpiOut:
        """A KPI: output, outcome or impact, with unit, baseline, target and due date."""
        return in_transaction(
            db_session,
            lambda: _answer(db_session, monitoring.kpis_out, monitoring.add_kpi(db_session, taskforce_id, data)),
        )

    @patch("/{taskforce_id:int}/kpis/{kpi_id:int}", **WRITE)
    def update_kpi(
        self,
        db_session: NamedDependency[Session],
        taskforce_id: FromPath[int],
        kpi_id: FromPath[int],
        data: JSONBody[KpiUpdate],
    ) -> KpiOut:
        return in_transaction(
            db_session,
            lambda: _answer(
                db_session, monitoring.kpis_out, monitoring.update_kpi(db_session, taskforce_id, kpi_id, data)
            ),
        )

    @delete("/{taskforce_id:int}/kpis/{kpi_id:int}", **WRITE)
    def delete_kpi(
        self, db_session: NamedDependency[Session], taskforce_id: FromPath[int], kpi_id: FromPath[int]
    ) -> None:
        in_transaction(db_session, lambda: monitoring.delete_kpi(db_session, taskforce_id, kpi_id))

    @post("/{taskforce_id:int}/kpis/{kpi_id:int}/actuals", **WRITE)
    def add_actual(
        self,
        db_session: NamedDependency[Session],
        taskforce_id: FromPath[int],
        kpi_id: FromPath[int],
        data: JSONBody[ActualCreate],
    ) -> ActualOut:
        """Record the value measured on a day (one per day; also after the task force has closed)."""
        return in_transaction(
            db_session, lambda: from_attrs(ActualOut, monitoring.add_actual(db_session, taskforce_id, kpi_id, data))
        )

    @delete("/{taskforce_id:int}/kpis/{kpi_id:int}/actuals/{actual_id:int}", **WRITE)
    def delete_actual(
        self,
        db_session: NamedDependency[Session],
        taskforce_id: FromPath[int],
        kpi_id: FromPath[int],
        actual_id: FromPath[int],
    ) -> None:
        in_transaction(db_session, lambda: monitoring.delete_actual(db_session, taskforce_id, kpi_id, actual_id))

    @put("/{taskforce_id:int}/budget/{fiscal_year:int}", **WRITE)
    def put_budget(
        self,
        db_session: NamedDependency[Session],
        taskforce_id: FromPath[int],
        fiscal_year: FromPath[int],
        data: JSONBody[BudgetPut],
        current_user: NamedDependency[CurrentUser],
    ) -> list[BudgetOut]:
        """Set the money requested, approved and disbursed in one Thai fiscal year (BE: 2570 is Oct 2026 to
        Sep 2027). Returns every year. The requester never approves (409 ``separation_of_duties``); approved above
        requested needs a second approver after the first (409 ``excess_needs_second_approver``); nothing is
        disbursed for a task force cancelled before it started (409 ``cancelled_no_disbursement``)."""
        return in_transaction(
            db_session,
            lambda: monitoring.put_budget(db_session, taskforce_id, fiscal_year, data, user_id=current_user.id),
        )

    @delete("/{taskforce_id:int}/budget/{fiscal_year:int}", **WRITE)
    def delete_budget(
        self, db_session: NamedDependency[Session], taskforce_id: FromPath[int], fiscal_year: FromPath[int]
    ) -> None:
        in_transaction(db_session, lambda: monitoring.delete_budget(db_session, taskforce_id, fiscal_year))

    @get("/{taskforce_id:int}/report", **LEAD_READ)
    def report(
        self,
        db_session: NamedDependency[Session],
        current_user: NamedDependency[CurrentUser],
        taskforce_id: FromPath[int],
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
    def create_proposal(
        self,
        db_session: NamedDependency[Session],
        current_user: NamedDependency[CurrentUser],
        taskforce_id: FromPath[int],
        data: JSONBody[ProposalRequest],
    ) -> ProposalOut:
        """Propose a team for the needs still open: least cost (people's cost, preference for civil
        servants, and how well they already work together), a reason per member, and suggestions for
        needs it cannot cover. Kept as an open proposal."""
        return in_transaction(
            db_session,
            lambda: proposals.to_out(
                proposals.create(db_session, taskforce_id, data, user_id=current_user.id), db_session, current_user
            ),
        )

    @get("/{taskforce_id:int}/proposals", **LEAD_READ)
    def list_proposals(
        self,
        db_session: NamedDependency[Session],
        current_user: NamedDependency[CurrentUser],
        taskforce_id: FromPath[int],
    ) -> list[ProposalListItem]:
        return in_transaction(db_session, lambda: proposals.list_proposals(db_session, taskforce_id, current_user))

    @get("/{taskforce_id:int}/proposals/{proposal_id:int}", **LEAD_READ)
    def read_proposal(
        self,
        db_session: NamedDependency[Session],
        current_user: NamedDependency[CurrentUser],
        taskforce_id: FromPath[int],
        proposal_id: FromPath[int],
    ) -> ProposalOut:
        return in_transaction(db_session, lambda: proposals.read(db_session, taskforce_id, proposal_id, current_user))

    @post("/{taskforce_id:int}/proposals/{proposal_id:int}/accept", status_code=200, **WRITE)
    def accept_proposal(
        self, db_session: NamedDependency[Session], taskforce_id: FromPath[int], proposal_id: FromPath[int]
    ) -> list[MemberOut]:
        """Turn the proposal into members in one transaction: 409 (and nothing written) if a need changed or
        anyone is no longer free."""
        return in_transaction(db_session, lambda: proposals.accept(db_session, taskforce_id, proposal_id))

    @post("/{taskforce_id:int}/proposals/{proposal_id:int}/discard", status_code=200, **WRITE)
    def discard_proposal(
        self,
        db_session: NamedDependency[Session],
        current_user: NamedDependency[CurrentUser],
        taskforce_id: FromPath[int],
        proposal_id: FromPath[int],
    ) -> ProposalOut:
        return in_transaction(
            db_session, lambda: proposals.discard(db_session, taskforce_id, proposal_id, current_user)
        )


CONTROLLERS = [TaskForceController]
