"""Request bodies and answers of the inbox and the requests API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec

from hrsys.core.errors import FieldError, Problem
from hrsys.core.schemas import Input, Output
from hrsys.requests.models import Decision, RequestKind, RequestStatus

Reason = Annotated[str, msgspec.Meta(max_length=2000)]
MAX_BULK = 200


class AgencyRef(Output):
    code: str
    name_th: str
    name_en: str


class InboxItem(Output):
    id: int
    kind: RequestKind
    title: str
    requester: str | None
    """The requester's user name."""
    person_id: int | None
    """The person the request is about."""
    agency: AgencyRef | None
    asked_at: dt.datetime
    due_on: dt.date | None
    overdue: bool
    """Still pending after its due date."""
    escalation_level: int
    """Levels the request has moved up the agency tree for being overdue."""
    link: str
    """The page where the decider acts on the subject."""
    version: int


class Inbox(Output):
    items: list[InboxItem]
    total: int
    """Matching requests (every filter, the kind's too)."""
    total_exact: bool
    limit: int
    offset: int
    counts: dict[str, int]
    """Matching requests per kind (every filter but ``kind``), for the inbox's tabs."""


class RequestOut(Output):
    id: int
    kind: RequestKind
    title: str
    status: RequestStatus
    requester: str | None
    person_id: int | None
    agency: AgencyRef | None
    asked_at: dt.datetime
    due_on: dt.date | None
    overdue: bool
    escalation_level: int
    decision: Decision | None
    reason: str | None
    decided_by: str | None
    """User name of who decided (or cancelled, or closed) it."""
    decided_at: dt.datetime | None
    details: dict[str, Any] | None
    """What the decider sent with the decision."""
    link: str
    version: int


class RequestPage(Output):
    items: list[RequestOut]
    total: int
    total_exact: bool
    limit: int
    offset: int


class DecisionIn(Input):
    decision: Decision
    reason: Reason | None = None
    """Required to reject or to return for changes."""
    details: dict[str, Any] | None = None
    """What the deciding domain reads with the decision (e.g. ``{"level": 3}`` for an assessment)."""
    version: int | None = None
    """The version you read: a request changed since (escalated, decided) is a 409 ``stale_edit``."""

    def check(self) -> list[FieldError]:
        if self.decision is not Decision.approve and not (self.reason or "").strip():
            return [FieldError("reason", f"required to {self.decision.value.replace('_', ' ')}")]
        return []


class BulkDecisionIn(Input):
    ids: Annotated[list[Annotated[int, msgspec.Meta(ge=1)]], msgspec.Meta(min_length=1, max_length=MAX_BULK)]
    decision: Decision
    reason: Reason | None = None
    details: dict[str, Any] | None = None
    mode: Literal["all_or_nothing", "per_item"] = "per_item"
    """``all_or_nothing``: the first failure undoes every decision of the call; ``per_item``: each stands alone."""

    def check(self) -> list[FieldError]:
        errors: list[FieldError] = []
        if self.decision is not Decision.approve and not (self.reason or "").strip():
            errors.append(FieldError("reason", f"required to {self.decision.value.replace('_', ' ')}"))
        if len(set(self.ids)) != len(self.ids):
            errors.append(FieldError("ids", "each request once"))
        return errors


class BulkItemResult(Output):
    id: int
    status: int
    """The HTTP status this decision alone would have had (200, or the problem's)."""
    request: RequestOut | None = None
    problem: Problem | None = None


class BulkOut(Output):
    mode: str
    applied: bool
    """Were the successful decisions kept (always in ``per_item``; in ``all_or_nothing`` only if all succeeded)."""
    decided: int
    failed: int
    results: list[BulkItemResult]
