from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from hrsys.access import scope
from hrsys.access.guard import body_person_guard, enrolment_guard, person_guard, plan_guard, query_agency_guard
from hrsys.access.identity import User
from hrsys.access.rules import Access
from hrsys.core.handler_params import Db, DbEngine, Limit, Offset
from hrsys.training import completions, courses, decisions, enrolments, needs, plans, training_plan
from hrsys.training.models import CourseMode, Enrolment, EnrolmentStatus, PlanStatus
from hrsys.training.schemas import (
    CompletionReport,
    CourseCreate,
    CourseListItem,
    CourseOut,
    CourseUpdate,
    EnrolmentAskOut,
    EnrolmentCreate,
    EnrolmentOut,
    EnrolmentRequestIn,
    EnrolmentStatusChange,
    PlanCreate,
    PlanFromTraining,
    PlanFromTrainingOut,
    PlanItemIn,
    PlanItemUpdate,
    PlanOut,
    PlanStatusChange,
    PlanUpdate,
    SessionCreate,
    SessionOut,
    TrainingNeedsOut,
    TrainingPlanOut,
)

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def actor_id(request: Request[Any, Any, Any]) -> int | None:
    """The signed-in user's id, when authentication runs (``scope["user"]``)."""
    user = request.scope.get("user")
    return getattr(user, "id", None)


class CourseController(Controller):
    path = "/api/v1/courses"
    tags = ["Courses and enrolments"]

    @get("/", opt={"access": Access.authenticated}, sync_to_thread=True)
    def list_courses(
        self,
        db_session: Db,
        q: Annotated[
            str | None, QueryParameter(description="Substring of code, title or provider", max_length=100)
        ] = None,
        skill: Annotated[
            str | None, QueryParameter(description="Only courses raising this skill (FRAMEWORK:CODE)")
        ] = None,
        mode: FromQuery[CourseMode | None] = None,
        certified_v6: FromQuery[bool | None] = None,
        include_inactive: FromQuery[bool] = False,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> list[CourseListItem]:
        """Courses with their outcomes, by code."""
        return courses.list_courses(
            db_session, q=q, skill=skill, mode=mode, certified_v6=certified_v6, include_inactive=include_inactive,
            limit=limit, offset=offset,
        )  # fmt: skip

    @post("/", opt={"access": Access.hr}, sync_to_thread=True)
    def create_course(self, db_session: Db, data: JSONBody[CourseCreate]) -> CourseOut:
        """A course with outcomes (skill raised to a level) and prerequisites (other course codes)."""
        return courses.course_out(db_session, courses.create_course(db_session, data))

    @get("/{code:str}", opt={"access": Access.authenticated}, sync_to_thread=True)
    def read_course(self, db_session: Db, code: FromPath[str]) -> CourseOut:
        return courses.course_out(db_session, courses.get_course(db_session, code))

    @patch("/{code:str}", opt={"access": Access.hr}, sync_to_thread=True)
    def update_course(self, db_session: Db, code: FromPath[str], data: JSONBody[CourseUpdate]) -> CourseOut:
        """Change fields; outcomes and prerequisites replace the lists. A prerequisite cycle is a 422 naming it."""
        return courses.course_out(db_session, courses.update_course(db_session, code, data))

    @delete("/{code:str}", opt={"access": Access.admin}, sync_to_thread=True)
    def delete_course(self, db_session: Db, code: FromPath[str]) -> None:
        """Delete an unused course; one with enrolments, plan items or dependants is a 409 (deactivate it)."""
        courses.delete_course(db_session, code)

    @get("/{code:str}/sessions", opt={"access": Access.authenticated}, sync_to_thread=True)
    def list_sessions(self, db_session: Db, code: FromPath[str], upcoming: FromQuery[bool] = False) -> list[SessionOut]:
        return courses.list_sessions(db_session, code, upcoming=upcoming)

    @post("/{code:str}/sessions", opt={"access": Access.hr}, sync_to_thread=True)
    def add_session(self, db_session: Db, code: FromPath[str], data: JSONBody[SessionCreate]) -> SessionOut:
        return courses.add_session(db_session, code, data)


class EnrolmentController(Controller):
    path = "/api/v1/enrolments"
    tags = ["Courses and enrolments"]
    guards = [enrolment_guard(), body_person_guard()]  # the learner's scope; nobody confirms their own

    @get("/", opt={"access": Access.hr}, sync_to_thread=True)
    def list_enrolments(
        self,
        db_session: Db,
        current_user: User,
        person_id: FromQuery[int | None] = None,
        course: FromQuery[str | None] = None,
        session_id: FromQuery[int | None] = None,
        status: FromQuery[EnrolmentStatus | None] = None,
        pending: Annotated[bool | None, QueryParameter(description="Reported complete, awaiting confirmation")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Offset = 0,
    ) -> list[EnrolmentOut]:
        """Enrolments by person, course, session or status; ``pending=true`` lists completions to confirm."""
        in_scope = scope.person_id_condition(current_user, Enrolment.person_id)
        return enrolments.list_enrolments(
            db_session, person_id=person_id, course=course, session_id=session_id, status=status, pending=pending,
            limit=limit, offset=offset, extra_conditions=[in_scope] if in_scope is not None else [],
        )  # fmt: skip

    @post("/", opt={"access": Access.hr}, sync_to_thread=True)
    def create_enrolment(
        self, request: Request[Any, Any, Any], db_session: Db, data: JSONBody[EnrolmentCreate]
    ) -> EnrolmentOut:
        """Plan a course for a person, or enrol them in a session.

        A full session is a 409 (``session_full``); so is a prerequisite neither completed nor taken
        in the same development plan in a session that ends before this one starts
        (``prerequisites_not_met``). Nobody enrols themselves (409 ``separation_of_duties``): plan it, and
        another HR officer enrols you.
        """
        e = enrolments.create_enrolment(db_session, data, actor_user_id=actor_id(request))
        return enrolments.enrolment_out(db_session, e)

    @get("/{enrolment_id:int}", opt={"access": Access.hr}, sync_to_thread=True)
    def read_enrolment(self, db_session: Db, enrolment_id: FromPath[int]) -> EnrolmentOut:
        return enrolments.enrolment_out(db_session, enrolments.get_enrolment(db_session, enrolment_id))

    @post("/{enrolment_id:int}/status", opt={"access": Access.hr}, sync_to_thread=True, status_code=200)
    def change_status(
        self,
        request: Request[Any, Any, Any],
        db_session: Db,
        enrolment_id: FromPath[int],
        data: JSONBody[EnrolmentStatusChange],
    ) -> EnrolmentOut:
        """Move along planned -> enrolled -> completed | failed (or withdrawn). Completing records assessments.

        Enrolling checks the prerequisites as creating does; a completion dated before the session starts is a 422.
        """
        e = completions.change_enrolment_status(db_session, enrolment_id, data, actor_user_id=actor_id(request))
        return enrolments.enrolment_out(db_session, e)

    @post("/{enrolment_id:int}/report-completion", opt={"access": Access.person}, sync_to_thread=True, status_code=200)
    def report_completion(
        self,
        request: Request[Any, Any, Any],
        db_session: Db,
        enrolment_id: FromPath[int],
        data: JSONBody[CompletionReport],
    ) -> EnrolmentOut:
        """The learner reports completion; it stays pending until an HR officer confirms it.

        A completion dated before the session starts is a 422 on ``completed_on``. Whoever reports it never
        confirms it (409 ``separation_of_duties``).
        """
        e = completions.report_completion(db_session, enrolment_id, data, actor_user_id=actor_id(request))
        return enrolments.enrolment_out(db_session, e)

    @post("/{enrolment_id:int}/confirm", opt={"access": Access.hr}, sync_to_thread=True, status_code=200)
    def confirm(self, request: Request[Any, Any, Any], db_session: Db, enrolment_id: FromPath[int]) -> EnrolmentOut:
        """Confirm a reported completion: the enrolment completes and its assessments are recorded.

        Not by the user who reported it, nor by the learner (409 ``separation_of_duties``).
        """
        e = completions.confirm_completion(db_session, enrolment_id, actor_user_id=actor_id(request))
        return enrolments.enrolment_out(db_session, e)


class PersonTrainingController(Controller):
    path = "/api/v1/people/{person_id:int}"
    guards = [person_guard()]  # 404 outside the reader's scope; reads of others are audited
    tags = ["Training plans and development plans"]

    @get("/training-plan", opt={"access": Access.person}, sync_to_thread=True)
    def training_plan(
        self,
        db_engine: DbEngine,
        person_id: FromPath[int],
        role: Annotated[str, QueryParameter(description="Target role code")],
        cost: Annotated[Literal["baht", "hours"], QueryParameter(description="What to minimise")] = "baht",
        budget: Annotated[float | None, QueryParameter(ge=0, description="In the cost unit")] = None,
        essential_only: FromQuery[bool] = False,
        method: Annotated[Literal["auto", "exact", "greedy"], QueryParameter()] = "auto",
    ) -> TrainingPlanOut:
        """The cheapest courses (prerequisites first) that close the gap to a role; says which algorithm ran."""
        return training_plan.training_plan(
            db_engine, person_id, role, cost=cost, budget=budget, essential_only=essential_only, method=method
        )

    @get("/enrolments", opt={"access": Access.person}, sync_to_thread=True)
    def enrolments(self, db_session: Db, person_id: FromPath[int]) -> list[EnrolmentOut]:
        return enrolments.list_enrolments(db_session, person_id=person_id)

    @post("/enrolment-requests", opt={"access": Access.person}, sync_to_thread=True)
    def ask_to_enrol(
        self,
        request: Request[Any, Any, Any],
        db_session: Db,
        person_id: FromPath[int],
        data: JSONBody[EnrolmentRequestIn],
    ) -> EnrolmentAskOut:
        """Ask for a seat in a session (or a course): a planned enrolment and a request to the HR officers of
        the person's agency, who enrol them (seats and prerequisites permitting) or refuse with a reason."""
        req = decisions.request_enrolment(db_session, person_id, data, actor_user_id=actor_id(request))
        e = enrolments.get_enrolment(db_session, req.subject_id)
        return EnrolmentAskOut(
            request_id=req.id, request_status=req.status.value, due_on=req.due_on,
            enrolment=enrolments.enrolment_out(db_session, e),
        )  # fmt: skip

    @get("/development-plans", opt={"access": Access.person}, sync_to_thread=True)
    def development_plans(
        self,
        db_session: Db,
        person_id: FromPath[int],
        status: FromQuery[PlanStatus | None] = None,
    ) -> list[PlanOut]:
        return plans.list_plans(db_session, person_id=person_id, status=status)

    @post("/development-plans/from-training-plan", opt={"access": Access.person}, sync_to_thread=True)
    def plan_from_training(
        self,
        db_session: Db,
        db_engine: DbEngine,
        person_id: FromPath[int],
        data: JSONBody[PlanFromTraining],
    ) -> PlanFromTrainingOut:
        """Compute the training plan toward a role and save it as a draft development plan, in one call."""
        return plans.create_from_training_plan(db_session, db_engine, person_id, data)


class DevelopmentPlanController(Controller):
    path = "/api/v1/development-plans"
    guards = [plan_guard(), body_person_guard()]  # the plan's person scope; not approved by its own person
    tags = ["Training plans and development plans"]

    @post("/", opt={"access": Access.person}, sync_to_thread=True)
    def create_plan(self, db_session: Db, data: JSONBody[PlanCreate]) -> PlanOut:
        """A draft plan with items (course, secondment, mentoring, on-the-job)."""
        return plans.plan_out(db_session, plans.create_plan(db_session, data))

    @get("/{plan_id:int}", opt={"access": Access.person}, sync_to_thread=True)
    def read_plan(self, db_session: Db, plan_id: FromPath[int]) -> PlanOut:
        return plans.plan_out(db_session, plans.get_plan(db_session, plan_id))

    @patch("/{plan_id:int}", opt={"access": Access.person}, sync_to_thread=True)
    def update_plan(self, db_session: Db, plan_id: FromPath[int], data: JSONBody[PlanUpdate]) -> PlanOut:
        return plans.plan_out(db_session, plans.update_plan(db_session, plan_id, data))

    @post("/{plan_id:int}/status", opt={"access": Access.person}, sync_to_thread=True, status_code=200)
    def change_status(
        self,
        request: Request[Any, Any, Any],
        db_session: Db,
        plan_id: FromPath[int],
        data: JSONBody[PlanStatusChange],
    ) -> PlanOut:
        """draft -> submitted -> approved -> in_progress -> done (or cancelled); an illegal move is a 409.

        The user who submitted the plan never approves it (409 ``separation_of_duties``).
        """
        plan = plans.change_status(db_session, plan_id, data, actor_user_id=actor_id(request))
        return plans.plan_out(db_session, plan)

    @post("/{plan_id:int}/items", opt={"access": Access.person}, sync_to_thread=True)
    def add_item(self, db_session: Db, plan_id: FromPath[int], data: JSONBody[PlanItemIn]) -> PlanOut:
        return plans.plan_out(db_session, plans.add_item(db_session, plan_id, data))

    @patch("/{plan_id:int}/items/{item_id:int}", opt={"access": Access.person}, sync_to_thread=True)
    def update_item(
        self,
        db_session: Db,
        plan_id: FromPath[int],
        item_id: FromPath[int],
        data: JSONBody[PlanItemUpdate],
    ) -> PlanOut:
        """Work on an item; a course item is done only through a completed enrolment (else 409)."""
        return plans.plan_out(db_session, plans.update_item(db_session, plan_id, item_id, data))

    @delete("/{plan_id:int}/items/{item_id:int}", opt={"access": Access.person}, sync_to_thread=True, status_code=200)
    def delete_item(self, db_session: Db, plan_id: FromPath[int], item_id: FromPath[int]) -> PlanOut:
        return plans.plan_out(db_session, plans.delete_item(db_session, plan_id, item_id))


class TrainingNeedsController(Controller):
    path = "/api/v1/training-needs"
    tags = ["Training plans and development plans"]

    @get("/", opt={"access": Access.hr}, sync_to_thread=True, guards=[query_agency_guard()])
    def training_needs(
        self,
        db_engine: DbEngine,
        agency: Annotated[str | None, QueryParameter(description="Agency code: that agency and its subtree")] = None,
        against: Annotated[
            Literal["current", "target"], QueryParameter(description="Current or target roles")
        ] = "current",
        format: Annotated[Literal["json", "csv", "xlsx"], QueryParameter()] = "json",
        table: Annotated[
            Literal["skills", "courses"], QueryParameter(description="Which table the CSV holds")
        ] = "skills",
        courses: Annotated[int, QueryParameter(ge=1, le=1000, description="How many courses to list")] = 50,
    ) -> Response[bytes] | TrainingNeedsOut:
        """Aggregated gaps of the staff of an agency subtree and the courses that close most shortfall per baht."""
        report = needs.training_needs(db_engine, agency=agency, against=against, course_limit=courses)
        name = f"training-needs-{agency or 'all'}-{against}"
        if format == "csv":
            return Response(
                needs.to_csv(report, table),
                media_type="text/csv",
                headers={"Content-Disposition": f'attachment; filename="{name}-{table}.csv"'},
            )
        if format == "xlsx":
            return Response(
                needs.to_xlsx(report),
                media_type=XLSX_MEDIA_TYPE,
                headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
            )
        return report


CONTROLLERS = [
    CourseController,
    EnrolmentController,
    PersonTrainingController,
    DevelopmentPlanController,
    TrainingNeedsController,
]
