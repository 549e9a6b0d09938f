"""What every page shares: the template context, rendering, errors as pages, the base controller.

Pages are server-rendered (Jinja2) and work without JavaScript. Every route
declares its access rule like the API's; a page that needs a sign-in sends the
visitor to the sign-in page, a role that may not see a page gets a readable 403
page, and any failure is a readable page (never a stack trace). Forms post with
the CSRF secret handed out at sign-in (``_csrf``), which the access guard checks.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template

from hrsys.access.identity import CurrentUser
from hrsys.access.policy import CSRF_COOKIE, CSRF_FORM_FIELD
from hrsys.core import clock
from hrsys.core.errors import AppError, BadRequest, FieldError, Forbidden, NotFound, Unauthorized
from hrsys.core.exceptions import api_error_response
from hrsys.web import i18n

log = logging.getLogger("hrsys.web")

SIGN_IN = "/sign-in"

PageRequest = Request[Any, Any, Any]
"""The request a page handler or helper takes."""


def lang_of(request: PageRequest) -> str:
    return i18n.pick_lang(request.cookies.get(i18n.LANG_COOKIE))


def page_context(request: PageRequest, lang: str | None = None) -> dict[str, Any]:
    """What every template gets: language and formatters, the user, the CSRF secret for forms."""
    lang = lang or lang_of(request)
    user: CurrentUser | None = request.scope.get("user")
    return {
        "lang": lang,
        "t": i18n.translator(lang),
        "d": lambda v: i18n.format_date(v, lang),
        "n": lambda v, digits=0: i18n.format_number(v, lang, digits),
        "baht": lambda v: i18n.format_baht(v, lang),
        "pct": lambda v: i18n.format_percent(v, lang),
        "pick": lambda en, th: i18n.pick(lang, en, th),
        "label": lambda v: i18n.label(v, lang),
        "bangkok": clock.zone,  # the zone of HRSYS_TIMEZONE: times and dates shown on pages
        "user": user,
        "csrf": request.cookies.get(CSRF_COOKIE, ""),
        "csrf_field": CSRF_FORM_FIELD,
        "path": request.url.path,
        "path_qs": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }


def render(request: PageRequest, name: str, status_code: int = 200, **context: Any) -> Template:
    return Template(template_name=name, context={**page_context(request), **context}, status_code=status_code)


def error_page(request: PageRequest, status: int, message: str, errors: list[FieldError] | None = None):  # type: ignore[no-untyped-def]
    return render(request, "error.html", status_code=status, message=message, errors=errors or [])


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def api_caller(request: PageRequest) -> bool:
    """A program rather than a browser: it sends JSON, or accepts JSON and not HTML. It gets the API's
    problem documents (application/problem+json) instead of pages."""
    content_type = request.headers.get("content-type", "")
    accept = request.headers.get("accept", "")
    return content_type.startswith("application/json") or ("json" in accept and "text/html" not in accept)


def require_form(request: PageRequest) -> None:
    """Page forms post form data; anything else is a 400 (problem document for programs)."""
    if not request.headers.get("content-type", "").startswith(FORM_TYPES):
        raise BadRequest("this page takes an HTML form (application/x-www-form-urlencoded or multipart/form-data)")


def as_api(request: PageRequest, exc: Exception) -> Response[Any]:
    return api_error_response(request, exc)


def page_app_error(request: PageRequest, exc: AppError) -> Response[Any]:
    """Service refusals as pages: 401 goes to the sign-in page, the rest say what happened in words."""
    if api_caller(request):
        return as_api(request, exc)
    t = i18n.translator(lang_of(request))
    if isinstance(exc, Unauthorized):
        return Redirect(f"{SIGN_IN}?next={quote(request.url.path)}", status_code=303)
    if isinstance(exc, Forbidden):
        if "CSRF" in exc.detail:  # a form from an old page or another site: say so, not "your role"
            return error_page(request, 403, t("csrf"))
        return error_page(request, 403, t("forbidden"))
    if isinstance(exc, NotFound):
        return error_page(request, 404, t("not_found"))
    return error_page(request, exc.status, f"{t('conflict') if exc.status == 409 else t('bad_input')} {exc.detail}",
                       exc.errors)  # fmt: skip


def page_http_error(request: PageRequest, exc: HTTPException) -> Response[Any]:
    if api_caller(request):
        return as_api(request, exc)
    t = i18n.translator(lang_of(request))
    if exc.status_code == 401:
        return Redirect(f"{SIGN_IN}?next={quote(request.url.path)}", status_code=303)
    if exc.status_code == 404:
        return error_page(request, 404, t("not_found"))
    if exc.status_code == 403:
        return error_page(request, 403, t("forbidden"))
    if exc.status_code >= 500:
        return page_internal_error(request, exc)
    return error_page(request, exc.status_code, f"{t('bad_input')} {exc.detail}")


def page_internal_error(request: PageRequest, exc: Exception) -> Response[Any]:
    if api_caller(request):
        return as_api(request, exc)
    ref = secrets.token_hex(4)
    log.exception("page %s failed (reference %s)", request.url.path, ref, exc_info=exc)
    return error_page(request, 500, i18n.translate("server_error", lang_of(request), ref=ref))


PAGE_ERRORS: dict[Any, Any] = {
    AppError: page_app_error,
    HTTPException: page_http_error,
    Exception: page_internal_error,
}


class PageController(Controller):
    """Base of the page controllers: HTML errors, no OpenAPI entries."""

    exception_handlers = PAGE_ERRORS
    include_in_schema = False
