"""Exception handlers: every error leaves as RFC 9457 problem details (see :mod:`hrsys.core.errors`)."""

from __future__ import annotations

import logging
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
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError

from hrsys.core.errors import PROBLEM_MEDIA_TYPE, AppError, Conflict, FieldError, Invalid, Problem
from hrsys.core.validation import field_errors, struct_of

log = logging.getLogger("hrsys")


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        content=msgspec.json.encode(problem),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def app_error_handler(_: Request[Any, Any, Any], exc: AppError) -> Response[Any]:
    return problem_response(exc.to_problem())


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
        return problem_response(
            Problem(type="/problems/bad-request", title="Bad request", status=400, detail="Malformed JSON body")
        )
    errors: list[FieldError] = []
    data_type = _data_type(request)
    raw_body = request._connection_state.body  # cached by Litestar when it parsed the body
    if body_errors and data_type is not None and isinstance(raw_body, bytes | bytearray):
        try:
            raw = msgspec.json.decode(raw_body)
        except msgspec.DecodeError:
            return problem_response(
                Problem(
                    type="/problems/bad-request",
                    title="Bad request",
                    status=400,
                    detail="Malformed JSON body",
                )
            )
        errors = field_errors(data_type, raw)
    if not errors:
        for e in extra:
            if isinstance(e, dict):
                key = str(e.get("key") or e.get("source") or "request")
                errors.append(FieldError(key, str(e.get("message", detail))))
    if not errors:
        errors = [FieldError("request", detail)]
    return problem_response(Invalid.many(errors).to_problem())


def http_exception_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    titles = {
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
    if status >= 500:
        log.error("server error: %s", exc.detail)
    return problem_response(
        Problem(
            type=f"/problems/http-{status}",
            title=titles.get(status, "Error"),
            status=status,
            detail=str(exc.detail),
        ),
        headers=dict(exc.headers) if exc.headers else None,  # 405's Allow, 401's WWW-Authenticate
    )


def integrity_handler(_: Request[Any, Any, Any], exc: sa_exc.IntegrityError) -> Response[Any]:
    """A constraint the service did not pre-check: unique/foreign keys are 409, checks 422."""
    message = str(exc.orig)
    lowered = message.lower()
    if "check constraint" in lowered or "violates check" in lowered:
        return problem_response(Invalid(f"a value breaks a rule of the data: {message.splitlines()[0]}").to_problem())
    return problem_response(Conflict(f"conflicts with existing data: {message.splitlines()[0]}").to_problem())


def out_of_range_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A value the database cannot hold that got past the edge checks (:mod:`hrsys.core.edge`): a 422, not a 500.

    SQLite raises ``OverflowError`` for integers beyond 64 bits; PostgreSQL a ``DataError`` for
    numbers out of a column's range, text with NUL characters or values it cannot convert."""
    log.warning("value out of range on %s %s: %s", request.method, request.url.path, exc)
    return problem_response(Invalid.one("request", "a value is out of the range the data can hold").to_problem())


def stale_handler(_: Request[Any, Any, Any], exc: StaleDataError) -> Response[Any]:
    return problem_response(
        Conflict("the row was changed by someone else meanwhile; reload and try again", rule="stale_edit").to_problem()
    )


def internal_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        Problem(
            type="/problems/internal",
            title="Internal server error",
            status=HTTP_500_INTERNAL_SERVER_ERROR,
            detail="An unexpected error happened; it has been logged.",
        )
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    AppError: app_error_handler,
    ValidationException: validation_handler,
    NotFoundException: http_exception_handler,
    NotAuthorizedException: http_exception_handler,
    PermissionDeniedException: http_exception_handler,
    HTTPException: http_exception_handler,
    sa_exc.IntegrityError: integrity_handler,
    sa_exc.DataError: out_of_range_handler,
    OverflowError: out_of_range_handler,
    StaleDataError: stale_handler,
    Exception: internal_handler,
}
