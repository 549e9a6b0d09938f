"""Sign-in and sign-out, users, the audit trail and PDPA duties: thin handlers over :mod:`hrsys.access.service`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.orm import Session

from hrsys.access import audit, pdpa, service, tokens
from hrsys.access.guard import client_address
from hrsys.access.identity import User
from hrsys.access.models import UserRole
from hrsys.access.policy import CSRF_COOKIE, SESSION_COOKIE, AccessSettings
from hrsys.access.rules import Access
from hrsys.access.schemas import (
    AnonymiseResult,
    AuditEventOut,
    LoginInput,
    LoginOut,
    PasswordChange,
    UserCreate,
    UserOut,
    UserUpdate,
)
from hrsys.access.scope import Visibility, require_person
from hrsys.config import Settings
from hrsys.core import clock
from hrsys.core.exceptions import problem_response
from hrsys.core.handler_params import Db, DbEngine, Limit, Offset
from hrsys.core.pagination import Page


def _access(request: Request[Any, Any, Any]) -> AccessSettings:
    return request.app.state.access


def _cookies(request: Request[Any, Any, Any], out: LoginOut) -> list[Cookie]:
    secure = _access(request).cookie_secure
    max_age = max(1, int((out.expires_at - clock.now()).total_seconds()))
    return [
        Cookie(
            key=SESSION_COOKIE,
            value=out.access_token,
            httponly=True,
            secure=secure,
            samesite="lax",
            path="/",
            max_age=max_age,
        ),
        Cookie(key=CSRF_COOKIE, value=out.csrf_token, httponly=False, secure=secure, samesite="strict", path="/"),
    ]


def _signed_in(
    request: Request[Any, Any, Any], session: Session, signed: service.SignedIn, *, cookies: bool = True
) -> Response[LoginOut]:
    """The sign-in answer: the token, the CSRF secret and the user; with the cookies unless the caller uses none."""
    out = LoginOut(
        access_token=signed.issued.token,
        token_type="bearer",
        expires_at=signed.issued.expires_at,
        csrf_token=signed.issued.csrf_token,
        user=service.user_out(session, service.get_user(session, signed.user_id)),
    )
    return Response(out, cookies=_cookies(request, out) if cookies else [])


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["Sign-in"]

    @post("/login", opt={"access": Access.public}, sync_to_thread=True, status_code=200)
    def login(
        self,
        request: Request[Any, Any, Any],
        db_engine: DbEngine,
        db_session: Db,
        data: JSONBody[LoginInput],
    ) -> Response[Any]:
        """Sign in: a bearer token for the API, and a session cookie (HTTP-only) plus CSRF secret for web pages.

        401 "wrong user name or password" for any bad pair; 429 with ``Retry-After``
        while the user name or the address is locked out.
        """
        settings: Settings = request.app.state.settings
        try:
            signed = service.sign_in(
                db_engine,
                _access(request),
                key=request.app.state.secret_key,
                token_minutes=settings.token_minutes,
                username=data.username,
                password=data.password,
                address=client_address(request.scope),
            )
        except service.LoginRefused as exc:
            return problem_response(exc.to_problem(), headers={"Retry-After": str(exc.retry_after_seconds)})
        return _signed_in(request, db_session, signed)

    @post("/logout", opt={"access": Access.authenticated}, sync_to_thread=True, status_code=204)
    def logout(self, db_session: Db, current_user: User) -> Response[None]:
        """Sign out everywhere: every token of this user stops working, and the cookies are cleared."""
        service.sign_out(db_session, current_user)
        response: Response[None] = Response(None, status_code=204)
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(CSRF_COOKIE, path="/")
        return response

    @get("/me", opt={"access": Access.authenticated}, sync_to_thread=True)
    def me(self, db_session: Db, current_user: User) -> UserOut:
        return service.user_out(db_session, service.get_user(db_session, current_user.id))

    @post("/password", opt={"access": Access.authenticated}, sync_to_thread=True, status_code=200)
    def change_password(
        self,
        request: Request[Any, Any, Any],
        db_session: Db,
        current_user: User,
        data: JSONBody[PasswordChange],
    ) -> Response[LoginOut]:
        """Change your password; every other sign-in ends and this one gets a new token."""
        settings: Settings = request.app.state.settings
        user = service.change_password(db_session, _access(request), current_user, data)
        issued = tokens.issue(request.app.state.secret_key, user.id, user.token_generation, settings.token_minutes)
        signed = service.SignedIn(user_id=user.id, issued=issued)
        return _signed_in(request, db_session, signed, cookies=current_user.via == "cookie")


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["Users"]

    @get("/", opt={"access": Access.admin}, sync_to_thread=True)
    def list_users(
        self,
        db_session: Db,
        role: FromQuery[UserRole | None] = None,
        agency: Annotated[str | None, QueryParameter(description="Agency code of HR officers")] = None,
        q: Annotated[str | None, QueryParameter(description="Substring of the user name", max_length=100)] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[UserOut]:
        return service.list_users(db_session, role=role, agency=agency, q=q, limit=limit, offset=offset)

    @post("/", opt={"access": Access.admin}, sync_to_thread=True)
    def create_user(self, request: Request[Any, Any, Any], db_session: Db, data: JSONBody[UserCreate]) -> UserOut:
        """Create a user. HR officers need an agency (their scope); staff and leads a person."""
        return service.user_out(db_session, service.create_user(db_session, _access(request), data))

    @get("/{user_id:int}", opt={"access": Access.admin}, sync_to_thread=True)
    def read_user(self, db_session: Db, user_id: FromPath[int]) -> UserOut:
        return service.user_out(db_session, service.get_user(db_session, user_id))

    @patch("/{user_id:int}", opt={"access": Access.admin}, sync_to_thread=True)
    def update_user(
        self,
        request: Request[Any, Any, Any],
        db_session: Db,
        user_id: FromPath[int],
        data: JSONBody[UserUpdate],
    ) -> UserOut:
        """Change role, scope, person, e-mail, activity or password; such changes sign the user out."""
        return service.user_out(db_session, service.update_user(db_session, _access(request), user_id, data))

    @post("/{user_id:int}/unlock", opt={"access": Access.admin}, sync_to_thread=True, status_code=200)
    def unlock(self, db_session: Db, user_id: FromPath[int]) -> UserOut:
        """Lift a lock-out after failed sign-ins."""
        return service.user_out(db_session, service.unlock(db_session, user_id))


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["Audit"]

    @get("/", opt={"access": Access.admin}, sync_to_thread=True)
    def list_events(
        self,
        db_engine: DbEngine,
        actor: Annotated[str | None, QueryParameter(description="User id or user name of the actor")] = None,
        person: Annotated[int | None, QueryParameter(description="Person the events concern")] = None,
        entity: Annotated[str | None, QueryParameter(description="Table name, e.g. person")] = None,
        action: Annotated[str | None, QueryParameter(description="create, update, delete, read, export ...")] = None,
        since: Annotated[dt.datetime | None, QueryParameter(description="From this time (inclusive)")] = None,
        until: Annotated[dt.datetime | None, QueryParameter(description="Before this time")] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[AuditEventOut]:
        """The audit trail, newest first. Events cannot be changed or deleted."""
        return service.list_audit(
            db_engine,
            actor=actor,
            person=person,
            entity=entity,
            action=action,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )


class PrivacyController(Controller):
    path = "/api/v1"
    tags = ["Privacy (PDPA)"]

    @get("/people/{person_id:int}/export", opt={"access": Access.person}, sync_to_thread=True)
    def export_person(
        self,
        db_session: Db,
        current_user: User,
        person_id: FromPath[int],
    ) -> dict[str, Any]:
        """Everything hrsys holds about a person (PDPA subject access): the person, an HR officer in scope, admins."""
        require_person(db_session, current_user, person_id, need=Visibility.full)
        data = pdpa.export_person(db_session.connection(), person_id)
        audit.record(db_session, action="export", entity="person", entity_id=person_id, person_id=person_id)
        return data

    @post("/privacy/anonymise-experts", opt={"access": Access.admin}, sync_to_thread=True, status_code=200)
    def anonymise_experts(
        self,
        request: Request[Any, Any, Any],
        db_session: Db,
        dry_run: FromQuery[bool] = True,
        retention_days: Annotated[int | None, QueryParameter(ge=0, le=36500)] = None,
    ) -> AnonymiseResult:
        """Anonymise external experts whose last engagement ended more than the retention period ago.

        ``dry_run=true`` (the default) only lists them.
        """
        days = retention_days if retention_days is not None else _access(request).expert_retention_days
        return pdpa.anonymise_experts(db_session, today=clock.today(), retention_days=days, dry_run=dry_run)


CONTROLLERS = [AuthController, UserController, AuditController, PrivacyController]
