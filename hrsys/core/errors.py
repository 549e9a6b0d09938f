"""One error shape for the whole API: RFC 9457 ``application/problem+json``.

Every 4xx carries ``type``, ``title``, ``status``, ``detail`` and, where fields
are at fault, ``errors``: a list of ``{"field": ..., "reason": ...}``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import msgspec

from hrsys.core.copying import copied

log = logging.getLogger("hrsys")

PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(msgspec.Struct):
    field: str
    reason: str


class Problem(msgspec.Struct, omit_defaults=True):
    """RFC 9457 problem details, with ``errors`` listing every field at fault."""

    type: str
    title: str
    status: int
    detail: str = ""
    errors: list[FieldError] = []
    allowed: list[str] | None = None
    rule: str | None = None
    extra: dict[str, Any] | None = None


class AppError(Exception):
    """Base of the errors that services raise; the API answers each as its problem (:mod:`hrsys.core.exceptions`,
    through Litestar's problem-details plugin).

    A kind of error names its status, title and ``type`` slug in its class line:
    ``class Conflict(AppError, status=409, title="Conflict", slug="conflict")``. It stays a plain exception, not
    Litestar's ``ProblemDetailsException``: services raise it outside any request (commands, imports), and its
    ``extra`` is the problem's ``extra`` member, which Litestar's exception would spread over the top level.
    """

    status = 400
    title = "Bad request"
    slug = "bad-request"

    def __init_subclass__(cls, *, status: int = 0, title: str = "", slug: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.status = status or cls.status
        cls.title = title or cls.title
        cls.slug = slug or cls.slug

    def __init__(
        self,
        detail: str = "",
        *,
        errors: Sequence[FieldError] | None = None,
        allowed: Sequence[str] | None = None,
        rule: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = list(errors or [])
        self.allowed = list(allowed) if allowed is not None else None
        self.rule = rule
        self.extra = extra

    def to_problem(self) -> Problem:
        return copied(Problem, self, type=f"/problems/{self.slug}")


class BadRequest(AppError, status=400, title="Bad request", slug="bad-request"):
    pass


class Invalid(AppError, status=422, title="Invalid fields", slug="invalid-fields"):
    """422: the request is well-formed but fields are wrong. List them all."""

    @classmethod
    def one(cls, field: str, reason: str) -> Invalid:
        return cls(f"{field}: {reason}", errors=[FieldError(field, reason)])

    @classmethod
    def many(cls, errors: Sequence[FieldError]) -> Invalid:
        detail = "; ".join(f"{e.field}: {e.reason}" for e in errors)
        return cls(detail, errors=errors)


class NotFound(AppError, status=404, title="Not found", slug="not-found"):
    def __init__(self, entity: str, key: object) -> None:
        super().__init__(f"{entity} {key} does not exist")


class Conflict(AppError, status=409, title="Conflict", slug="conflict"):
    """409: a unique key, a state rule, an allocation or a stale edit."""


class Unauthorized(AppError, status=401, title="Not signed in", slug="unauthorized"):
    pass


class Forbidden(AppError, status=403, title="Forbidden", slug="forbidden"):
    pass


class TooManyRequests(AppError, status=429, title="Too many requests", slug="too-many-requests"):
    pass


def check(errors: list[FieldError]) -> None:
    """Raise :class:`Invalid` listing ``errors`` if there are any."""
    if errors:
        raise Invalid.many(errors)


def check_version(what: str, key: object, current: int, sent: object) -> None:
    """409 ``stale_edit`` when the caller sent a ``version`` (not ``None``, not ``UNSET``) other than the row's
    ``current`` one: the edit was made on a copy someone else has since changed."""
    if sent is not None and sent is not msgspec.UNSET and sent != current:
        raise Conflict(
            f"{what} {key} was changed by someone else (version {current}, you sent {sent})",
            rule="stale_edit",
        )
