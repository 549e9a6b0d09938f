"""Assessment routes: a person's assessments and profile, and the assessments import (HR)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from hrsys.access import scope
from hrsys.access.guard import assessment_person_guard, person_guard
from hrsys.access.identity import User
from hrsys.access.rules import Access
from hrsys.core.handler_params import Db, DbEngine, Limit, Offset
from hrsys.core.import_report import BulkImportReport, DryRun, Partial, Upload, outcome
from hrsys.core.pagination import Page
from hrsys.skills.assessments import asks
from hrsys.skills.assessments import service as assessment_service
from hrsys.skills.assessments.importer import import_assessments
from hrsys.skills.assessments.schemas import (
    AssessmentAskOut,
    AssessmentCreate,
    AssessmentOut,
    AssessmentRequestIn,
    PersonProfileOut,
)


class AssessmentController(Controller):
    path = "/api/v1/people/{person_id:int}"
    tags = ["Assessments"]
    guards = [assessment_person_guard()]  # the person's scope; about yourself, self-assessments only

    @post("/assessments", opt={"access": Access.person}, sync_to_thread=True)
    def record(self, db_session: Db, person_id: FromPath[int], data: JSONBody[AssessmentCreate]) -> AssessmentOut:
        """Record an assessment (append-only: a correction is a new assessment) and update the profile."""
        return assessment_service.record_assessment(db_session, person_id, data)

    @get("/assessments", opt={"access": Access.person}, sync_to_thread=False)
    def history(
        self,
        db_engine: DbEngine,
        person_id: FromPath[int],
        skill: Annotated[
            str | None, QueryParameter(description="FRAMEWORK:CODE: only this skill and its equivalents")
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[AssessmentOut]:
        """The person's assessments, newest first, each marked valid, expired or future."""
        return assessment_service.history(db_engine, person_id, skill=skill, limit=limit, offset=offset)

    @get("/profile", opt={"access": Access.person}, sync_to_thread=False)
    def profile(
        self,
        db_engine: DbEngine,
        person_id: FromPath[int],
        as_of: Annotated[dt.date | None, QueryParameter(description="The profile as it was on this day")] = None,
    ) -> PersonProfileOut:
        """The current level per skill by the profile rule, each with the assessment it comes from."""
        return assessment_service.person_profile(db_engine, person_id, as_of=as_of)


class AssessmentRequestController(Controller):
    path = "/api/v1/people/{person_id:int}"
    tags = ["Assessments"]
    guards = [person_guard()]  # the person's scope: staff ask for themselves, HR for people in scope

    @post("/assessment-requests", opt={"access": Access.person}, sync_to_thread=True)
    def ask(
        self,
        request: Request[Any, Any, Any],
        db_session: Db,
        person_id: FromPath[int],
        data: JSONBody[AssessmentRequestIn],
    ) -> AssessmentAskOut:
        """Ask for a manager's or an assessment centre's assessment of a skill: a request to the HR officers of
        the person's agency, who record it with the level (``details: {level, notes?}``) or refuse with a reason."""
        user = request.scope.get("user")
        req, row = asks.request_assessment(db_session, person_id, data, actor_user_id=getattr(user, "id", None))
        return AssessmentAskOut(
            request_id=req.id, request_status=req.status.value, due_on=req.due_on, assessment_request_id=row.id,
            skill=f"{data.framework}:{data.skill}", source=data.source,
        )  # fmt: skip


class AssessmentImportController(Controller):
    tags = ["Bulk import and export"]

    @post("/api/v1/assessments/import", opt={"access": Access.hr}, sync_to_thread=True, status_code=200)
    def assessments_import(
        self, db_session: Db, current_user: User, data: Upload, partial: Partial = False, dry_run: DryRun = False
    ) -> BulkImportReport:
        """Append assessments from a CSV or XLSX file and update the people's current profiles."""
        report = import_assessments(
            db_session,
            data.file,
            filename=data.filename,
            partial=partial,
            dry_run=dry_run,
            person_scope=scope.people_condition(current_user),  # others are "no such person"
            bulk_mode=False,  # never from a request: bulk mode locks the assessment tables (the command does it)
        )
        if dry_run:
            return report
        return outcome(report)


CONTROLLERS = [AssessmentController, AssessmentRequestController, AssessmentImportController]
