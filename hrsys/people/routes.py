"""``/api/v1/people``: the list (its query parameters derived from the declared filters) and one person."""

from __future__ import annotations

import inspect
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.engine import Engine

from hrsys.access import audit, scope
from hrsys.access.guard import signed_in
from hrsys.access.identity import CurrentUser, User
from hrsys.access.masking import mask
from hrsys.access.rules import Access
from hrsys.core.handler_params import Db, Limit, Offset
from hrsys.core.pagination import Page
from hrsys.people import list_filters, listing, service
from hrsys.people.list_filters import SEARCH_ORDER, Param
from hrsys.people.list_sql import PeopleSort
from hrsys.people.schemas import PersonCreate, PersonListItem, PersonOut, PersonUpdate

_SEARCH = Param(
    "q", Annotated[str | None, QueryParameter(description="Substring of a Thai or English name", max_length=100)]
)
_PAGE = (
    Param("sort", FromQuery[PeopleSort], PeopleSort.id),
    Param("limit", Limit, 50),
    Param("offset", Offset, 0),
)


def _list_parameters() -> list[Param]:
    """The list's query parameters: every declared filter's, the name search and the page, in order."""
    ordered = [(f.order, p) for f in list_filters.declared() for p in f.params]
    ordered.append((SEARCH_ORDER, _SEARCH))
    return [p for _, p in sorted(ordered, key=lambda pair: pair[0])] + list(_PAGE)


async def _list_people(
    self: Controller, request: Request[CurrentUser | None, Any, Any], **values: Any
) -> Page[PersonListItem]:
    """People filtered by agency subtree, kind, position, role and current skills, or found by name.

    HR officers see the people of their agency subtree only.
    """
    # The hottest read: the engine and the user come straight from the request (no dependency
    # injection, which costs a task group per request); one round trip, prepared per filter
    # shape; inline on SQLite, on asyncpg in the event loop on PostgreSQL.
    engine: Engine = request.app.state.engine
    return await listing.list_people_for_async(engine, request.app.state.hot_reads, signed_in(request), **values)


def _list_handler() -> Any:
    """``GET /api/v1/people`` with a query parameter for each declared filter (read when the app is built,
    after every domain registered its filters)."""

    async def list_people(self: Controller, request: Request[CurrentUser | None, Any, Any], **values: Any) -> Any:
        return await _list_people(self, request, **values)

    params = _list_parameters()
    kind = inspect.Parameter.KEYWORD_ONLY
    list_people.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            *(inspect.Parameter(p.name, kind, default=p.default) for p in params),
        ]
    )
    list_people.__annotations__ = {
        "request": Request[CurrentUser | None, Any, Any],
        **{p.name: p.annotation for p in params},
        "return": Page[PersonListItem],
    }
    list_people.__doc__ = _list_people.__doc__
    return get("/", opt={"access": Access.hr})(list_people)


def people_controller() -> type[Controller]:
    """The people controller, its list's parameters from the filters declared by now (app composition)."""
    return type("PeopleController", (PeopleController,), {"list_people": _list_handler()})


class PeopleController(Controller):
    path = "/api/v1/people"
    tags = ["People"]

    @post("/", opt={"access": Access.hr}, sync_to_thread=True)
    def create_person(
        self,
        db_session: Db,
        current_user: User,
        data: JSONBody[PersonCreate],
    ) -> PersonOut:
        """Add a person. HR officers add civil servants of their agency subtree, and external experts."""
        scope.require_agency_code(db_session, current_user, data.agency)
        person = service.create(db_session, data)
        return service.to_out(db_session, person)

    @get("/{person_id:int}", opt={"access": Access.person}, sync_to_thread=True)
    def read_person(
        self,
        db_session: Db,
        current_user: User,
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
        db_session: Db,
        current_user: User,
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
        db_session: Db,
        current_user: User,
        person_id: FromPath[int],
    ) -> None:
        """Delete a person entered by mistake; anyone with history is a 409 (deactivate instead)."""
        scope.require_person(db_session, current_user, person_id, write=True)
        service.delete(db_session, person_id)
