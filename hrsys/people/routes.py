from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hrsys.access.rules import Access
from hrsys.core.pagination import Page
from hrsys.people import service
from hrsys.people.models import PersonKind, PositionLevel, PositionType
from hrsys.people.schemas import PersonCreate, PersonListItem, PersonOut, PersonUpdate
from hrsys.people.service import PeopleSort


class PeopleController(Controller):
    path = "/api/v1/people"
    tags = ["People"]

    # Runs on the event loop: the query is sub-millisecond and a thread hop costs more (README).
    @get("/", opt={"access": Access.hr}, sync_to_thread=False)
    def list_people(
        self,
        db_engine: NamedDependency[Engine],
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
        """People filtered by agency subtree, kind, position, role and current skills, or found by name."""
        return service.list_people(
            db_engine,
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
            extra_conditions=service.skill_conditions(db_engine, skill, min_level),
        )

    @post("/", opt={"access": Access.hr}, sync_to_thread=True)
    def create_person(self, db_session: NamedDependency[Session], data: JSONBody[PersonCreate]) -> PersonOut:
        person = service.create(db_session, data)
        return service.to_out(db_session, person)

    @get("/{person_id:int}", opt={"access": Access.person}, sync_to_thread=True)
    def read_person(self, db_session: NamedDependency[Session], person_id: FromPath[int]) -> PersonOut:
        return service.to_out(db_session, service.get(db_session, person_id))

    @patch("/{person_id:int}", opt={"access": Access.hr}, sync_to_thread=True)
    def update_person(
        self, db_session: NamedDependency[Session], person_id: FromPath[int], data: JSONBody[PersonUpdate]
    ) -> PersonOut:
        """Change some fields. Send the ``version`` you read to refuse stale edits (409)."""
        person = service.update(db_session, person_id, data)
        return service.to_out(db_session, person)

    @delete("/{person_id:int}", opt={"access": Access.hr}, sync_to_thread=True)
    def delete_person(self, db_session: NamedDependency[Session], person_id: FromPath[int]) -> None:
        """Delete a person entered by mistake; anyone with history is a 409 (deactivate instead)."""
        service.delete(db_session, person_id)
