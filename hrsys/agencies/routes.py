from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from hrsys.access.rules import Access
from hrsys.agencies import service
from hrsys.agencies.models import AgencyKind
from hrsys.agencies.schemas import AgencyCreate, AgencyNode, AgencyOut, AgencyUpdate
from hrsys.core.handler_params import Db


class AgencyController(Controller):
    path = "/api/v1/agencies"
    tags = ["Agencies"]

    @get("/", opt={"access": Access.authenticated}, sync_to_thread=True)
    def list_agencies(
        self,
        db_session: Db,
        parent: Annotated[str | None, QueryParameter(description="Only the children of this agency code")] = None,
        kind: FromQuery[AgencyKind | None] = None,
        q: Annotated[str | None, QueryParameter(description="Substring of a name or code")] = None,
    ) -> list[AgencyOut]:
        """All agencies in tree order, optionally the children of one, of one kind, or matching a name."""
        return service.list_agencies(db_session, parent=parent, kind=kind, q=q)

    @post("/", opt={"access": Access.admin}, sync_to_thread=True)
    def create_agency(self, db_session: Db, data: JSONBody[AgencyCreate]) -> AgencyOut:
        return service.create(db_session, data)

    @get("/{code:str}", opt={"access": Access.authenticated}, sync_to_thread=True)
    def read_agency(self, db_session: Db, code: FromPath[str]) -> AgencyOut:
        return service.read(db_session, code)

    @patch("/{code:str}", opt={"access": Access.admin}, sync_to_thread=True)
    def update_agency(self, db_session: Db, code: FromPath[str], data: JSONBody[AgencyUpdate]) -> AgencyOut:
        """Rename or move an agency. Send the ``version`` you read to refuse stale edits (409)."""
        return service.update(db_session, code, data)

    @delete("/{code:str}", opt={"access": Access.admin}, sync_to_thread=True)
    def delete_agency(self, db_session: Db, code: FromPath[str]) -> None:
        """Delete an empty agency; one that still has people or sub-agencies is a 409."""
        service.delete(db_session, code)

    @get("/{code:str}/children", opt={"access": Access.authenticated}, sync_to_thread=True)
    def children(self, db_session: Db, code: FromPath[str]) -> list[AgencyOut]:
        service.get_by_code(db_session, code)
        return service.list_agencies(db_session, parent=code)

    @get("/{code:str}/subtree", opt={"access": Access.authenticated}, sync_to_thread=True)
    def subtree(self, db_session: Db, code: FromPath[str]) -> AgencyNode:
        """The agency and everything below it, as a nested tree."""
        return service.subtree(db_session, code)
