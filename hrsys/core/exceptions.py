"""Exception handling: every error leaves as RFC 9457 problem details (see :mod:`hrsys.core.errors`).

Litestar's problem-details plugin renders them: each error becomes a
:class:`ProblemDetailsException` (``application/problem+json``; ``type``, ``title``, ``status``,
``detail`` and the members hrsys adds: ``errors``, ``allowed``, ``rule``, ``extra``).
:data:`PROBLEM_DETAILS` maps the errors that need nothing but themselves to their problem
(:class:`AppError`, Litestar's HTTP errors, unique-key and stale-edit conflicts);
:data:`EXCEPTION_HANDLERS` keeps the few that read the request (the body of a 422, the path of
a logged failure). :func:`api_error_response` answers any exception as the API would, for the
pages that answer programs with problems.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from inspect import getmro
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException, ProblemDetailsPlugin
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError

from hrsys.core.errors import PROBLEM_MEDIA_TYPE, AppError, BadRequest, Conflict, FieldError, Invalid, Problem
from hrsys.core.validation import field_errors, struct_of

log = logging.getLogger("hrsys")

_MALFORMED = BadRequest("Malformed JSON body")

HTTP_TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    429: "Too many requests",
}

INTERNAL = Problem(
    type="/problems/internal",
    title="Internal server error",
    status=HTTP_500_INTERNAL_SERVER_ERROR,
    detail="An unexpected error happened; it has been logged.",
)


def as_exception(problem: Problem, headers: dict[str, str] | None = None) -> ProblemDetailsException:
    """The problem as Litestar's problem-details exception: its members beyond RFC 9457's own go in ``extra``."""
    members = msgspec.to_builtins(problem)  # only the members set (``omit_defaults``)
    return ProblemDetailsException(
        status_code=members.pop("status"),
        type_=members.pop("type"),
        title=members.pop("title"),
        detail=members.pop("detail", ""),
        extra=members or None,
        headers=headers,
    )


def problem_response(
    problem: Problem, headers: dict[str, str] | None = None, request: Request[Any, Any, Any] | None = None
) -> Response[Any]:
    """The problem as a response (``application/problem+json``), rendered by Litestar's problem details."""
    return as_exception(problem, headers).to_response(request)  # type: ignore[arg-type]  # unused by Litestar


def problem_body(problem: Problem) -> bytes:
    """The body :func:`problem_response` sends, for answers replaced after their handler ran."""
    response = as_exception(problem).to_response(None)  # type: ignore[arg-type]  # unused by Litestar
    return response.render(response.content, PROBLEM_MEDIA_TYPE)


def _app_error(exc: AppError) -> ProblemDetailsException:
    return as_exception(exc.to_problem())


def _http_exception(exc: HTTPException) -> ProblemDetailsException:
    status = exc.status_code
    if status >= 500:
        log.error("server error: %s", exc.detail)
    problem = Problem(
        type=f"/problems/http-{status}", title=HTTP_TITLES.get(status, "Error"), status=status, detail=str(exc.detail)
    )
    return as_exception(problem, dict(exc.headers) if exc.headers else None)  # 405's Allow, 401's WWW-Authenticate


def _integrity(exc: sa_exc.IntegrityError) -> ProblemDetailsException:
    """A constraint the service did not pre-check: unique/foreign keys are 409, checks 422."""
    message = str(exc.orig)
    lowered = message.lower()
    if "check constraint" in lowered or "violates check" in lowered:
        return _app_error(Invalid(f"a value breaks a rule of the data: {message.splitlines()[0]}"))
    return _app_error(Conflict(f"conflicts with existing data: {message.splitlines()[0]}"))


def _stale(_: StaleDataError) -> ProblemDetailsException:
    return _app_error(
        Conflict("the row was changed by someone else meanwhile; reload and try again", rule="stale_edit")
    )


PROBLEM_MAP: dict[type[Exception], Callable[[Any], ProblemDetailsException]] = {
    AppError: _app_error,
    NotFoundException: _http_exception,
    NotAuthorizedException: _http_exception,
    PermissionDeniedException: _http_exception,
    HTTPException: _http_exception,
    sa_exc.IntegrityError: _integrity,
    StaleDataError: _stale,
}
"""What each error is as a problem; the specific Litestar errors are listed so that they keep answering as
problems on controllers whose own handlers catch ``HTTPException`` (the pages)."""

PROBLEM_DETAILS = ProblemDetailsConfig(exception_to_problem_detail_map=PROBLEM_MAP)


def problem_details_plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(PROBLEM_DETAILS)


def _data_type(request: Request[Any, Any, Any]) -> type[msgspec.Struct] | None:
    """The struct of the handler's body: ``data: S``, or ``data: S | None`` for an optional body."""
    try:
        field = request.route_handler.parsed_fn_signature.parameters.get("data")
    except Exception:  # pragma: no cover - defensive: handler without a signature
        return None
    return struct_of(field.annotation) if field is not None else None


def validation_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """400 for a body that is not JSON, 422 listing every field at fault otherwise."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    body_errors = [e for e in extra if isinstance(e, dict) and e.get("source") == "body"]
    detail = str(exc.detail)
    if "malformed" in detail.lower() or any("malformed" in str(e.get("message", "")).lower() for e in extra):
        return _app_error(_MALFORMED).to_response(request)
    errors: list[FieldError] = []
    data_type = _data_type(request)
    raw_body = request._connection_state.body  # cached by Litestar when it parsed the body
    if body_errors and data_type is not None and isinstance(raw_body, bytes | bytearray):
        try:
            raw = msgspec.json.decode(raw_body)
        except msgspec.DecodeError:
            return _app_error(_MALFORMED).to_response(request)
        errors = field_errors(data_type, raw)
    if not errors:
        for e in extra:
            if isinstance(e, dict):
                key = str(e.get("key") or e.get("source") or "request")
                errors.append(FieldError(key, str(e.get("message", detail))))
    if not errors:
        errors = [FieldError("request", detail)]
    return _app_error(Invalid.many(errors)).to_response(request)


def out_of_range_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A value the database cannot hold that got past the edge checks (:mod:`hrsys.core.edge`): a 422, not a 500.

    SQLite raises ``OverflowError`` for integers beyond 64 bits; PostgreSQL a ``DataError`` for
    numbers out of a column's range, text with NUL characters or values it cannot convert."""
    log.warning("value out of range on %s %s: %s", request.method, request.url.path, exc)
    return _app_error(Invalid.one("request", "a value is out of the range the data can hold")).to_response(request)


def internal_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return as_exception(INTERNAL).to_response(request)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ValidationException: validation_handler,
    sa_exc.DataError: out_of_range_handler,
    OverflowError: out_of_range_handler,
    Exception: internal_handler,
}
"""The handlers that read the request; the app adds :func:`problem_details_plugin` for the rest."""


def api_error_response(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """``exc`` answered as the API answers it (the most specific class that has a problem or a handler)."""
    for cls in getmro(type(exc)):
        if cls in PROBLEM_MAP:
            return PROBLEM_MAP[cls](exc).to_response(request)
        if cls in EXCEPTION_HANDLERS:
            return EXCEPTION_HANDLERS[cls](request, exc)  # type: ignore[no-any-return]
    return internal_handler(request, exc)
