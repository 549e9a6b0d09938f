from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Response, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from hrsys.access.guard import person_guard, query_agency_guard
from hrsys.access.rules import Access
from hrsys.careers import roles, service, succession
from hrsys.careers.models import Track
from hrsys.careers.schemas import (
    BenchOut,
    GapOut,
    GraphOut,
    NextMovesOut,
    PathsOut,
    RoleCreate,
    RoleListItem,
    RoleOut,
    RoleUpdate,
    TransitionCreate,
    TransitionOut,
    TransitionUpdate,
)
from hrsys.core.handler_params import Db, DbEngine

SVG_MEDIA_TYPE = "image/svg+xml"


class RoleController(Controller):
    """Roles are a national catalog: everyone signed in reads them, administrators change them."""

    path = "/api/v1/roles"
    tags = ["Roles and career paths"]

    @get("/", opt={"access": Access.authenticated}, sync_to_thread=True)
    def list_roles(
        self,
        db_session: Db,
        track: FromQuery[Track | None] = None,
        level: Annotated[int | None, QueryParameter(ge=1, le=12)] = None,
        q: Annotated[str | None, QueryParameter(description="Substring of a code or title", max_length=100)] = None,
        critical: FromQuery[bool | None] = None,
        include_retired: FromQuery[bool] = False,
    ) -> list[RoleListItem]:
        """Roles by track and level, optionally filtered."""
        return roles.list_roles(
            db_session, track=track, level=level, q=q, critical=critical, include_retired=include_retired
        )

    @post("/", opt={"access": Access.admin}, sync_to_thread=True)
    def create_role(self, db_session: Db, data: JSONBody[RoleCreate]) -> RoleOut:
        """A role with its requirements (skills as ``FRAMEWORK:CODE``)."""
        return roles.role_out(db_session, roles.create_role(db_session, data))

    @get("/graph", opt={"access": Access.authenticated}, sync_to_thread=True)
    def read_graph(
        self,
        db_engine: DbEngine,
        format: Annotated[Literal["json", "svg"], QueryParameter(description="json (default) or svg")] = "json",
        around: Annotated[str | None, QueryParameter(description="Only the roles near this role code")] = None,
        radius: Annotated[int, QueryParameter(ge=1, le=6, description="Transitions away from `around`")] = 1,
        track: FromQuery[Track | None] = None,
        lang: Annotated[Literal["en", "th"], QueryParameter(description="Titles in the SVG")] = "en",
        include_retired: FromQuery[bool] = True,
    ) -> Response[bytes] | GraphOut:
        """The career-path graph: nodes (roles) and edges (transitions), as JSON or as an SVG picture."""
        if format == "svg":
            svg = service.graph_svg(
                db_engine, around=around, radius=radius, track=track, lang=lang, include_retired=include_retired
            )
            return Response(svg.encode(), media_type=SVG_MEDIA_TYPE)
        return service.graph(db_engine, around=around, radius=radius, track=track, include_retired=include_retired)

    @get("/{code:str}", opt={"access": Access.authenticated}, sync_to_thread=True)
    def read_role(self, db_session: Db, code: FromPath[str]) -> RoleOut:
        return roles.role_out(db_session, roles.get_role(db_session, code))

    @patch("/{code:str}", opt={"access": Access.admin}, sync_to_thread=True)
    def update_role(self, db_session: Db, code: FromPath[str], data: JSONBody[RoleUpdate]) -> RoleOut:
        """Change fields; ``requirements`` replaces the whole set. Send ``version`` to refuse stale edits (409)."""
        return roles.role_out(db_session, roles.update_role(db_session, code, data))

    @delete("/{code:str}", opt={"access": Access.admin}, sync_to_thread=True)
    def delete_role(self, db_session: Db, code: FromPath[str]) -> None:
        """Delete a role nobody holds or plans toward (else 409: retire it)."""
        roles.delete_role(db_session, code)

    @get("/{code:str}/bench", opt={"access": Access.hr}, sync_to_thread=True, guards=[query_agency_guard()])
    def bench(
        self,
        db_engine: DbEngine,
        code: FromPath[str],
        agency: Annotated[str | None, QueryParameter(description="Agency code: that agency and its subtree")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
        include_incumbents: FromQuery[bool] = False,
        min_share: Annotated[
            float, QueryParameter(ge=0, le=1, description="Share of essential requirements met to be on the bench")
        ] = succession.DEFAULT_MIN_SHARE,
    ) -> BenchOut:
        """Bench strength and succession: people ranked by readiness, with counts ready now and one plan away."""
        return succession.bench_strength(
            db_engine, code, agency=agency, limit=limit, include_incumbents=include_incumbents, min_share=min_share
        )


class TransitionController(Controller):
    path = "/api/v1/transitions"
    tags = ["Roles and career paths"]

    @get("/", opt={"access": Access.authenticated}, sync_to_thread=True)
    def list_transitions(
        self,
        db_session: Db,
        from_role: Annotated[str | None, QueryParameter(name="from", description="Role code")] = None,
        to_role: Annotated[str | None, QueryParameter(name="to", description="Role code")] = None,
    ) -> list[TransitionOut]:
        return roles.list_transitions(db_session, from_role=from_role, to_role=to_role)

    @post("/", opt={"access": Access.admin}, sync_to_thread=True)
    def create_transition(self, db_session: Db, data: JSONBody[TransitionCreate]) -> TransitionOut:
        """A move between roles. A self-loop is a 422; so is a promotion or specialisation that closes a cycle."""
        return roles.transition_out(db_session, roles.create_transition(db_session, data))

    @get("/{transition_id:int}", opt={"access": Access.authenticated}, sync_to_thread=True)
    def read_transition(self, db_session: Db, transition_id: FromPath[int]) -> TransitionOut:
        return roles.transition_out(db_session, roles.get_transition(db_session, transition_id))

    @patch("/{transition_id:int}", opt={"access": Access.admin}, sync_to_thread=True)
    def update_transition(
        self, db_session: Db, transition_id: FromPath[int], data: JSONBody[TransitionUpdate]
    ) -> TransitionOut:
        return roles.transition_out(db_session, roles.update_transition(db_session, transition_id, data))

    @delete("/{transition_id:int}", opt={"access": Access.admin}, sync_to_thread=True)
    def delete_transition(self, db_session: Db, transition_id: FromPath[int]) -> None:
        roles.delete_transition(db_session, transition_id)


class PersonCareerController(Controller):
    path = "/api/v1/people/{person_id:int}"
    guards = [person_guard()]  # 404 outside the reader's scope; reads of others are audited
    tags = ["Roles and career paths"]

    @get("/gap", opt={"access": Access.person}, sync_to_thread=True)
    def gap(
        self,
        db_engine: DbEngine,
        person_id: FromPath[int],
        role: Annotated[str | None, QueryParameter(description="Role code; default: the person's current role")] = None,
    ) -> GapOut:
        """Per requirement what the person has, needs and lacks, and the readiness score (formula included)."""
        return service.person_gap(db_engine, person_id, role)

    @get("/paths", opt={"access": Access.person}, sync_to_thread=True)
    def paths(
        self,
        db_engine: DbEngine,
        person_id: FromPath[int],
        to: Annotated[str, QueryParameter(description="Target role code")],
        k: Annotated[int, QueryParameter(ge=1, le=10)] = 3,
        from_role: Annotated[
            str | None, QueryParameter(name="from", description="Start role; default: the current role")
        ] = None,
        years_weight: Annotated[float, QueryParameter(ge=0, le=10, description="Cost of one year in levels")] = 1.0,
    ) -> PathsOut:
        """The k best career paths to a role, with the gap at every step. No path at all is a 404 that says why."""
        return service.person_paths(db_engine, person_id, to, k=k, from_role=from_role, years_weight=years_weight)

    @get("/next-moves", opt={"access": Access.person}, sync_to_thread=True)
    def next_moves(
        self,
        db_engine: DbEngine,
        person_id: FromPath[int],
        from_role: Annotated[
            str | None, QueryParameter(name="from", description="Start role; default: the current role")
        ] = None,
    ) -> NextMovesOut:
        """Roles one transition away, most ready first."""
        return service.person_next_moves(db_engine, person_id, from_role=from_role)


CONTROLLERS = [RoleController, TransitionController, PersonCareerController]
