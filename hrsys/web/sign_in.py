"""The start page, the sign-in form, signing out and the language switch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Response, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from hrsys.access import service as access_service
from hrsys.access.guard import client_address
from hrsys.access.identity import CurrentUser, User
from hrsys.access.policy import CSRF_COOKIE, SESSION_COOKIE
from hrsys.access.rules import Access
from hrsys.core import clock
from hrsys.core.errors import Unauthorized
from hrsys.core.handler_params import Db, DbEngine
from hrsys.web import i18n
from hrsys.web.pages import SIGN_IN, PageController, PageRequest, lang_of, render, require_form


def safe_next(target: str | None) -> str:
    """Only same-site paths (no ``//host`` or scheme): an open redirect would help phishing."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def home_of(user: CurrentUser) -> str:
    if user.is_hr or user.is_admin:
        return "/hr"
    if user.is_lead:
        return "/lead"
    return "/me"


@dataclass
class SignInForm:
    username: str = ""
    password: str = ""
    next: str = "/"


class SignInController(PageController):
    @get("/", opt={"access": Access.public}, sync_to_thread=False)
    def home(self, request: PageRequest) -> Redirect:
        """The start page of each kind of user (the sign-in page for visitors)."""
        user: CurrentUser | None = request.scope.get("user")
        return Redirect(home_of(user) if user else SIGN_IN, status_code=303)

    @get(SIGN_IN, opt={"access": Access.public}, sync_to_thread=False)
    def sign_in_page(self, request: PageRequest, next: FromQuery[str] = "/") -> Template:
        return render(request, "sign_in.html", next=safe_next(next), error=None, username="")

    @post(SIGN_IN, opt={"access": Access.public}, sync_to_thread=True, status_code=303)
    def sign_in(
        self,
        request: PageRequest,
        db_engine: DbEngine,
        data: Annotated[SignInForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        """Check the pair with the access service and set the same cookies as the JSON sign-in."""
        require_form(request)
        t = i18n.translator(lang_of(request))
        target = safe_next(data.next)
        if not data.username.strip() or not data.password:
            return render(request, "sign_in.html", 422, next=target, error=t("fill_both"), username=data.username)
        settings = request.app.state.settings
        access = request.app.state.access
        try:
            signed = access_service.sign_in(
                db_engine,
                access,
                key=request.app.state.secret_key,
                token_minutes=settings.token_minutes,
                username=data.username.strip(),
                password=data.password,
                address=client_address(request.scope),
            )
        except access_service.LoginRefused as exc:
            minutes = max(1, (exc.retry_after_seconds + 59) // 60)
            response = render(request, "sign_in.html", 429, next=target, error=t("locked", minutes=minutes),
                              username=data.username)  # fmt: skip
            response.headers["Retry-After"] = str(exc.retry_after_seconds)
            return response
        except Unauthorized:
            return render(request, "sign_in.html", 401, next=target, error=t("bad_login"), username=data.username)
        issued = signed.issued
        max_age = max(1, int((issued.expires_at - clock.now()).total_seconds()))
        secure = access.cookie_secure
        cookies = [
            Cookie(key=SESSION_COOKIE, value=issued.token, httponly=True, secure=secure, samesite="lax", path="/",
                   max_age=max_age),
            Cookie(key=CSRF_COOKIE, value=issued.csrf_token, httponly=False, secure=secure, samesite="strict",
                   path="/"),
        ]  # fmt: skip
        return Redirect(target, status_code=303, cookies=cookies)

    @post("/sign-out", opt={"access": Access.authenticated}, sync_to_thread=True, status_code=303)
    def sign_out(self, db_session: Db, current_user: User) -> Redirect:
        """Sign out everywhere (as the API's logout) and clear the cookies."""
        access_service.sign_out(db_session, current_user)
        response = Redirect(SIGN_IN, status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(CSRF_COOKIE, path="/")
        return response

    @get("/lang/{code:str}", opt={"access": Access.public}, sync_to_thread=False)
    def switch_language(self, code: FromPath[str], next: FromQuery[str] = "/") -> Redirect:
        """Switch the language and remember it for a year in a cookie."""
        lang = i18n.pick_lang(code)
        cookie = Cookie(key=i18n.LANG_COOKIE, value=lang, path="/", max_age=365 * 86400, samesite="lax")
        return Redirect(safe_next(next), status_code=303, cookies=[cookie])
