from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.access import audit, scope
from hrsys.access.guard import signed_in
from hrsys.access.identity import CurrentUser
from hrsys.access.masking import mask
from hrsys.access.rules import Access
from hrsys.core.pagination import Page
from hrsys.people import service
from hrsys.people.models import PersonKind, PositionLevel, PositionType
from hrsys.people.schemas import PersonCreate, PersonListItem, PersonOut, PersonUpdate
from hrsys.people.service import PeopleSort


class PeopleController(Controller):
    path = "/api/v1/people"
    tags = ["People"]

    @get("/", opt={"access": Access.hr})
    async def list_people(
        self,
        request: Request[CurrentUser | None, Any, Any],
        agency: Annotated[
            str | None, QueryParameter(description="Agency code: that agency and its sub-agencies")
        ] = None,
        kind: FromQuery[PersonKind | None] = None,
        position_type: FromQuery[PositionType | None] = None,
        position_level: FromQuery[PositionLevel | None] = None,
        role: Annotated[str | None, QueryParameter(description="Current role code")] = None,
        q: Annotated[
            str | None, QueryParameter(description="Substring of a Thai or English name", max_length=100)
        ] = None,
        active: FromQuery[bool | None] = None,
        skill: Annotated[
            list[str] | None,
            QueryParameter(
                description="Holds this skill now: FRAMEWORK:CODE, optionally @LEVEL (e.g. TH-DG:DU02@3); "
                "repeat for several skills (all required)"
            ),
        ] = None,
        min_level: Annotated[
            int, QueryParameter(ge=0, le=10, description="Minimum level for skills given without @LEVEL")
        ] = 1,
        sort: FromQuery[PeopleSort] = PeopleSort.id,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> Page[PersonListItem]:
        """People filtered by agency subtree, kind, position, role and current skills, or found by name.

        HR officers see the people of their agency subtree only.
        """
        # The hottest read: the engine and the user come straight from the request (no dependency
        # injection, which costs a task group per request); one round trip, prepared per filter
        # shape; inline on SQLite, on asyncpg in the event loop on PostgreSQL.
        engine: Engine = request.app.state.engine
        return await service.list_people_for_async(
            engine,
            request.app.state.hot_reads,
            signed_in(request),
            skills=skill,
            min_level=min_level,
            agency=agency,
            kind=kind,
            position_type=position_type,
            position_level=position_level,
            role=role,
            q=q,
            active=active,
            sort=sort,
            limit=limit,
            offset=offset,
        )

    @post("/", opt={"access": Access.hr}, sync_to_thread=True)
    def create_person(
        self,
        db_session: NamedDependency[Session],
        current_user: NamedDependency[CurrentUser],
        data: JSONBody[PersonCreate],
    ) -> PersonOut:
        """Add a person. HR officers add civil servants of their agency subtree, and external experts."""
        scope.require_agency_code(db_session, current_user, data.agency)
        person = service.create(db_session, data)
        return service.to_out(db_session, person)

    @get("/{person_id:int}", opt={"access": Access.person}, sync_to_thread=True)
    def read_person(
        self,
        db_session: NamedDependency[Session],
        current_user: NamedDependency[CurrentUser],
        person_id: FromPath[int],
    ) -> PersonOut:
        """A person's record: yourself, people in your scope (sensitive fields masked for a limited view).

        A person outside your scope is a 404. Reading someone else leaves an audit event.
        """
        vis = scope.require_person(db_session, current_user, person_id)
        out = service.to_out(db_session, service.get(db_session, person_id))
        if current_user.person_id != person_id:
            # A GET's session is read-only on SQLite: the event is queued, and committed before the answer leaves
            view = {"view": vis.name}
            audit.record(
                db_session, action="read", entity="person", entity_id=person_id, person_id=person_id, after=view
            )
        return out if vis is scope.Visibility.full else mask(out)

    @patch("/{person_id:int}", opt={"access": Access.hr}, sync_to_thread=True)
    def update_person(
        self,
        db_session: NamedDependency[Session],
        current_user: NamedDependency[CurrentUser],
        person_id: FromPath[int],
        data: JSONBody[PersonUpdate],
    ) -> PersonOut:
        """Change some fields. Send the ``version`` you read to refuse stale edits (409)."""
        scope.require_person(db_session, current_user, person_id, write=True)
        if isinstance(data.agency, str):
            scope.require_agency_code(db_session, current_user, data.agency)
        person = service.update(db_session, person_id, data)
        return service.to_out(db_session, person)

    @delete("/{person_id:int}", opt={"access": Access.hr}, sync_to_thread=True)
    def delete_person(
        self,
        db_session: NamedDependency[Session],
        current_user: NamedDependency[CurrentUser],
        person_id: FromPath[int],
    ) -> None:
        """Delete a person entered by mistake; anyone with history is a 409 (deactivate instead)."""
        scope.require_person(db_session, current_user, person_id, write=True)
        service.delete(db_session, person_id)
