from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.access.guard import assessment_person_guard
from hrsys.access.rules import Access
from hrsys.core.pagination import Page
from hrsys.skills import assessment_service, service
from hrsys.skills.schemas import (
    AssessmentCreate,
    AssessmentOut,
    FrameworkDetail,
    FrameworkOut,
    PersonProfileOut,
    SkillHit,
    SkillOut,
)


class FrameworkController(Controller):
    path = "/api/v1/frameworks"
    tags = ["Skills catalog"]

    @get("/", opt={"access": Access.authenticated}, sync_to_thread=False)
    def list_frameworks(self, db_engine: NamedDependency[Engine]) -> list[FrameworkOut]:
        """Every imported framework with its source, licence and number of active skills."""
        return service.list_frameworks(db_engine)

    @get("/{code:str}", opt={"access": Access.authenticated}, sync_to_thread=False)
    def read_framework(self, db_engine: NamedDependency[Engine], code: FromPath[str]) -> FrameworkDetail:
        """A framework with its proficiency scale, skill groups, families and expected-level profiles."""
        return service.framework_detail(db_engine, code)


class SkillController(Controller):
    path = "/api/v1/skills"
    tags = ["Skills catalog"]

    # Runs on the event loop: the query takes about a millisecond and a thread hop costs more.
    @get("/", opt={"access": Access.authenticated}, sync_to_thread=False)
    def search_skills(
        self,
        db_engine: NamedDependency[Engine],
        q: Annotated[
            str | None,
            QueryParameter(description="Code, FRAMEWORK:CODE, or a substring of a Thai or English name or alias"),
        ] = None,
        framework: Annotated[str | None, QueryParameter(description="Framework code, e.g. TH-DG")] = None,
        group: Annotated[str | None, QueryParameter(description="Skill group code (sub-groups included)")] = None,
        include_retired: Annotated[bool, QueryParameter(description="Also retired skills")] = False,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 20,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> Page[SkillHit]:
        """Search or browse skills, ranked: exact code, code prefix, name prefix, then substring."""
        return service.search_skills(
            db_engine,
            q=q,
            framework=framework,
            group=group,
            include_retired=include_retired,
            limit=limit,
            offset=offset,
        )

    @get("/{ref:str}", opt={"access": Access.authenticated}, sync_to_thread=False)
    def read_skill(self, db_engine: NamedDependency[Engine], ref: FromPath[str]) -> SkillOut:
        """One skill by ``FRAMEWORK:CODE`` with its scale and equivalent skills."""
        return service.read_skill(db_engine, ref)


class AssessmentController(Controller):
    path = "/api/v1/people/{person_id:int}"
    tags = ["Assessments"]
    guards = [assessment_person_guard()]  # the person's scope; about yourself, self-assessments only

    @post("/assessments", opt={"access": Access.person}, sync_to_thread=True)
    def record(
        self, db_session: NamedDependency[Session], person_id: FromPath[int], data: JSONBody[AssessmentCreate]
    ) -> AssessmentOut:
        """Record an assessment (append-only: a correction is a new assessment) and update the profile."""
        return assessment_service.record_assessment(db_session, person_id, data)

    @get("/assessments", opt={"access": Access.person}, sync_to_thread=False)
    def history(
        self,
        db_engine: NamedDependency[Engine],
        person_id: FromPath[int],
        skill: Annotated[
            str | None, QueryParameter(description="FRAMEWORK:CODE: only this skill and its equivalents")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> Page[AssessmentOut]:
        """The person's assessments, newest first, each marked valid, expired or future."""
        return assessment_service.history(db_engine, person_id, skill=skill, limit=limit, offset=offset)

    @get("/profile", opt={"access": Access.person}, sync_to_thread=False)
    def profile(
        self,
        db_engine: NamedDependency[Engine],
        person_id: FromPath[int],
        as_of: Annotated[dt.date | None, QueryParameter(description="The profile as it was on this day")] = None,
    ) -> PersonProfileOut:
        """The current level per skill by the profile rule, each with the assessment it comes from."""
        return assessment_service.person_profile(db_engine, person_id, as_of=as_of)


CONTROLLERS = [FrameworkController, SkillController, AssessmentController]
