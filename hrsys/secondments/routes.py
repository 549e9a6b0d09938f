"""Secondments API: thin handlers over the commands, reads, lists and reports of :mod:`hrsys.secondments`."""

from __future__ import annotations

from typing import Annotated, Any, get_args

from litestar import Controller, Request, get, patch, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.orm import Session

from hrsys.access.guard import body_agency_guard, query_agency_guard, secondment_guard
from hrsys.access.rules import Access
from hrsys.core.fiscal import fiscal_year
from hrsys.core.handler_params import Db, DbEngine, Limit, Offset
from hrsys.core.pagination import Page
from hrsys.secondments import asking, commands, lists, lookups, reads, reports
from hrsys.secondments.lifecycle import Action, SecondmentStatus
from hrsys.secondments.policy import SecondmentPolicy, load_policy
from hrsys.secondments.schemas import (
    ActivateInput,
    Alerts,
    AskedOut,
    CoiDecisionInput,
    CoiReviewOut,
    CostReport,
    CoverageReport,
    EndInput,
    EndReportInput,
    ExtendInput,
    InterestsDeclaration,
    KnowledgeTransferPlan,
    SecondmentCreate,
    SecondmentListItem,
    SecondmentOut,
    SecondmentUpdate,
    TransitionInput,
    TransitionOut,
)


def provide_policy(state: State) -> SecondmentPolicy:
    """The policy in force: ``app.state.secondment_policy`` (set by ``create_app`` from the settings)."""
    policy = state.get("secondment_policy")
    if isinstance(policy, SecondmentPolicy):
        return policy
    settings = state.get("settings")
    return settings.secondments.policy() if settings is not None else load_policy()


def actor_of(request: Request[Any, Any, Any]) -> lookups.Actor:
    """The signed-in user, if the access layer put one in the request scope."""
    user = request.scope.get("user")
    if user is None:
        return lookups.Actor()
    return lookups.Actor(getattr(user, "id", None), getattr(user, "label", None) or getattr(user, "username", None))


AgencyQuery = Annotated[str | None, QueryParameter(description="Agency code: host agency and its sub-agencies")]


_MOVES: dict[Action, tuple[Any, str]] = {  # action -> (its body: None admitted when optional, its description)
    Action.submit: (TransitionInput | None, "proposed -> under_review (needs the conflict-of-interest declaration)."),
    Action.approve: (
        TransitionInput | None,
        "under_review -> approved: cleared review, period rules, career cap, cooling-off, allocation; never by\n"
        "the user who proposed or submitted it (409 separation_of_duties).",
    ),
    Action.reject: (TransitionInput, "proposed or under_review -> rejected (reason required)."),
    Action.withdraw: (TransitionInput, "proposed, under_review or approved -> withdrawn (reason required)."),
    Action.activate: (ActivateInput | None, "approved -> active (needs the agreement reference and a cleared review)."),
    Action.extend: (
        ExtendInput,
        "active or extended -> extended, to a new last day (extension count and length, career cap,\n"
        "cooling-off, allocation).",
    ),
    Action.complete: (EndInput | None, "active or extended -> completed; the end report is then due."),
    Action.terminate: (
        EndInput,
        "active or extended -> terminated early (reason required); the last day becomes ``on``.",
    ),
}


def _action_route(action: Action) -> Any:
    """``POST /{secondment_id}/<action>``: the move, with the body and description of ``_MOVES[action]`` (the
    body is optional when its type admits None); answers the secondment as it is after the move."""
    body, doc = _MOVES[action]

    def handler(
        self: Any,
        request: Request[Any, Any, Any],
        db_session: Session,
        policy: SecondmentPolicy,
        secondment_id: int,
        data: Any = None,
    ) -> SecondmentOut:
        s = commands.act(
            db_session, secondment_id, action, data, actor=actor_of(request), policy=policy,
            today=lookups.bangkok_today(),
        )  # fmt: skip
        return reads.detail(db_session, s, policy=policy)

    handler.__name__ = handler.__qualname__ = action.value  # the OpenAPI operation id ends with it
    handler.__doc__ = doc
    handler.__annotations__ = {  # real types (this module's annotations are strings), the body's per action
        "request": Request[Any, Any, Any],
        "db_session": Db,
        "policy": NamedDependency[SecondmentPolicy],
        "secondment_id": FromPath[int],
        "data": Annotated[body, Body(media_type=RequestEncodingType.JSON)],  # JSONBody[body]
        "return": SecondmentOut,
    }
    if type(None) not in get_args(body):
        handler.__defaults__ = None  # a required body
    path = f"/{{secondment_id:int}}/{action.value}"
    return post(path, opt={"access": Access.hr}, sync_to_thread=True, status_code=200)(handler)


_ASKS: dict[Action, str] = {
    Action.approve: "Ask the host's HR officers to approve (again: after a request was returned for changes).",
    Action.extend: "Ask the host's HR officers for an extension to a new last day (checked when approved).",
    Action.terminate: "Ask the host's HR officers to end the secondment early (reason required).",
}


def _ask_route(action: Action) -> Any:
    """``POST /{secondment_id}/ask/<action>``: open a ``secondment_step`` request for the move instead of
    making it; the body is that of the move. Answers the request (201)."""
    body = asking.ASKABLE[action]

    def handler(
        self: Any, request: Request[Any, Any, Any], db_session: Session, secondment_id: int, data: Any = None
    ) -> AskedOut:
        req = asking.ask(db_session, secondment_id, action, data, actor=actor_of(request))
        return AskedOut(
            request_id=req.id, kind=req.kind.value, title=req.title, status=req.status.value, due_on=req.due_on,
            payload=req.payload,
        )  # fmt: skip

    handler.__name__ = handler.__qualname__ = f"ask_{action.value}"
    handler.__doc__ = _ASKS[action]
    handler.__annotations__ = {
        "request": Request[Any, Any, Any],
        "db_session": Db,
        "secondment_id": FromPath[int],
        "data": Annotated[body, Body(media_type=RequestEncodingType.JSON)],
        "return": AskedOut,
    }
    if type(None) not in get_args(body):
        handler.__defaults__ = None
    path = f"/{{secondment_id:int}}/ask/{action.value}"
    return post(path, opt={"access": Access.hr}, sync_to_thread=True, status_code=201)(handler)


class SecondmentController(Controller):
    path = "/api/v1/secondments"
    tags = ["Secondments"]
    dependencies = {"policy": Provide(provide_policy, sync_to_thread=False)}
    # A secondment: HR of the host or sending subtree, the host task force's lead, the secondee (read only).
    # Reports over agencies: HR officers name an agency of their subtree; proposals host within it.
    guards = [secondment_guard(), query_agency_guard(), body_agency_guard("host_agency")]

    @get("/", opt={"access": Access.hr}, sync_to_thread=True)
    def list_secondments(
        self,
        db_engine: DbEngine,
        status: FromQuery[list[SecondmentStatus] | None] = None,
        agency: AgencyQuery = None,
        person_id: FromQuery[int | None] = None,
        taskforce: Annotated[str | None, QueryParameter(description="Task force code")] = None,
        ending_within: Annotated[
            int | None,
            QueryParameter(ge=0, le=3650, description="Only those in progress whose last day is within N days"),
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[SecondmentListItem]:
        """Secondments filtered by state, host agency, person or task force; ``ending_within=60`` lists
        those ending in the next 60 days, soonest first."""
        return lists.list_secondments(
            db_engine,
            today=lookups.bangkok_today(),
            status=status,
            agency=agency,
            person_id=person_id,
            taskforce=taskforce,
            ending_within=ending_within,
            limit=limit,
            offset=offset,
        )

    @post("/", opt={"access": Access.hr}, sync_to_thread=True)
    def create_secondment(
        self,
        request: Request[Any, Any, Any],
        db_session: Db,
        policy: NamedDependency[SecondmentPolicy],
        data: JSONBody[SecondmentCreate],
    ) -> SecondmentOut:
        """Propose a secondment. It books no time until approved."""
        s = commands.create(db_session, data, actor=actor_of(request), policy=policy)
        return reads.detail(db_session, s, policy=policy)

    @get("/alerts", opt={"access": Access.hr}, sync_to_thread=True)
    def alerts(
        self,
        db_engine: DbEngine,
        policy: NamedDependency[SecondmentPolicy],
        agency: AgencyQuery = None,
        ending_within: Annotated[int | None, QueryParameter(ge=0, le=3650)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200, description="Items per group")] = 20,
    ) -> Alerts:
        """What needs action: ending soon, past their end, end reports overdue, reviews pending,
        approved but not started, people near the career cap."""
        return reports.alerts(
            db_engine,
            policy=policy,
            today=lookups.bangkok_today(),
            agency=agency,
            ending_within=ending_within,
            limit=limit,
        )

    @get("/costs", opt={"access": Access.hr}, sync_to_thread=True)
    def costs(
        self,
        db_engine: DbEngine,
        fiscal_year_be: Annotated[
            int | None,
            QueryParameter(
                name="fiscal_year", ge=2400, le=2800, description="Thai fiscal year (BE); default the current one"
            ),
        ] = None,
        agency: AgencyQuery = None,
    ) -> CostReport:
        """Cost of a Thai fiscal year per agency, host and sender shares apart."""
        year = fiscal_year_be if fiscal_year_be is not None else fiscal_year(lookups.bangkok_today())
        return reports.cost_report(db_engine, fiscal_year=year, agency=agency)

    @get("/coverage", opt={"access": Access.hr}, sync_to_thread=True)
    def coverage(self, db_engine: DbEngine, agency: AgencyQuery = None) -> CoverageReport:
        """Knowledge-transfer coverage per host agency (skills passed on over skills planned)."""
        return reports.coverage_report(db_engine, agency=agency)

    @get("/policy", opt={"access": Access.authenticated}, sync_to_thread=False)
    def policy_in_force(self, policy: NamedDependency[SecondmentPolicy]) -> SecondmentPolicy:
        """The secondment rules in force (see ``HRSYS_SECONDMENT_POLICY``)."""
        return policy

    @get("/{secondment_id:int}", opt={"access": Access.person}, sync_to_thread=True)
    def read_secondment(
        self,
        db_session: Db,
        policy: NamedDependency[SecondmentPolicy],
        secondment_id: FromPath[int],
    ) -> SecondmentOut:
        return reads.detail(db_session, lookups.get(db_session, secondment_id), policy=policy)

    @patch("/{secondment_id:int}", opt={"access": Access.hr}, sync_to_thread=True)
    def update_secondment(
        self,
        request: Request[Any, Any, Any],
        db_session: Db,
        policy: NamedDependency[SecondmentPolicy],
        secondment_id: FromPath[int],
        data: JSONBody[SecondmentUpdate],
    ) -> SecondmentOut:
        """Change a secondment; terms only before activation. Send ``version`` to refuse stale edits."""
        s = commands.update(db_session, secondment_id, data, actor=actor_of(request), policy=policy)
        return reads.detail(db_session, s, policy=policy)

    @get("/{secondment_id:int}/history", opt={"access": Access.hr}, sync_to_thread=True)
    def history(self, db_session: Db, secondment_id: FromPath[int]) -> list[TransitionOut]:
        """Every move of the state machine: from, to, who, when, why."""
        return reads.history(db_session, secondment_id)

    # The moves of the state machine (bodies and descriptions in _MOVES), each named after its action.
    submit = _action_route(Action.submit)
    approve = _action_route(Action.approve)
    reject = _action_route(Action.reject)
    withdraw = _action_route(Action.withdraw)
    activate = _action_route(Action.activate)
    extend = _action_route(Action.extend)
    complete = _action_route(Action.complete)
    terminate = _action_route(Action.terminate)

    # Asking another user for a move (a request in their inbox) instead of making it.
    ask_approve = _ask_route(Action.approve)
    ask_extend = _ask_route(Action.extend)
    ask_terminate = _ask_route(Action.terminate)

    @get("/{secondment_id:int}/coi", opt={"access": Access.hr}, sync_to_thread=True)
    def list_reviews(self, db_session: Db, secondment_id: FromPath[int]) -> list[CoiReviewOut]:
        """Every conflict-of-interest declaration and its decision, oldest first."""
        return reads.reviews(db_session, secondment_id)

    @post("/{secondment_id:int}/coi", opt={"access": Access.hr}, sync_to_thread=True)
    def declare(
        self,
        request: Request[Any, Any, Any],
        db_session: Db,
        secondment_id: FromPath[int],
        data: JSONBody[InterestsDeclaration],
    ) -> CoiReviewOut:
        """Declare interests; opens a new (pending) review that replaces the previous one, and asks the host's
        HR officers to review it (a ``conflict_review`` request)."""
        review = commands.declare_interests(db_session, secondment_id, data, actor=actor_of(request))
        return reads.review_out(review)

    @post("/{secondment_id:int}/coi/decision", opt={"access": Access.hr}, sync_to_thread=True, status_code=200)
    def decide(
        self,
        request: Request[Any, Any, Any],
        db_session: Db,
        secondment_id: FromPath[int],
        data: JSONBody[CoiDecisionInput],
    ) -> CoiReviewOut:
        """The reviewer's decision on the latest declaration; blocked stops approval."""
        review = commands.decide_coi(db_session, secondment_id, data, actor=actor_of(request))
        return reads.review_out(review)

    @put("/{secondment_id:int}/knowledge-transfer", opt={"access": Access.hr}, sync_to_thread=True)
    def set_plan(
        self,
        db_session: Db,
        policy: NamedDependency[SecondmentPolicy],
        secondment_id: FromPath[int],
        data: JSONBody[KnowledgeTransferPlan],
    ) -> SecondmentOut:
        """Replace the knowledge-transfer plan (counterparts, skills, target levels)."""
        s = commands.set_knowledge_transfer(db_session, secondment_id, data.items)
        return reads.detail(db_session, s, policy=policy)

    @post("/{secondment_id:int}/end-report", opt={"access": Access.hr}, sync_to_thread=True, status_code=200)
    def end_report(
        self,
        request: Request[Any, Any, Any],
        db_session: Db,
        policy: NamedDependency[SecondmentPolicy],
        secondment_id: FromPath[int],
        data: JSONBody[EndReportInput],
    ) -> SecondmentOut:
        """The end report; each level reached is recorded as a knowledge-transfer assessment."""
        s = commands.submit_end_report(
            db_session, secondment_id, data, actor=actor_of(request), today=lookups.bangkok_today()
        )
        return reads.detail(db_session, s, policy=policy)
