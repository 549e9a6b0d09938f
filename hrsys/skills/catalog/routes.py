"""Catalog routes: frameworks, and skill search and lookup (signed-in users)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from hrsys.access.rules import Access
from hrsys.core.handler_params import DbEngine, Limit, Offset
from hrsys.core.pagination import Page
from hrsys.skills.catalog import service
from hrsys.skills.catalog.schemas import FrameworkDetail, FrameworkOut, SkillHit, SkillOut


class FrameworkController(Controller):
    path = "/api/v1/frameworks"
    tags = ["Skills catalog"]

    @get("/", opt={"access": Access.authenticated}, sync_to_thread=False)
    def list_frameworks(self, db_engine: DbEngine) -> list[FrameworkOut]:
        """Every imported framework with its source, licence and number of active skills."""
        return service.list_frameworks(db_engine)

    @get("/{code:str}", opt={"access": Access.authenticated}, sync_to_thread=False)
    def read_framework(self, db_engine: DbEngine, code: FromPath[str]) -> FrameworkDetail:
        """A framework with its proficiency scale, skill groups, families and expected-level profiles."""
        return service.framework_detail(db_engine, code)


class SkillController(Controller):
    path = "/api/v1/skills"
    tags = ["Skills catalog"]

    # Runs on the event loop: the query takes about a millisecond and a thread hop costs more.
    @get("/", opt={"access": Access.authenticated}, sync_to_thread=False)
    def search_skills(
        self,
        db_engine: DbEngine,
        q: Annotated[
            str | None,
            QueryParameter(description="Code, FRAMEWORK:CODE, or a substring of a Thai or English name or alias"),
        ] = None,
        framework: Annotated[str | None, QueryParameter(description="Framework code, e.g. TH-DG")] = None,
        group: Annotated[str | None, QueryParameter(description="Skill group code (sub-groups included)")] = None,
        include_retired: Annotated[bool, QueryParameter(description="Also retired skills")] = False,
        limit: Limit = 20,
        offset: Offset = 0,
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
    def read_skill(self, db_engine: DbEngine, ref: FromPath[str]) -> SkillOut:
        """One skill by ``FRAMEWORK:CODE`` with its scale and equivalent skills."""
        return service.read_skill(db_engine, ref)


CONTROLLERS = [FrameworkController, SkillController]
